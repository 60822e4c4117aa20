// My Company's settings checks that need more than the form: the eAgent address must be https
// to a public host (activities/outbound-url.ts), judged here by its current DNS answers too,
// unless the operator set EAGENT_ALLOW_PRIVATE=true. The worker judges it again at every send,
// so this check is for a clear message at save, not the only guard.
//
// The LSP's day settings live here too: the account's zone (what "today" is), when the workday
// starts, and the states the agency is licensed in (a new LSP starts with them). And the holding
// period: how many days an assigned lead may go without a Quick Action before it returns to the
// pool (each lead's workflow reads it; activities/lead/holding-period.ts decides the return).
import type { Knex } from 'knex';
import { allowPrivateFromEnv, checkOutboundUrlResolving } from '../../../activities/outbound-url.ts';
import { canonicalTimeZone, isTimeZone } from '../../../db/distribution/ledger.ts';
import { US_STATES } from '../../../db/hygiene/index.ts';
import { Account } from '../../../db/models/index.ts';

/** What My Company shows and changes. */
export type CompanySettings = Pick<
  Account,
  'name' | 'agentIds' | 'sharkTank' | 'eagentEnabled' | 'eagentUrl' | 'eagentMilestone' | 'timeZone' | 'workdayStartMinutes' | 'licensedStates' | 'holdingDays'
>;

export async function companySettings(db: Knex, accountId: string): Promise<CompanySettings> {
  const a = await Account.query(db)
    .findById(accountId)
    .select('name', 'agent_ids', 'shark_tank', 'eagent_enabled', 'eagent_url', 'eagent_milestone', 'time_zone', 'workday_start_minutes', 'licensed_states', 'holding_days')
    .throwIfNotFound();
  return {
    name: a.name,
    agentIds: a.agentIds,
    sharkTank: a.sharkTank,
    eagentEnabled: a.eagentEnabled,
    eagentUrl: a.eagentUrl,
    eagentMilestone: a.eagentMilestone,
    timeZone: a.timeZone,
    workdayStartMinutes: a.workdayStartMinutes,
    licensedStates: a.licensedStates,
    holdingDays: a.holdingDays,
  };
}

export async function saveCompanySettings(
  db: Knex,
  accountId: string,
  settings: Omit<CompanySettings, 'name' | 'agentIds'>,
): Promise<void> {
  await Account.query(db)
    .findById(accountId)
    .patch({ ...settings, updatedAt: db.fn.now() });
}

export async function eagentUrlProblem(url: string | undefined, opts: { enabled: boolean; allowPrivate?: boolean }): Promise<string | null> {
  if (!url) return opts.enabled ? 'Enter the eAgent address (https) to turn the integration on' : null;
  const check = await checkOutboundUrlResolving(url, { allowPrivate: opts.allowPrivate ?? allowPrivateFromEnv() });
  if (check.ok) return null;
  return check.problem === 'invalid' ? `Enter the eAgent address (https): ${check.message.charAt(0).toLowerCase()}${check.message.slice(1)}` : check.message;
}

/** The zones agencies in the US and its territories work in: listed first on My Company. */
export const US_TIME_ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Phoenix',
  'America/Los_Angeles',
  'America/Anchorage',
  'Pacific/Honolulu',
  'America/Puerto_Rico',
  'Pacific/Guam',
  'Pacific/Pago_Pago',
  'America/Detroit',
  'America/Indiana/Indianapolis',
  'America/Boise',
  'America/Adak',
] as const;

/** Every zone Intl lists, the US ones first; each is one `isTimeZone` accepts. */
export function timeZoneOptions(): { us: string[]; other: string[] } {
  const us = US_TIME_ZONES.filter(isTimeZone);
  const listed = new Set<string>(us);
  return { us, other: ['UTC', ...Intl.supportedValuesOf('timeZone')].filter((z) => !listed.has(z) && isTimeZone(z)) };
}

/** The zone to store (as Intl spells it), or the message for the field. */
export function checkTimeZone(zone: string): { zone: string } | { error: string } {
  const canonical = canonicalTimeZone(zone);
  return canonical ? { zone: canonical } : { error: 'Choose a time zone from the list' };
}

/** The states, DC and territories a license can be held in, in the order the lists show them. */
export const STATE_OPTIONS = Object.entries(US_STATES)
  .map(([code, name]) => ({ code, name }))
  .sort((a, b) => a.name.localeCompare(b.name, 'en-US'));

/** The codes that are not a US state, DC or territory, or null when all are. */
export function unknownStates(codes: readonly string[]): string[] | null {
  const unknown = codes.filter((c) => !(c in US_STATES));
  return unknown.length ? unknown : null;
}

/** The holding period's range in days (the column takes any integer; this page keeps it here). */
export const HOLDING_DAYS_MIN = 1;
export const HOLDING_DAYS_MAX = 90;

/** The holding period as typed: empty is off (null), else whole days in range; or the message for the field. */
export function parseHoldingDays(value: string): { days: number | null } | { error: string } {
  const v = value.trim();
  if (!v) return { days: null };
  const days = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (days >= HOLDING_DAYS_MIN && days <= HOLDING_DAYS_MAX) return { days };
  return { error: `Enter a whole number of days from ${HOLDING_DAYS_MIN} to ${HOLDING_DAYS_MAX}, or leave it empty to turn the holding period off` };
}

/** "08:30" to minutes after midnight, or null. */
export function parseClockTime(value: string): number | null {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export function formatClockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
