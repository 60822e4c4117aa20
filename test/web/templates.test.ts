import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import { startWebServer, type RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { TEST_SESSION_SECRET, visibleText, WebClient } from '../support/http.ts';

let db: TestDatabase;
let web: RunningWebServer;
let accountId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  accountId = (await seedDemoAccount(db.knex)).accountId;
  web = await startWebServer({ port: 0, databaseUrl: db.url, sessionSecret: TEST_SESSION_SECRET, mode: 'development' });
});
afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

describe('workflow templates page', () => {
  it('shows the six templates with what each cadence does', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const text = visibleText((await dana.get('/templates')).text);
    expect(text).toContain('Cold prospects');
    expect(text).toContain('Highly engaged prospects: LAT, MWI and spreadsheets');
    expect(text).toContain('at once: Call task: Call: the prospect asked for a quote');
    expect(text).toContain('goes to the Recycle Bin');
  });

  it('turns a template off and on for this account only', async () => {
    const [other] = await db.knex('accounts').insert({ name: 'Other', agent_ids: ['O1'] }).returning('id');
    await db.knex('workflow_templates').insert({ account_id: other.id, key: 'cold_prospects', name: 'Cold prospects', enabled: true });
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    expect((await dana.submit('/templates', { key: 'cold_prospects', enabled: 'false' })).status).toBe(200);
    const enabled = async (acc: string) => (await db.knex('workflow_templates').where({ account_id: acc, key: 'cold_prospects' }).first('enabled')).enabled;
    expect(await enabled(accountId)).toBe(false);
    expect(await enabled(other.id)).toBe(true);
    await dana.submit('/templates', { key: 'cold_prospects', enabled: 'true' });
    expect(await enabled(accountId)).toBe(true);
  });

  it('offers auto-assign\'s switch, which turns the template off and on', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const page = (await dana.get('/templates')).text;
    const section = page.slice(page.indexOf('id="t-auto_assign"'), page.indexOf('</section>', page.indexOf('id="t-auto_assign"')));
    expect(section).toContain('name="enabled"');
    expect(visibleText(section)).toContain('the most capacity left');
    const state = async () => (await db.knex('workflow_templates').where({ account_id: accountId, key: 'auto_assign' }).first('enabled')).enabled as boolean;
    const before = await state();
    expect((await dana.submit('/templates', { key: 'auto_assign', enabled: String(!before) })).status).toBe(200);
    expect(await state()).toBe(!before);
    expect((await dana.submit('/templates', { key: 'auto_assign', enabled: String(before) })).status).toBe(200);
    expect(await state()).toBe(before);
  });

  it('keeps LSPs and support out', async () => {
    for (const [u, p] of [['lsp.alex', 'alex-demo-pass'], ['support.kim', 'kim-demo-pass']] as const) {
      const c = new WebClient(web.url);
      await c.login(u, p);
      expect([403, 404]).toContain((await c.get('/templates')).status);
      expect([403, 404]).toContain((await c.submit('/templates', { key: 'cold_prospects', enabled: 'false' })).status);
    }
    expect((await db.knex('workflow_templates').where({ account_id: accountId, key: 'cold_prospects' }).first('enabled')).enabled).toBe(true);
  });
});
