// The migration that forgets who loaded the federal DNC list: the entries lose their reason,
// and leads of every account flagged by them lose the uploader's name and file from their
// flag reason and history, while an account's own list reasons stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetFederalUploaders } from '../../db/migrations/20261130030000_mail_accounts_and_send_attempts.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

describe('forgetting federal uploaders', () => {
  it('strips the uploader and file from federal entries and the leads they flagged, and keeps account-list reasons', async () => {
    const { accountId } = await createAccountWithAdmin(db.knex);
    await db.knex('suppression_entries').insert([
      { account_id: null, list: 'dnc', value: '+12175550101', source: 'federal', reason: 'uploaded by B0OTHER (b-file.txt)' },
      { account_id: accountId, list: 'dnc', value: '+12175550102', source: 'internal', reason: 'uploaded by ivy (own.txt)' },
    ]);
    const federalReason = 'federal DNC list: +12175550101 (uploaded by B0OTHER (b-file.txt))';
    const ownReason = 'account DNC list: +12175550102 (uploaded by ivy (own.txt))';
    const [fed, own] = await db
      .knex('leads')
      .insert([
        { account_id: accountId, first_name: 'F', last_name: 'Ed', dup_key: 'f|ed|', source: 'manual', dnc: true, dnc_reason: federalReason, dnm: true, dnm_reason: 'federal DNM list: name and address (imported from /srv/dnm.txt)' },
        { account_id: accountId, first_name: 'O', last_name: 'Wn', dup_key: 'o|wn|', source: 'manual', dnc: true, dnc_reason: ownReason },
      ])
      .returning('id');
    await db.knex('lead_events').insert({ lead_id: fed.id, account_id: accountId, type: 'flagged', note: federalReason, data: JSON.stringify({ flag: 'dnc', reason: federalReason }) });

    await forgetFederalUploaders(db.knex);

    expect(await db.knex('suppression_entries').orderBy('value').pluck('reason')).toEqual([null, 'uploaded by ivy (own.txt)']);
    expect(await db.knex('leads').where({ id: fed.id }).first('dnc_reason', 'dnm_reason')).toEqual({ dnc_reason: 'federal DNC list: +12175550101', dnm_reason: 'federal DNM list: name and address' });
    expect((await db.knex('leads').where({ id: own.id }).first('dnc_reason')).dnc_reason).toBe(ownReason);
    expect(await db.knex('lead_events').where({ lead_id: fed.id }).first('note', 'data')).toEqual({ note: 'federal DNC list: +12175550101', data: { flag: 'dnc', reason: 'federal DNC list: +12175550101' } });
  });
});
