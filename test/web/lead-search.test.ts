// Search on the leads list over real HTTP and PostgreSQL: by phone in the formats people write
// numbers in, by e-mail, by name; only over the leads the user may see (an LSP their own, the
// others their account's; another account's never).
import { beforeAll, describe, expect, it } from 'vitest';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { leadIds, visibleText, type WebClient } from '../support/http.ts';
import { demoWebSuite } from '../support/web-suite.ts';

const suite = demoWebSuite();

async function signedIn(username: string, password: string): Promise<WebClient> {
  const client = suite.client();
  expect((await client.login(username, password)).status).toBe(302);
  return client;
}

const userId = async (username: string) => (await suite.db.knex('users').where({ username }).first('id')).id as string;

let n = 0;
async function lead(accountId: string, o: { first: string; last: string; phone?: { raw: string; e164: string | null }; email?: string; assignee?: string | null; milestone?: string }) {
  const k = ++n;
  const [row] = await suite.db
    .knex('leads')
    .insert({
      account_id: accountId,
      first_name: o.first,
      last_name: o.last,
      address_line1: `${k} Search St`,
      city: 'New Orleans',
      state: 'LA',
      zip: '70112',
      phones: JSON.stringify(o.phone ? [{ ...o.phone, valid: !!o.phone.e164 }] : []),
      emails: JSON.stringify(o.email ? [{ raw: o.email, address: o.email.replace(/@.*/, (d) => d.toLowerCase()), valid: true }] : []),
      dup_key: `search|${k}|${Math.random()}`,
      source: 'web_vendor',
      segment: 'cold',
      assigned_user_id: o.assignee ?? null,
      milestone: o.milestone ?? 'new',
    })
    .returning('id');
  return row.id as string;
}

/** The leads the list links to for this search, in list order. */
async function search(client: WebClient, q: string): Promise<string[]> {
  const page = await client.get(`/leads?${new URLSearchParams({ q })}`);
  expect(page.status).toBe(200);
  return leadIds(page.text);
}

let demo: string;
let jolene: string;
let joleneTwo: string;
let samsLead: string;
let otherAccountsLead: string;

beforeAll(async () => {
  demo = (await suite.db.knex('users').where({ username: 'A0DEMO1' }).first('account_id')).account_id;
  const alex = await userId('lsp.alex');
  const sam = await userId('lsp.sam');
  jolene = await lead(demo, { first: 'Jolene', last: 'Broussard', phone: { raw: '(504) 555-0142', e164: '+15045550142' }, email: 'Jolene.B@Example.COM', assignee: alex });
  // Written down without the area code's country prefix, and not readable as a full number.
  joleneTwo = await lead(demo, { first: 'Jolene', last: 'Thibodeaux', phone: { raw: '555-0177', e164: null }, assignee: alex, milestone: 'not_interested' });
  samsLead = await lead(demo, { first: 'Remy', last: 'Landry', phone: { raw: '504 555 0199', e164: '+15045550199' }, email: 'remy@example.net', assignee: sam });
  // Another agency has a lead with Jolene's very number and name.
  const other = await createAccountWithAdmin(suite.db.knex, 'Other Agency');
  otherAccountsLead = await lead(other.accountId, { first: 'Jolene', last: 'Broussard', phone: { raw: '5045550142', e164: '+15045550142' }, email: 'jolene.b@example.com' });
});

describe('Leads list: search', () => {
  it('finds a lead by phone in any format', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    for (const q of ['(504) 555-0142', '504-555-0142', '+15045550142', '1 504 555 0142', '5045550142', '555-0142']) {
      expect(await search(alex, q), q).toEqual([jolene]);
    }
    // A number intake could not read is found by the digits it was written with.
    expect(await search(alex, '555 0177')).toEqual([joleneTwo]);
  });

  it('finds a lead by e-mail address, whatever its case', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect(await search(alex, 'jolene.b@example.com')).toEqual([jolene]);
    expect(await search(alex, 'JOLENE.B@EXAMPLE.COM')).toEqual([jolene]);
    // The address without its domain.
    expect(await search(alex, 'jolene.b')).toEqual([jolene]);
  });

  it('finds leads by name, words in any order, closed ones too', async () => {
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    expect(await search(alex, 'Broussard Jolene')).toEqual([jolene]);
    expect(await search(alex, 'broussard, jol')).toEqual([jolene]);
    // Thibodeaux is closed (Not Interested): out of My Leads' working view, still found.
    expect((await search(alex, 'jolene')).sort()).toEqual([jolene, joleneTwo].sort());
    expect(leadIds((await alex.get('/leads')).text)).not.toContain(joleneTwo);
    const none = await alex.get('/leads?q=Nobody+Byname');
    expect(visibleText(none.text)).toContain('No lead you can see matches “Nobody Byname”.');
  });

  it('keeps to the leads the user may see', async () => {
    // An LSP cannot find another LSP's lead, by any of its details.
    const alex = await signedIn('lsp.alex', 'alex-demo-pass');
    for (const q of ['504-555-0199', 'remy@example.net', 'Remy Landry']) expect(await search(alex, q), q).toEqual([]);
    const sam = await signedIn('lsp.sam', 'sam-demo-pass');
    expect(await search(sam, '(504) 555-0142')).toEqual([]);
    expect(await search(sam, '(504) 555-0199')).toEqual([samsLead]);

    // Owners and support see the account's leads, never another account's with the same details.
    for (const [user, password] of [
      ['A0DEMO1', 'owner-demo-pass'],
      ['support.kim', 'kim-demo-pass'],
    ] as const) {
      const client = await signedIn(user, password);
      expect(await search(client, '+1 (504) 555-0142'), user).toEqual([jolene]);
      expect(await search(client, 'jolene.b@example.com'), user).toEqual([jolene]);
      expect(await search(client, 'Remy'), user).toEqual([samsLead]);
      expect(await search(client, 'Jolene Broussard'), user).not.toContain(otherAccountsLead);
    }
  });

  it('takes LIKE wildcards in the text literally', async () => {
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    expect(await search(owner, '%')).toEqual([]);
    expect(await search(owner, '_@_')).toEqual([]);
  });

  it('keeps the other filters with a search, and a search with the filters', async () => {
    const owner = await signedIn('A0DEMO1', 'owner-demo-pass');
    const page = await owner.get(`/leads?${new URLSearchParams({ q: 'jolene', closed: 'only' })}`);
    expect(leadIds(page.text)).toEqual([joleneTwo]);
    // The filter form carries the search; the search form carries the filters.
    expect(page.text).toMatch(/<input type="hidden" name="q" value="jolene"\/>/);
    expect(page.text).toMatch(/<input type="hidden" name="closed" value="only"\/>/);
  });
});
