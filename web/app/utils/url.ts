/** The current query string with some parameters changed; undefined or '' removes one. */
export function withParams(current: URLSearchParams, changes: Record<string, string | number | undefined>): string {
  const next = new URLSearchParams(current);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') next.delete(key);
    else next.set(key, String(value));
  }
  const qs = next.toString();
  return qs ? `?${qs}` : '?';
}
