// The objection models against the migrated schema: a column added, dropped, made nullable or
// given other allowed values in a migration fails here until its model says the same.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { JSONSchema } from 'objection';
import { Account, Assignment, EmailOutbox, Import, Lead, LeadEvent, LeadSourceTouch, User, type LeadStatus, type Row } from '../../db/models/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

interface Column {
  column_name: string;
  is_nullable: 'YES' | 'NO';
  data_type: string;
  column_default: string | null;
}

const types = (s: JSONSchema) => (Array.isArray(s.type) ? s.type : [s.type]);

/** The JSON types (null aside) and keywords a column of this Postgres type has in a model's jsonSchema. */
function expectedSchema(dataType: string): { types: string[]; format?: string; timestamptz?: true } {
  switch (dataType) {
    case 'text':
      return { types: ['string'] };
    case 'uuid':
      return { types: ['string'], format: 'uuid' };
    case 'boolean':
      return { types: ['boolean'] };
    case 'integer':
      return { types: ['integer'] };
    case 'bigint':
      return { types: ['string'] };
    case 'timestamp with time zone':
      return { types: ['string', 'object'], timestamptz: true };
    case 'ARRAY':
      return { types: ['array'] };
    case 'jsonb':
      return { types: expect.any(Array) as unknown as string[] };
    default:
      throw new Error(`no schema for a ${dataType} column: add one to db/models/base.ts`);
  }
}

