import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoAccount } from '../../db/seed.ts';
import { accountSeatUsage, assertSeatAvailable, NoSeatAvailableError, seatUsage } from '../../db/seats.ts';
import { hashPassword, sha256, verifyPassword } from '../../db/passwords.ts';
import { Lead, User } from '../../db/models/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

describe('demo seed', () => {
  it('creates an agency with an owner, two LSPs, a support user, leads from several sources and an API key', async () => {
    const r = await seedDemoAccount(db.knex, { apiKey: 'lf_demo_key_for_tests' });
    expect(r.created).toBe(true);
    const users = await User.query(db.knex).where('account_id', r.accountId);
    expect(users.map((u) => u.role).sort()).toEqual(['lsp', 'lsp', 'owner', 'support']);
    const owner = users.find((u) => u.role === 'owner')!;
    expect(owner.username).toBe('A0DEMO1');
    expect(await verifyPassword('owner-demo-pass', owner.passwordHash)).toBe(true);
    const leads = await Lead.query(db.knex).where('account_id', r.accountId);
    expect(new Set(leads.map((l) => l.source)).size).toBeGreaterThanOrEqual(5);
    const key = await db.knex('api_keys').where({ key_hash: sha256('lf_demo_key_for_tests') }).first();
    expect(key.account_id).toBe(r.accountId);
    expect(await db.knex('workflow_templates').where({ account_id: r.accountId }).count('* as n').first()).toMatchObject({ n: '6' });
  });

  it('does nothing the second time', async () => {
    const before = await db.knex('leads').count('* as n').first();
    const r = await seedDemoAccount(db.knex);
    expect(r.created).toBe(false);
    expect(await db.knex('leads').count('* as n').first()).toEqual(before);
  });
});

describe('seats', () => {
  it('counts two free seats plus paid ones, taken by active users other than the owner', () => {
    expect(seatUsage(1, 3)).toMatchObject({ total: 3, used: 3, available: 0, monthlyCostUsd: 25 });
  });

  it('refuses another active user when every seat is taken, with a message that says how to free one', async () => {
    const { accountId } = await seedDemoAccount(db.knex);
    await expect(db.knex.transaction((trx) => assertSeatAvailable(trx, accountId))).rejects.toThrow(NoSeatAvailableError);
    await expect(db.knex.transaction((trx) => assertSeatAvailable(trx, accountId))).rejects.toThrow(/Inactive to free a seat/);
  });

  it('frees a seat when a user is set inactive', async () => {
    const { accountId } = await seedDemoAccount(db.knex);
    await db.knex('users').where({ account_id: accountId, username: 'lsp.sam' }).update({ status: 'inactive' });
    expect((await accountSeatUsage(db.knex, accountId)).available).toBe(1);
    await db.knex.transaction((trx) => assertSeatAvailable(trx, accountId));
  });
});

describe('passwords', () => {
  it('hashes with a per-password salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('wrong horse', a)).toBe(false);
  });
});
