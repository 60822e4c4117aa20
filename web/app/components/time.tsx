// Times as the viewer reads them: in their own zone, else their account's (the app shell's
// loader says which), never as UTC ISO strings.
import { useRouteLoaderData } from '@remix-run/react';
import type { loader as appShellLoader } from '../routes/_app.tsx';
import { formatDateTime } from '../utils/labels.ts';
import { whenForLead } from '../utils/lead-history.ts';

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

/**
 * A moment about calling the lead (a follow-up, a call-back): on the viewer's clock, with the
 * lead's beside it when the two clocks differ ("… (lead's time 9:00 AM CST)").
 */
export function TimeWithLeadClock({ value, leadZone }: { value: Date | string | null | undefined; leadZone: string | null }) {
  const zone = useViewerTimeZone();
  const at = value ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) return <Time value={null} />;
  const lead = leadZone ? whenForLead(at, { viewerZone: zone, leadZone }) : null;
  const leadPart = lead ? /\(lead's time .*\)$/.exec(lead)?.[0] : undefined;
  return (
    <>
      <Time value={at} />
      {leadPart ? <span className="muted"> {leadPart}</span> : null}
    </>
  );
}
