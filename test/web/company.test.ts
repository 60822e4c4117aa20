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

describe('My Company: the holding period', () => {
  const holdingDays = async () => (await db.knex('accounts').where({ id: accountId }).first('holding_days')).holding_days as number | null;

  it('saves a number of days, shows it, and turns off when emptied', async () => {
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const res = await dana.submit('/company', { ...DAY, holdingDays: ' 3 ' });
    expect(res.status).toBe(200);
    expect(visibleText(res.text)).toContain('Saved.');
    expect(await holdingDays()).toBe(3);
    const page = await dana.get('/company');
    expect(visibleText(page.text)).toContain('Holding period');
    expect(page.text).toMatch(/name="holdingDays"[^>]*value="3"/);

    expect((await dana.submit('/company', { ...DAY, holdingDays: '90' })).status).toBe(200);
    expect(await holdingDays()).toBe(90);
    expect((await dana.submit('/company', { ...DAY, holdingDays: '' })).status).toBe(200);
    expect(await holdingDays()).toBeNull();
    expect((await dana.get('/company')).text).toMatch(/name="holdingDays"[^>]*value=""/);
  });

  it.each(['0', '91', '-1', '2.5', 'three', '1e1', '007 days'])('refuses %j with a clear message, and changes nothing', async (value) => {
    await db.knex('accounts').where({ id: accountId }).update({ holding_days: 5 });
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    const res = await dana.submit('/company', { ...DAY, sharkTank: 'on', holdingDays: value });
    expect(res.status).toBe(400);
    expect(visibleText(res.text)).toContain('Enter a whole number of days from 1 to 90, or leave it empty to turn the holding period off');
    expect(await holdingDays()).toBe(5);
  });

  it('is the owner’s: an LSP is refused, and so is a form without the CSRF token', async () => {
    await db.knex('accounts').where({ id: accountId }).update({ holding_days: 5 });
    const alex = new WebClient(web.url);
    await alex.login('lsp.alex', 'alex-demo-pass');
    expect((await alex.post('/company', { ...DAY, holdingDays: '1' })).status).toBe(403);
    const dana = new WebClient(web.url);
    await dana.login('A0DEMO1', 'owner-demo-pass');
    expect((await dana.post('/company', { ...DAY, holdingDays: '1' })).status).toBe(403);
    expect(await holdingDays()).toBe(5);
  });
});
