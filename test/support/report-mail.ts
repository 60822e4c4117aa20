// A day of agency activity for the e-mailed report tests, written straight to PostgreSQL at
// chosen instants: leads arriving from two sources (with names, streets, phones and e-mails a
// report must never show), assignments, Quick Actions reaching milestones, a removal and a
// recycle. `expected` is what the report for that day must count.
import type { Knex } from 'knex';
import { createLsp, insertLeads } from './fixtures.ts';

export interface ReportDay {
  alex: string;
  sam: string;
  /** Lead names, streets, phones and e-mails fed in: none may appear in a report e-mail. */
  personal: string[];
}

let seq = 0;

/** Alex Rivera and Sam Ortiz, LSPs of the account. */
export async function reportLsps(knex: Knex, accountId: string): Promise<{ alex: string; sam: string }> {
  const [alex, sam] = await Promise.all([createLsp(knex, accountId, { name: 'Alex Rivera' }), createLsp(knex, accountId, { name: 'Sam Ortiz' })]);
  return { alex, sam };
}

/**
 * Within [dayStart, dayStart + 24 h): 3 leads arrive (2 web_vendor, 1 national_campaign); Alex
 * gets 2, Sam 1; Alex attempts lead 1 after 10 minutes and reaches it after an hour, Sam
 * attempts lead 2 after 30 minutes and marks it Do Not Contact, lead 3 goes to the Recycle bin.
 * A lead from the day before, first worked then, is quoted today (a milestone, not a first attempt).
 * First attempts today: 10 and 30 minutes, median 20 minutes.
 */
export async function buildReportDay(knex: Knex, accountId: string, lsps: { alex: string; sam: string }, dayStart: Date): Promise<ReportDay> {
  const { alex, sam } = lsps;
  const at = (minutes: number) => new Date(dayStart.getTime() + minutes * 60_000);
  const n = ++seq;
  const people = [
    { first: `Zelda${n}`, last: 'Quixote', street: `${n}77 Hidden Lane`, phone: `+1512555${String(1000 + n).slice(-4)}`, email: `zelda${n}@private.example` },
    { first: `Marvin${n}`, last: 'Ozymandias', street: `${n}12 Secret Road`, phone: `+1737555${String(2000 + n).slice(-4)}`, email: `marvin${n}@private.example` },
    { first: `Olga${n}`, last: 'Brzezinski', street: `${n}9 Quiet Court`, phone: `+1830555${String(3000 + n).slice(-4)}`, email: `olga${n}@private.example` },
    { first: `Earl${n}`, last: 'Oldfield', street: `${n}1 Old Street`, phone: `+1972555${String(4000 + n).slice(-4)}`, email: `earl${n}@private.example` },
  ];
  const ids = await insertLeads(knex, accountId, [
    { firstName: people[0]!.first, lastName: people[0]!.last, createdAt: at(60) },
    { firstName: people[1]!.first, lastName: people[1]!.last, createdAt: at(120) },
    { firstName: people[2]!.first, lastName: people[2]!.last, createdAt: at(180) },
    { firstName: people[3]!.first, lastName: people[3]!.last, createdAt: at(-600) },
  ]);
  const sources = ['web_vendor', 'web_vendor', 'national_campaign', 'web_vendor'];
  for (const [i, id] of ids.entries()) {
    const p = people[i]!;
    await knex('leads')
      .where({ id })
      .update({
        source: sources[i],
        address_line1: p.street,
        phones: JSON.stringify([{ raw: p.phone, e164: p.phone, valid: true }]),
        emails: JSON.stringify([{ raw: p.email, address: p.email, valid: true }]),
      });
  }
  const [l1, l2, l3, old] = ids as [string, string, string, string];
  await knex('assignments').insert([
    { lead_id: l1, account_id: accountId, user_id: alex, reason: 'test', method: 'manual', created_at: at(65) },
    { lead_id: l3, account_id: accountId, user_id: alex, reason: 'test', method: 'manual', created_at: at(185) },
    { lead_id: l2, account_id: accountId, user_id: sam, reason: 'test', method: 'auto', created_at: at(125) },
  ]);
  const qa = (leadId: string, by: string, action: string, minutes: number) => ({
    lead_id: leadId,
    account_id: accountId,
    actor_user_id: by,
    type: 'quick_action',
    data: JSON.stringify({ action, milestone: action }),
    // Free text a report must never show.
    note: `Spoke with ${people[0]!.first} at ${people[0]!.phone}`,
    created_at: at(minutes),
  });
  await knex('lead_events').insert([
    // The old lead's first attempt, yesterday: not today's.
    qa(old, sam, 'attempted_contact', -500),
    qa(l1, alex, 'attempted_contact', 70),
    qa(l1, alex, 'attempted_contact', 80),
    qa(l1, alex, 'contacted', 120),
    qa(l2, sam, 'attempted_contact', 150),
    qa(l2, sam, 'do_not_contact', 160),
    qa(old, sam, 'quoted', 200),
    { lead_id: l3, account_id: accountId, type: 'recycled', actor_system: 'recycle', data: JSON.stringify({}), created_at: at(240) },
  ]);
  const personal = people.flatMap((p) => [p.first, p.last, p.street, p.phone, p.phone.slice(2), p.email]);
  return { alex, sam, personal };
}

/** The lines the report e-mail for that day must hold. */
export const EXPECTED_LINES = [
  'Leads arrived: 3',
  '  web_vendor: 2',
  '  national_campaign: 1',
  'Leads assigned: 3',
  '  Alex Rivera: 2',
  '  Sam Ortiz: 1',
  'Quick Actions: 6',
  '  Attempted Contact: 3',
  '  Contacted: 1',
  '  Do Not Contact: 1',
  '  Quoted: 1',
  '    Sam Ortiz: 3',
  '    Alex Rivera: 3',
  'Milestones reached: 5',
  'Removed or recycled: 2',
  'Speed to first attempt: median 20 min from arrival (2 leads had their first Quick Action in this period)',
];
