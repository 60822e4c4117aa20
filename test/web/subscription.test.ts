// The owner's Subscription page through the real web server and database: paid seats set with
// the monthly cost shown, every change recorded with who and when, never fewer seats than
// active users hold, no payment taken (and the page says so), the owner's alone.
import { describe, expect, it } from 'vitest';
import { visibleText } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();

async function owner() {
  const dana = suite.client();
  await dana.login('A0DEMO1', 'owner-demo-pass');
  return dana;
}
const demoAccount = () => suite.db.knex('accounts').where({ name: 'Demo Agency' }).first('id', 'paid_seats');

describe('Subscription', () => {
  it('sets the paid seats, shows the monthly cost and records every change with who and when', async () => {
    const dana = await owner();
    const page = await dana.get('/subscription');
    expect(page.status).toBe(200);
    expect(visibleText(page.text)).toContain('Leadflow does not take payments');

    const res = await dana.submit('/subscription', { paidSeats: '4' });
    expect(res.status).toBe(302);
    const account = await demoAccount();
    expect(account.paid_seats).toBe(4);
    const changes = await suite.db.knex('seat_changes').where({ account_id: account.id }).select('paid_seats_before', 'paid_seats_after', 'changed_by_user_id');
    expect(changes).toEqual([{ paid_seats_before: 1, paid_seats_after: 4, changed_by_user_id: expect.any(String) }]);

    const after = visibleText((await dana.get('/subscription?saved=1')).text);
    expect(after).toContain('$100 / month');
    expect(after).toMatch(/Dana Owner\s+1 → 4\s+\$25 → \$100/);
    expect(after).not.toMatch(/\d{4}-\d{2}-\d{2}T/);

    // Saving the same number records nothing.
    await dana.submit('/subscription', { paidSeats: '4' });
    expect(await suite.db.knex('seat_changes').where({ account_id: account.id }).count({ n: '*' }).first()).toEqual({ n: '1' });
  });

  it('refuses fewer seats than active users hold, and a number that is not one, changing nothing', async () => {
    const dana = await owner();
    const before = await demoAccount();
    const used = Number((await suite.db.knex('users').where({ account_id: before.id, status: 'active' }).whereNot({ role: 'owner' }).count({ n: '*' }).first())!.n);
    expect(used).toBeGreaterThan(2);
    const tooFew = await dana.submit('/subscription', { paidSeats: '0' });
    expect(tooFew.status).toBe(400);
    expect(visibleText(tooFew.text)).toContain(`${used} users are active, so at least ${used - 2} paid seats are needed`);
    for (const bad of ['-1', 'two', '100000', '']) expect((await dana.submit('/subscription', { paidSeats: bad })).status).toBe(400);
    expect(await demoAccount()).toEqual(before);
  });

  it('is the owner’s alone', async () => {
    for (const [u, p] of [
      ['lsp.alex', 'alex-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const c = suite.client();
      await c.login(u, p);
      expect((await c.get('/subscription')).status).toBe(403);
    }
  });
});