/** The values each check constraint of the table allows, by column. */
async function checkedValues(table: string): Promise<Map<string, string[]>> {
  const { rows } = await db.knex.raw<{ rows: Array<{ def: string }> }>(
    "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'c'",
    [table],
  );
  const byColumn = new Map<string, string[]>();
  for (const { def } of rows) {
    const m = /^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$/.exec(def);
    if (!m) throw new Error(`a check constraint this test cannot read: ${def}`);
    byColumn.set(m[1]!, [...m[2]!.matchAll(/'([^']*)'::text/g)].map((v) => v[1]!));
  }
  return byColumn;
}

describe.each([Account, User, Lead, LeadEvent, LeadSourceTouch, Assignment, EmailOutbox, Import].map((model) => ({ table: model.tableName, model })))('the $table model', ({ model }) => {
  const schema = model.jsonSchema;
  const properties = schema.properties as Record<string, JSONSchema>;
  const columnOf = (property: string) => model.propertyNameToColumnName(property);

  it('has a property for each column and no other, typed and nullable as the column is', async () => {
    const columns: Column[] = await db.knex('information_schema.columns').where({ table_schema: db.knex.raw('current_schema()'), table_name: model.tableName }).select('column_name', 'is_nullable', 'data_type', 'column_default');
    expect(Object.keys(properties).map(columnOf).sort()).toEqual(columns.map((c) => c.column_name).sort());
    for (const c of columns) {
      const property = properties[model.columnNameToPropertyName(c.column_name)]!;
      expect({ column: c.column_name, nullable: types(property).includes('null') }).toEqual({ column: c.column_name, nullable: c.is_nullable === 'YES' });
      const { types: expectedTypes, ...keywords } = expectedSchema(c.data_type);
      expect({ ...property, types: types(property).filter((t) => t !== 'null') }, c.column_name).toMatchObject({ types: expectedTypes, ...keywords });
      if (c.data_type === 'jsonb') expect(model.jsonAttributes, c.column_name).toContain(model.columnNameToPropertyName(c.column_name));
    }
    const mandatory = columns.filter((c) => c.is_nullable === 'NO' && c.column_default === null).map((c) => c.column_name);
    expect((schema.required ?? []).map(columnOf).sort()).toEqual(mandatory.sort());
  });

  it('allows exactly the values of each check constraint', async () => {
    const checked = await checkedValues(model.tableName);
    const enums = Object.entries(properties).filter(([, p]) => p.enum);
    expect(enums.map(([name]) => columnOf(name)).sort()).toEqual([...checked.keys()].sort());
    for (const [name, p] of enums) expect(p.enum!.filter((v) => v !== null).sort()).toEqual([...checked.get(columnOf(name))!].sort());
  });
});

describe('a lead graph', () => {
  it('is written and read back whole: the lead, its assignee, history, touches and assignments', async () => {
    const account = await Account.query(db.knex).insertAndFetch({ name: 'Model Agency', agentIds: ['A0MODEL'] });
    expect(account).toMatchObject({ sharkTank: false, paidSeats: 0, eagentMilestone: null });
    expect(account.createdAt).toBeInstanceOf(Date);
    const lsp = await User.query(db.knex).insertAndFetch({ accountId: account.id, username: 'model.lsp', email: 'lsp@model.test', name: 'Model LSP', role: 'lsp', passwordHash: 'x' });
    expect(lsp.status).toBe('active');
    const at = new Date('2026-12-01T10:00:00.000Z');
    const inserted = await Lead.query(db.knex).insertGraphAndFetch({
      accountId: account.id,
      firstName: 'Ada',
      lastName: 'Model',
      dupKey: 'ada|model|1 graph st',
      source: 'mwi',
      phones: [{ raw: '217 555 0101', e164: '+12175550101', valid: true }],
      emails: [],
      segment: 'highly_engaged',
      assignedUserId: lsp.id,
      nextFollowUpAt: at,
      events: [{ type: 'created', actorSystem: 'test', data: { via: 'model test' }, createdAt: at }],
      touches: [{ source: 'mwi', payload: { first_name: 'Ada' }, receivedAt: at }],
      assignments: [{ userId: lsp.id, reason: 'model test' }],
    });
    // The children took the lead's id and account from the relation.
    expect(inserted.events![0]).toMatchObject({ leadId: inserted.id, accountId: account.id });

    const lead = await Lead.query(db.knex).findById(inserted.id).withGraphFetched('[assignee(name), events, touches, assignments.user(name)]');
    expect(lead).toMatchObject({
      status: 'new',
      milestone: 'new',
      kind: 'P',
      phones: [{ raw: '217 555 0101', e164: '+12175550101', valid: true }],
      nextFollowUpAt: at,
      scrubbedAt: null,
      assignee: { id: lsp.id, name: 'Model LSP', username: 'model.lsp' },
      events: [{ type: 'created', actorSystem: 'test', data: { via: 'model test' }, createdAt: at, idempotencyKey: null }],
      touches: [{ source: 'mwi', payload: { first_name: 'Ada' }, receivedAt: at }],
      assignments: [{ reason: 'model test', userId: lsp.id, user: { name: 'Model LSP' } }],
    });
    expect(lead!.events![0]!.id).toMatch(/^\d+$/);
  });

  it('leaves out rows another account wrote under the lead id', async () => {
    const [mine, theirs] = await Promise.all(['Mine', 'Theirs'].map((name, i) => Account.query(db.knex).insertAndFetch({ name, agentIds: [`A0SCOPE${i}`] })));
    const lead = await Lead.query(db.knex).insertAndFetch({ accountId: mine!.id, firstName: 'B', lastName: 'C', dupKey: 'b|c', source: 'manual' });
    await LeadEvent.query(db.knex).insert({ leadId: lead.id, accountId: theirs!.id, type: 'note', actorSystem: 'test' });
    expect(await lead.$relatedQuery('events', db.knex)).toEqual([]);
  });

  it('refuses a value the schema does not allow before it reaches Postgres', async () => {
    await expect(User.query(db.knex).insert({ accountId: '00000000-0000-0000-0000-000000000000', username: 'x', email: 'x', name: 'x', role: 'boss' as never, passwordHash: 'x' })).rejects.toThrow(/role/);
    await expect(Lead.query(db.knex).insert({ accountId: '00000000-0000-0000-0000-000000000000', firstName: 'x', lastName: 'x', dupKey: 'x', source: 'x', nextFollowUpAt: 'tomorrow' as never })).rejects.toThrow(/nextFollowUpAt/);
  });
});

describe('a knex row typed by its model', () => {
  it('has the snake_case columns with the model\'s types, and no relations (checked by tsc)', () => {
    expectTypeOf<Row<Lead>>().toHaveProperty('address_line1').toEqualTypeOf<string>();
    expectTypeOf<Row<Lead>>().toHaveProperty('scrubbed_at').toEqualTypeOf<Date | null>();
    expectTypeOf<Row<Lead>>().toHaveProperty('status').toEqualTypeOf<LeadStatus>();
    expectTypeOf<Row<Lead>>().not.toHaveProperty('events');
    expectTypeOf<Row<Lead>>().not.toHaveProperty('assignee');
  });
});
