// The leads list over HTTP: paging, sorting and every filter, checked against an account whose
// 60 leads are generated from a table of known attributes (expected results are computed from
// that table in the test, not by asking the database the same question).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../db/passwords.ts';
import { LEAD_SOURCES } from '../../workflows/lead/templates.ts';
import type { RunningWebServer } from '../../web/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { leadIds, startTestWebServer, visibleText, WebClient } from '../support/http.ts';

interface Spec {
  id: string;
  i: number;
  firstName: string;
  lastName: string;
  source: string;
  importName: string | null;
  status: string;
  milestone: string;
  assignee: 'lsp1' | 'lsp2' | null;
  dnc: boolean;
  dne: boolean;
  dnm: boolean;
  kind: 'P' | 'C';
  createdAt: Date;
  nextFollowUpAt: Date | null;
}

const N = 60;
const STATUSES = ['new', 'active', 'recycled', 'archived', 'removed'];
const MILESTONES = ['new', 'contacted', 'quoted', 'sold'];
const SURNAMES = ['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Flores', 'Garcia', 'Hughes', 'Ito', 'Jones', 'King', 'Lopez'];

let db: TestDatabase;
let web: RunningWebServer;
let owner: WebClient;
let lsp1: WebClient;
const users: Record<'lsp1' | 'lsp2', string> = { lsp1: '', lsp2: '' };
let specs: Spec[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const [account] = await db.knex('accounts').insert({ name: 'List Agency', agent_ids: ['L0LIST'], paid_seats: 0 }).returning('id');
  const hash = await hashPassword('list-test-pass');
  const rows = await db
    .knex('users')
    .insert([
      { account_id: account.id, username: 'L0LIST', name: 'Lou Owner', email: 'lou@list.test', role: 'owner', password_hash: hash },
      { account_id: account.id, username: 'list.one', name: 'One LSP', email: 'one@list.test', role: 'lsp', password_hash: hash },
      { account_id: account.id, username: 'list.two', name: 'Two LSP', email: 'two@list.test', role: 'lsp', password_hash: hash },
    ])
    .returning(['id', 'username']);
  users.lsp1 = rows.find((r) => r.username === 'list.one').id;
  users.lsp2 = rows.find((r) => r.username === 'list.two').id;

  const base = Date.UTC(2026, 0, 1);
  const drafts = Array.from({ length: N }, (_, i) => ({
    i,
    // Surnames repeat, so name sorting also exercises the first-name tie-break.
    lastName: SURNAMES[(i * 7) % SURNAMES.length]!,
    firstName: `First${String((i * 13) % N).padStart(2, '0')}`,
    source: LEAD_SOURCES[i % LEAD_SOURCES.length]!,
    importName: i % 3 === 0 ? 'Import A' : i % 3 === 1 ? 'Import B' : null,
    status: STATUSES[i % STATUSES.length]!,
    milestone: MILESTONES[(i * 3) % MILESTONES.length]!,
    assignee: (i % 4 === 0 ? 'lsp1' : i % 4 === 1 ? 'lsp2' : null) as Spec['assignee'],
    dnc: i % 6 === 0,
    dne: i % 10 === 0,
    dnm: i % 15 === 0,
    kind: (i % 7 === 3 ? 'C' : 'P') as 'P' | 'C',
    createdAt: new Date(base + i * 60_000),
    nextFollowUpAt: i % 2 === 0 ? new Date(base + ((i * 17) % N) * 3_600_000) : null,
  }));
  const inserted = await db
    .knex('leads')
    .insert(
      drafts.map((d) => ({
        account_id: account.id,
        first_name: d.firstName,
        last_name: d.lastName,
        dup_key: `lead-${d.i}`,
        source: d.source,
        import_name: d.importName,
        status: d.status,
        milestone: d.milestone,
        assigned_user_id: d.assignee ? users[d.assignee] : null,
        dnc: d.dnc,
        dne: d.dne,
        dnm: d.dnm,
        kind: d.kind,
        created_at: d.createdAt,
        next_follow_up_at: d.nextFollowUpAt,
      })),
    )
    .returning(['id', 'dup_key']);
  specs = drafts.map((d) => ({ ...d, id: inserted.find((r) => r.dup_key === `lead-${d.i}`).id }));

  web = await startTestWebServer(db);
  owner = new WebClient(web.url);
  expect((await owner.login('L0LIST', 'list-test-pass')).status).toBe(302);
  lsp1 = new WebClient(web.url);
  expect((await lsp1.login('list.one', 'list-test-pass')).status).toBe(302);
});

afterAll(async () => {
  await web?.close();
  await db?.destroy();
});

const byCreatedDesc = (a: Spec, b: Spec) => b.createdAt.getTime() - a.createdAt.getTime();

/** Every lead id the list shows for this query, page by page, and the total it reports. */
async function allPages(c: WebClient, query: string): Promise<{ ids: string[]; total: number; pages: number }> {
  const ids: string[] = [];
  let total = 0;
  let pages = 0;
  for (let page = 1; page <= 10; page++) {
    const res = await c.get(`/leads?${query}${query ? '&' : ''}page=${page}`);
    expect(res.status).toBe(200);
    const text = visibleText(res.text);
    total = Number(/of (\d+)/.exec(text)?.[1] ?? 0);
    ids.push(...leadIds(res.text));
    pages = page;
    if (!text.includes(`Page ${page} of`) || text.includes(`Page ${page} of ${page}`)) break;
  }
  return { ids, total, pages };
}

