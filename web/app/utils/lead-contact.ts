// Whether the lead may be called or e-mailed right now, as the lead page says it: the lead's
// own clock, the calling window (workflows/lead/calling-window.ts, the rule the cadence's call
// tasks follow) and the suppression flags. A phone or an address is a link only when that
// channel is allowed now, so a click can never start a call the rules forbid. Pure: the
// loader decides at the moment it renders.
import { WINDOW_END_HOUR, WINDOW_START_HOUR } from '../../../workflows/lead/calling-window.ts';
import { callingTimeFor } from '../../../workflows/lead/schedule.ts';
import { clockTime, phoneWords, whenForLead } from './lead-history.ts';

export interface ContactInput {
  phones: Array<{ raw: string; e164: string | null; valid: boolean }>;
  emails: Array<{ raw: string; address: string | null; valid: boolean }>;
  dnc: boolean;
  dne: boolean;
  /** The lead's zone (IANA); null when intake could not tell it. */
  timeZone: string | null;
}

export interface ContactChannel {
  display: string;
  /** `tel:` / `mailto:`, only when this channel may be used now. */
  href: string | null;
  /** Why it is not a link, in words (null when it is one). */
  why: string | null;
}

export interface ContactStatus {
  /** "7:42 PM CST": the lead's clock now; null when the lead's zone is unknown. */
  leadTime: string | null;
  callableNow: boolean;
  /** "7:42 PM CST for the lead, callable until 9:00 PM", or why not and from when. */
  callLine: string;
  phones: ContactChannel[];
  emails: ContactChannel[];
}

/** "9:00 PM": an hour of the calling window as people write it. */
function hourWords(hour: number): string {
  return `${hour % 12 === 0 ? 12 : hour % 12}:00 ${hour < 12 ? 'AM' : 'PM'}`;
}

const WINDOW = `${hourWords(WINDOW_START_HOUR)} to ${hourWords(WINDOW_END_HOUR)}`;

export function contactStatus(lead: ContactInput, ctx: { now: Date; viewerZone: string }): ContactStatus {
  const { now } = ctx;
  const validPhones = lead.phones.filter((p) => p.valid && p.e164);
  // The same rule as a call task's: the first moment inside the window, which is now when
  // now is inside it (without a known zone, inside it on both US coasts).
  const nextCall = callingTimeFor(now, lead.timeZone);
  const inWindow = nextCall.getTime() === now.getTime();
  const leadTime = lead.timeZone ? clockTime(now, lead.timeZone) : null;
  const callableNow = !lead.dnc && validPhones.length > 0 && inWindow;

  let callLine: string;
  const from = `callable from ${whenForLead(nextCall, { viewerZone: ctx.viewerZone, leadZone: lead.timeZone })}`;
  if (lead.dnc) callLine = `Do Not Call: no calls to this lead${leadTime ? ` (${leadTime} for the lead)` : ''}`;
  else if (!validPhones.length) callLine = `No valid phone to call${leadTime ? ` (${leadTime} for the lead)` : ''}`;
  else if (lead.timeZone) {
    callLine = inWindow ? `${leadTime} for the lead, callable until ${hourWords(WINDOW_END_HOUR)}` : `${leadTime} for the lead: outside calling hours (${WINDOW}); ${from}`;
  } else {
    callLine = inWindow
      ? `The lead's time zone is unknown: callable now (${WINDOW} on both US coasts)`
      : `The lead's time zone is unknown: not callable now (${WINDOW} on both US coasts); ${from}`;
  }

  const phones = lead.phones.map((p): ContactChannel => {
    const display = p.e164 ? phoneWords(p.e164) : p.raw;
    if (!p.valid || !p.e164) return { display, href: null, why: 'not a valid phone number' };
    if (lead.dnc) return { display, href: null, why: 'Do Not Call' };
    if (!inWindow) return { display, href: null, why: 'outside calling hours' };
    return { display, href: `tel:${p.e164}`, why: null };
  });
  const emails = lead.emails.map((e): ContactChannel => {
    const display = e.address ?? e.raw;
    if (!e.valid || !e.address) return { display, href: null, why: 'not a valid e-mail address' };
    if (lead.dne) return { display, href: null, why: 'Do Not E-mail' };
    return { display, href: `mailto:${e.address}`, why: null };
  });
  return { leadTime, callableNow, callLine, phones, emails };
}
