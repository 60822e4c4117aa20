// A note's limits, shared by the lead page's form and the server that records it.
export const NOTE_MAX = 2000;

/** Why this note cannot be saved, or null. */
export function checkNote(text: string | null): string | null {
  if (!text) return 'Write the note first';
  if (text.length > NOTE_MAX) return `A note has at most ${NOTE_MAX.toLocaleString('en-US')} characters`;
  return null;
}
