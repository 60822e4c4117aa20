// Notes on a lead: what an LSP, admin or owner writes down while working it, alone or with a
// Quick Action. Written straight to the lead's history (type `note`) from the web action, so it
// is there before any Quick Action sent with it reaches the workflow; the eAgent transfer reads
// the most recent one from there (activities/lead/eagent.ts).
import type { Knex } from 'knex';
import type { LeadEventType } from '../../../db/lead-event-types.ts';
import type { SessionUser } from './auth.server.ts';

export { checkNote, NOTE_MAX } from './lead-notes.ts';

/** The note the form carries, trimmed; null when empty. */
export function noteFromForm(form: FormData): string | null {
  const text = String(form.get('note') ?? '').trim();
  return text ? text : null;
}

/**
 * Records a note in the lead's history, once per `noteId` (the page's id for this form: a
 * double click writes one note). `with` names the Quick Action sent together with it.
 */
export async function addNote(db: Knex, user: SessionUser, lead: { id: string }, n: { text: string; noteId: string; with?: string | null }): Promise<void> {
  const type: LeadEventType = 'note';
  await db('lead_events')
    .insert({
      lead_id: lead.id,
      account_id: user.accountId,
      actor_user_id: user.id,
      type,
      note: n.text,
      data: JSON.stringify(n.with ? { action: n.with } : {}),
      idempotency_key: `lead-${lead.id}:note:${n.noteId}`,
    })
    .onConflict('idempotency_key')
    .ignore();
}