describe('paging', () => {
  it('shows 25 leads a page, newest first, over 3 pages without gaps or repeats', async () => {
    const first = await owner.get('/leads');
    expect(visibleText(first.text)).toContain(`Showing 1–25 of ${N}`);
    expect(visibleText(first.text)).toContain('Page 1 of 3');
    const { ids, pages } = await allPages(owner, '');
    expect(pages).toBe(3);
    expect(ids).toEqual([...specs].sort(byCreatedDesc).map((s) => s.id));
    const last = await owner.get('/leads?page=3');
    expect(visibleText(last.text)).toContain(`Showing 51–60 of ${N}`);
    expect(leadIds(last.text)).toHaveLength(10);
  });

  it('clamps a page past the end and ignores a malformed page number', async () => {
    expect(leadIds((await owner.get('/leads?page=99')).text)).toEqual(leadIds((await owner.get('/leads?page=3')).text));
    expect(leadIds((await owner.get('/leads?page=abc')).text)).toEqual(leadIds((await owner.get('/leads')).text));
  });
});

describe('sorting', () => {
  const cases: Array<[string, (a: Spec, b: Spec) => number]> = [
    ['sort=created&dir=asc', (a, b) => a.createdAt.getTime() - b.createdAt.getTime()],
    ['sort=created&dir=desc', byCreatedDesc],
    ['sort=name', (a, b) => a.lastName.localeCompare(b.lastName) || a.firstName.localeCompare(b.firstName)],
    ['sort=name&dir=desc', (a, b) => b.lastName.localeCompare(a.lastName) || b.firstName.localeCompare(a.firstName)],
    ['sort=milestone', (a, b) => a.milestone.localeCompare(b.milestone) || b.createdAt.getTime() - a.createdAt.getTime()],
  ];
  for (const [query, compare] of cases) {
    it(`orders by ${query}`, async () => {
      const { ids } = await allPages(owner, query);
      expect(ids).toEqual([...specs].sort(compare).map((s) => s.id));
    });
  }

  it('orders by next follow-up, leads without one last', async () => {
    const { ids } = await allPages(owner, 'sort=follow_up');
    const withDate = specs.filter((s) => s.nextFollowUpAt).sort((a, b) => a.nextFollowUpAt!.getTime() - b.nextFollowUpAt!.getTime());
    expect(ids.slice(0, withDate.length)).toEqual(withDate.map((s) => s.id));
    expect(new Set(ids.slice(withDate.length))).toEqual(new Set(specs.filter((s) => !s.nextFollowUpAt).map((s) => s.id)));
  });

  it('marks the sorted column for screen readers and links to the other direction', async () => {
    const html = (await owner.get('/leads?sort=name')).text;
    expect(html).toMatch(/aria-sort="ascending"><a[^>]*href="\/leads\?sort=name&amp;dir=desc"/);
  });
});

describe('filters', () => {
  const cases: Array<[string, (s: Spec) => boolean]> = [
    ['source=blueprint', (s) => s.source === 'blueprint'],
    ['source=spreadsheet', (s) => s.source === 'spreadsheet'],
    ['import=Import%20A', (s) => s.importName === 'Import A'],
    ['import=Import%20B', (s) => s.importName === 'Import B'],
    ['status=recycled', (s) => s.status === 'recycled'],
    ['status=active', (s) => s.status === 'active'],
    ['assignee=unassigned', (s) => s.assignee === null],
    ['dnc=yes', (s) => s.dnc],
    ['dnc=no', (s) => !s.dnc],
    ['dne=yes', (s) => s.dne],
    ['dnm=yes', (s) => s.dnm],
    ['dnm=no', (s) => !s.dnm],
    ['kind=C', (s) => s.kind === 'C'],
    ['kind=P', (s) => s.kind === 'P'],
    ['source=mwi&kind=P&dnc=no', (s) => s.source === 'mwi' && s.kind === 'P' && !s.dnc],
    ['status=new&assignee=unassigned&import=Import%20B', (s) => s.status === 'new' && s.assignee === null && s.importName === 'Import B'],
  ];
  for (const [query, keep] of cases) {
    it(`filters by ${decodeURIComponent(query)}`, async () => {
      const expected = specs.filter(keep).sort(byCreatedDesc).map((s) => s.id);
      expect(expected.length).toBeGreaterThan(0);
      const { ids, total } = await allPages(owner, query);
      expect(ids).toEqual(expected);
      expect(total).toBe(expected.length);
    });
  }

  it('filters by assignee', async () => {
    for (const who of ['lsp1', 'lsp2'] as const) {
      const { ids } = await allPages(owner, `assignee=${users[who]}`);
      expect(ids).toEqual(specs.filter((s) => s.assignee === who).sort(byCreatedDesc).map((s) => s.id));
    }
  });

  it('drops a malformed filter value instead of failing', async () => {
    // Sources are an open catalogue, so any short key is a real filter (matching no lead here); only a value no key can be is dropped.
    for (const query of ['assignee=not-a-uuid', `source=${'x'.repeat(201)}`, 'status=%27%3B--', 'kind=X', 'dnc=maybe', 'sort=password_hash']) {
      const res = await owner.get(`/leads?${query}`);
      expect(res.status, query).toBe(200);
      expect(visibleText(res.text), query).toContain(`of ${N}`);
    }
  });

  it('keeps the filters when paging and sorting', async () => {
    const html = (await owner.get('/leads?dnm=no&sort=name')).text;
    expect(html).toContain('href="/leads?dnm=no&amp;sort=name&amp;page=2"');
  });

  it('applies filters inside an LSP’s own scope', async () => {
    const mine = specs.filter((s) => s.assignee === 'lsp1');
    expect((await allPages(lsp1, '')).ids).toEqual(mine.sort(byCreatedDesc).map((s) => s.id));
    const { ids } = await allPages(lsp1, 'dnc=yes');
    expect(ids).toEqual(mine.filter((s) => s.dnc).sort(byCreatedDesc).map((s) => s.id));
  });
});
