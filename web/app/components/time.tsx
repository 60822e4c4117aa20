// Times as the viewer reads them: in their own zone, else their account's (the app shell's
// loader says which), never as UTC ISO strings.
import { useRouteLoaderData } from '@remix-run/react';
import type { loader as appShellLoader } from '../routes/_app.tsx';
import { formatDateTime } from '../utils/labels.ts';

/** The signed-in viewer's zone (IANA); UTC only outside the signed-in app. */
export function useViewerTimeZone(): string {
  return useRouteLoaderData<typeof appShellLoader>('routes/_app')?.user.timeZone ?? 'UTC';
}

/** "Nov 30, 2026, 08:15 CST" in the viewer's zone; the instant itself stays machine-readable. */
export function Time({ value }: { value: Date | string | null | undefined }) {
  const zone = useViewerTimeZone();
  const at = value ? new Date(value) : null;
  const valid = at && !Number.isNaN(at.getTime());
  return <time dateTime={valid ? at.toISOString() : undefined}>{formatDateTime(value, zone)}</time>;
}
