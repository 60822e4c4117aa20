// The duplicate key decides who a person is: two different people at one address must never
// share a lead, whatever script their names are written in, and the same person must merge
// however invisible characters or case differ. Through intake on the real database.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeLead, type IntakeInput } from '../../db/intake/index.ts';
import { duplicateKey } from '../../workflows/lead/dedupe.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createAccountWithAdmin } from '../support/fixtures.ts';
import { createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal.ts';

let db: TestDatabase;
let env: TestWorkflowEnvironment;
let accountId: string;
const taskQueue = uniqueTaskQueue('dupkey');

beforeAll(async () => {
  db = await createTestDatabase();
  env = await createTimeSkippingEnv();
  accountId = (await createAccountWithAdmin(db.knex)).accountId;
});

afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

let street = 100;
const at = (firstName: string, lastName: string, line1: string): IntakeInput => ({
  firstName,
  lastName,
  address: { line1, city: 'Houston', state: 'TX', zip: '77002' },
  phones: [],
  emails: [],
  source: 'web_vendor',
});

async function intakeAll(names: Array<[string, string]>) {
  const line1 = `${(street += 1)} Main St`;
  const results = [];
  for (const [f, l] of names) results.push(await intakeLead({ db: db.knex, temporal: env.client, taskQueue }, accountId, at(f, l, line1)));
  return results;
}

const key = (firstName: string, lastName = 'Lee') => duplicateKey({ firstName, lastName, addressLine1: '1 Main St', city: 'Austin', state: 'TX', zip: '78701' });

describe('duplicate key', () => {
  it.each([
    ['CJK', [['山田', '太郎'], ['田中', '花子'], ['王', '伟'], ['李', '伟']]],
    ['Arabic', [['محمد', 'علي'], ['أحمد', 'علي'], ['احمد', 'علي']]],
    ['Hangul', [['민준', '김'], ['서연', '김']]],
    ['Cyrillic and Greek', [['Иван', 'Петров'], ['Ivan', 'Petrov'], ['Γιώργος', 'Παπαδόπουλος']]],
    ['emoji', [['Sky 😀', 'Smith'], ['Sky 😎', 'Smith'], ['Sky', 'Smith']]],
    ['Devanagari', [['अमित', 'शर्मा'], ['अमिता', 'शर्मा']]],
  ])('keeps different people apart when their names are written in %s', async (_script, names) => {
    const results = await intakeAll(names as Array<[string, string]>);
    expect(results.every((r) => !r.merged)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(names.length);
  });

  it('merges the same person whatever the case, width, spacing or invisible characters', async () => {
    const twins = await intakeAll([
      ['AnnMarie', 'Lee'],
      ['ANNMARIE', 'LEE'],
      ['Ann\u200bMarie', 'Lee'], // zero-width space: a paste from a web page
      ['Ann\u00adMarie', 'Lee'], // soft hyphen
      ['\uff21nnMarie', 'Lee'], // full-width A
    ]);
    expect(new Set(twins.map((r) => r.id)).size).toBe(1);
    expect(twins.slice(1).every((r) => r.merged)).toBe(true);
    const spaced = await intakeAll([
      ['Ann Marie', 'Lee'],
      ['ANN  MARIE', 'lee'],
      ['Ann\u00a0Marie', 'Lee'], // no-break space
      ['Ann\u3000Marie', 'Lee'], // ideographic space
    ]);
    expect(new Set(spaced.map((r) => r.id)).size).toBe(1);
  });

  it('folds case the Unicode way, beyond what upper and lower case of English do', () => {
    expect(key('STRASSE')).toBe(key('straße'));
    expect(key('ΣΊΣΥΦΟΣ')).toBe(key('σίσυφος'));
    expect(key('İlker')).not.toBe(key('Ilker')); // dotted and dotless I are different letters
    expect(key('José')).toBe(key('Jose\u0301')); // composed and decomposed accents
    expect(key('José')).not.toBe(key('Jose'));
  });
});
