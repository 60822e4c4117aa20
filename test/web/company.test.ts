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

// The form always posts the agency's day settings (a select and a text field).
const DAY = { timeZone: 'America/Chicago', workdayStart: '08:00' };

const account = () => db.knex('accounts').where({ id: accountId }).first('shark_tank', 'eagent_enabled', 'eagent_url', 'eagent_milestone');

describe('My Company', () => {
  it('saves Shark Tank and the eAgent milestone and address', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const res = await dana.submit('/company', { ...DAY, sharkTank: 'on', eagentEnabled: 'on', eagentUrl: 'https://eagent.example/leads', eagentMilestone: 'quoted' });
    expect(res.status).toBe(200);
    expect(await account()).toEqual({ shark_tank: true, eagent_enabled: true, eagent_url: 'https://eagent.example/leads', eagent_milestone: 'quoted' });
  });

  it('refuses to turn eAgent on without an address and a milestone, and changes nothing', async () => {
    const before = await account();
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const res = await dana.submit('/company', { eagentEnabled: 'on', eagentUrl: 'not a url' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter the eAgent address');
    expect(res.text).toContain('Choose the milestone');
    expect(await account()).toEqual(before);
  });

  it.each([
    ['http://eagent.example/leads', 'The address must be https'],
    ['http://127.0.0.1:8080/leads', 'The address must be https'],
    ['https://127.0.0.1:8080/leads', 'points at a private address'],
    ['https://[::ffff:169.254.169.254]/latest', 'points at a private address'],
    ['https://localhost/leads', 'points at a private address'],
  ])('refuses the eAgent address %s with “%s”, and changes nothing', async (eagentUrl, message) => {
    const before = await account();
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const res = await dana.submit('/company', { eagentEnabled: 'on', eagentUrl, eagentMilestone: 'quoted' });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain(message);
    expect(await account()).toEqual(before);
  });

  it('accepts a private eAgent address when the operator allows them (EAGENT_ALLOW_PRIVATE=true)', async () => {
    process.env.EAGENT_ALLOW_PRIVATE = 'true';
    try {
      const dana = new WebClient(web.url);
      await dana.login('A0DEMO1', 'owner-demo-pass');
      const res = await dana.submit('/company', { ...DAY, eagentEnabled: 'on', eagentUrl: 'http://127.0.0.1:8080/leads', eagentMilestone: 'quoted' });
      expect(res.status).toBe(200);
      expect(await account()).toMatchObject({ eagent_url: 'http://127.0.0.1:8080/leads' });
    } finally {
      delete process.env.EAGENT_ALLOW_PRIVATE;
    }
  });

  it('is the owner’s alone', async () => {
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    expect([403, 404]).toContain((await alex.get('/company')).status);
  });
});
