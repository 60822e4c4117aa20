// transferToEagent against a real HTTP server on this machine: an address that is not https to
// a public host is refused for good unless the operator allows private eAgent addresses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';

const noMail = { sendMail: async () => Promise.reject(new Error('eAgent tests send no mail')) };
const activityEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** These activities start no workflow: a Temporal client asked for fails the test. */
const noTemporal = { temporal: () => Promise.reject(new Error('eAgent tests use no Temporal client')), taskQueue: 'unpolled' };

let db: TestDatabase;
let accountId: string;
let server: http.Server;
let base: string;
const hits: Array<{ method?: string; url?: string }> = [];
let answer: (res: http.ServerResponse) => void;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ accountId } = await createAccountWithAdmin(db.knex));
  server = http.createServer((req, res) => {
    hits.push({ method: req.method, url: req.url });
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await db?.destroy();
});

beforeEach(() => {
  hits.length = 0;
  answer = (res) => res.writeHead(201).end('{"ok":true}');
});

async function leadFor(eagentUrl: string): Promise<string> {
  await db.knex('accounts').where({ id: accountId }).update({ eagent_enabled: true, eagent_url: eagentUrl, eagent_milestone: 'quoted' });
  const [lead] = await db
    .knex('leads')
    .insert({ account_id: accountId, first_name: 'Pat', last_name: 'Doe', dup_key: `pat|doe|${crypto.randomUUID()}`, source: 'manual' })
    .returning('id');
  return lead.id;
}

const events = (leadId: string) => db.knex('lead_events').where({ lead_id: leadId }).orderBy('id').select('type', 'data');

describe('transferToEagent', () => {
  it.each([`http`, `https`])('refuses for good to post a lead to %s://127.0.0.1 when private addresses are not allowed', async (scheme) => {
    const leadId = await leadFor(`${base.replace('http', scheme)}/leads`);
    const activities = createActivities({ db: db.knex, mailer: noMail, ...noTemporal });

    await expect(activityEnv().run(activities.transferToEagent, leadId)).rejects.toMatchObject({ type: 'EagentAddressRefused', nonRetryable: true });

    expect(hits).toHaveLength(0);
    expect(await events(leadId)).toMatchObject([{ type: 'eagent_refused', data: { reason: expect.stringMatching(scheme === 'http' ? /must be https/ : /private address/) } }]);
  });

  it('refuses this machine written as an IPv4-mapped IPv6 address', async () => {
    const leadId = await leadFor(`https://[::ffff:127.0.0.1]:${new URL(base).port}/leads`);
    const activities = createActivities({ db: db.knex, mailer: noMail, ...noTemporal });
    await expect(activityEnv().run(activities.transferToEagent, leadId)).rejects.toMatchObject({ type: 'EagentAddressRefused', nonRetryable: true });
    expect(hits).toHaveLength(0);
  });

  it('posts to a private address when the operator allows it', async () => {
    const leadId = await leadFor(`${base}/leads`);
    const activities = createActivities({ db: db.knex, mailer: noMail, ...noTemporal, eagentAllowPrivate: true });

    expect(await activityEnv().run(activities.transferToEagent, leadId)).toEqual({ transferred: true, status: 201 });
    expect(hits).toEqual([{ method: 'POST', url: '/leads' }]);
  });

  it('does not follow a redirect, which could lead anywhere', async () => {
    answer = (res) => res.writeHead(307, { location: `${base}/elsewhere` }).end();
    const leadId = await leadFor(`${base}/leads`);
    const activities = createActivities({ db: db.knex, mailer: noMail, ...noTemporal, eagentAllowPrivate: true });

    await expect(activityEnv().run(activities.transferToEagent, leadId)).rejects.toMatchObject({ type: 'EagentRejected', nonRetryable: true });
    expect(hits).toEqual([{ method: 'POST', url: '/leads' }]);
  });
});
