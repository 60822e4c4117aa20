import { describe, it, expect } from 'vitest';
import {
  compileQuery,
  VisibilityQueryError,
  type SearchAttributeType,
  type VisibilityRecord,
} from '../../emulator/src/visibility.ts';

const TYPES: Record<string, SearchAttributeType> = {
  WorkflowId: 'Keyword',
  WorkflowType: 'Keyword',
  ExecutionStatus: 'Keyword',
  StartTime: 'Datetime',
  CloseTime: 'Datetime',
  HistoryLength: 'Int',
  Score: 'Double',
  Notes: 'Text',
  IsHot: 'Bool',
  Tags: 'KeywordList',
  'Lead Source': 'Keyword',
  Order: 'Keyword',
};
const typeOf = (name: string): SearchAttributeType | undefined => TYPES[name];

const compile = (q: string) => compileQuery(q, typeOf);
const matches = (q: string, rec: VisibilityRecord) => compile(q).matches(rec);
/** The message of the VisibilityQueryError thrown by compiling `q`. */
const errorOf = (q: string): string => {
  try {
    compile(q);
  } catch (e) {
    expect(e).toBeInstanceOf(VisibilityQueryError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(q)} to be rejected`);
};
const ms = (iso: string) => Date.parse(iso);

describe('empty query', () => {
  it('matches everything when empty', () => {
    expect(matches('', {})).toBe(true);
    expect(compile('').orderBy).toEqual([]);
  });

  it('matches everything when whitespace only', () => {
    expect(matches('  \n\t ', { WorkflowId: 'a' })).toBe(true);
  });

  it('compare returns 0 without ORDER BY', () => {
    expect(compile('').compare({ StartTime: 1 }, { StartTime: 2 })).toBe(0);
  });
});

describe('Keyword', () => {
  const rec = { WorkflowId: 'lead-42' };

  it('= is an exact, case-sensitive match', () => {
    expect(matches("WorkflowId = 'lead-42'", rec)).toBe(true);
    expect(matches("WorkflowId = 'Lead-42'", rec)).toBe(false);
    expect(matches("WorkflowId = 'lead'", rec)).toBe(false);
  });

  it('!= and <> are negations of =', () => {
    expect(matches("WorkflowId != 'lead-42'", rec)).toBe(false);
    expect(matches("WorkflowId != 'x'", rec)).toBe(true);
    expect(matches("WorkflowId <> 'lead-42'", rec)).toBe(false);
    expect(matches("WorkflowId <> 'x'", rec)).toBe(true);
  });

  it('ordering comparisons are lexicographic', () => {
    expect(matches("WorkflowId < 'lead-5'", rec)).toBe(true); // '4' < '5'
    expect(matches("WorkflowId < 'lead-100'", rec)).toBe(false); // '4' > '1', not numeric
    expect(matches("WorkflowId <= 'lead-42'", rec)).toBe(true);
    expect(matches("WorkflowId > 'lead-41'", rec)).toBe(true);
    expect(matches("WorkflowId >= 'lead-43'", rec)).toBe(false);
  });

  it('IN is true when the value is one of the list', () => {
    expect(matches("WorkflowId IN ('a', 'lead-42')", rec)).toBe(true);
    expect(matches("WorkflowId IN ('a', 'b')", rec)).toBe(false);
  });

  it('NOT IN is true when the value is none of the list', () => {
    expect(matches("WorkflowId NOT IN ('a', 'b')", rec)).toBe(true);
    expect(matches("WorkflowId NOT IN ('a', 'lead-42')", rec)).toBe(false);
  });

  it('STARTS_WITH matches a prefix', () => {
    expect(matches("WorkflowId STARTS_WITH 'lead-'", rec)).toBe(true);
    expect(matches("WorkflowId STARTS_WITH 'lead-42'", rec)).toBe(true);
    expect(matches("WorkflowId STARTS_WITH 'LEAD'", rec)).toBe(false);
  });

  it('NOT STARTS_WITH negates STARTS_WITH', () => {
    expect(matches("WorkflowId NOT STARTS_WITH 'lead-'", rec)).toBe(false);
    expect(matches("WorkflowId NOT STARTS_WITH 'x'", rec)).toBe(true);
  });

  it('BETWEEN is inclusive at both ends', () => {
    expect(matches("WorkflowId BETWEEN 'lead-40' AND 'lead-49'", rec)).toBe(true);
    expect(matches("WorkflowId BETWEEN 'lead-42' AND 'lead-42'", rec)).toBe(true);
    expect(matches("WorkflowId BETWEEN 'lead-43' AND 'lead-49'", rec)).toBe(false);
  });

  it('NOT BETWEEN negates BETWEEN', () => {
    expect(matches("WorkflowId NOT BETWEEN 'lead-43' AND 'lead-49'", rec)).toBe(true);
    expect(matches("WorkflowId NOT BETWEEN 'lead-40' AND 'lead-49'", rec)).toBe(false);
  });

  it('rejects an unquoted number', () => {
    expect(errorOf('WorkflowId = 42')).toBe(
      'invalid query: search attribute "WorkflowId" of type Keyword expects a quoted string, got 42 at position 14',
    );
  });
});

describe('ExecutionStatus', () => {
  it('matches a valid status case-sensitively', () => {
    expect(matches("ExecutionStatus = 'Running'", { ExecutionStatus: 'Running' })).toBe(true);
    expect(matches("ExecutionStatus = 'Completed'", { ExecutionStatus: 'Running' })).toBe(false);
    expect(matches("ExecutionStatus IN ('Failed', 'TimedOut')", { ExecutionStatus: 'TimedOut' })).toBe(true);
  });

  it('rejects a value that is not a status, naming the valid ones', () => {
    expect(errorOf("ExecutionStatus = 'Done'")).toBe(
      "invalid query: invalid ExecutionStatus value 'Done' at position 19; valid values are " +
        'Running, Completed, Failed, Canceled, Terminated, ContinuedAsNew, TimedOut',
    );
  });

  it('rejects a status in the wrong case', () => {
    expect(errorOf("ExecutionStatus = 'running'")).toMatch(/invalid ExecutionStatus value 'running'/);
  });

  it('rejects an invalid status inside IN', () => {
    expect(errorOf("ExecutionStatus IN ('Running', 'Paused')")).toMatch(/invalid ExecutionStatus value 'Paused'/);
  });
});

describe('Text', () => {
  const rec = { Notes: 'Called back, wants a Quote for auto insurance.' };

  it('= is true when every word of the value appears, ignoring case and order', () => {
    expect(matches("Notes = 'quote'", rec)).toBe(true);
    expect(matches("Notes = 'INSURANCE auto'", rec)).toBe(true);
    expect(matches("Notes = 'auto home'", rec)).toBe(false);
  });

  it('= matches whole words, not substrings', () => {
    expect(matches("Notes = 'insur'", rec)).toBe(false);
    expect(matches("Notes = 'call'", rec)).toBe(false);
  });

  it('!= is the negation of =', () => {
    expect(matches("Notes != 'quote'", rec)).toBe(false);
    expect(matches("Notes != 'home'", rec)).toBe(true);
  });

  it('= with a value of no words matches nothing', () => {
    expect(matches("Notes = '  ,. '", rec)).toBe(false);
  });

  it.each(['<', '<=', '>', '>='])('rejects the ordering comparison %s', (op) => {
    expect(errorOf(`Notes ${op} 'a'`)).toBe(
      `invalid query: operator "${op}" is not supported on Text attribute "Notes" at position 7`,
    );
  });

  it('rejects STARTS_WITH', () => {
    expect(errorOf("Notes STARTS_WITH 'a'")).toBe(
      'invalid query: operator "STARTS_WITH" is not supported on Text attribute "Notes" at position 7',
    );
  });
});

describe('Int', () => {
  const rec = { HistoryLength: 10 };

  it('compares numerically with every comparison operator', () => {
    expect(matches('HistoryLength = 10', rec)).toBe(true);
    expect(matches('HistoryLength != 10', rec)).toBe(false);
    expect(matches('HistoryLength < 9', rec)).toBe(false);
    expect(matches('HistoryLength <= 10', rec)).toBe(true);
    expect(matches('HistoryLength > 9', rec)).toBe(true);
    expect(matches('HistoryLength >= 11', rec)).toBe(false);
  });

  it('accepts negative numbers', () => {
    expect(matches('HistoryLength > -1', rec)).toBe(true);
    expect(matches('HistoryLength BETWEEN -5 AND 5', { HistoryLength: -3 })).toBe(true);
  });

  it('accepts a quoted numeric string', () => {
    expect(matches("HistoryLength = '10'", rec)).toBe(true);
  });

  it('supports IN, NOT IN and BETWEEN', () => {
    expect(matches('HistoryLength IN (1, 10, 100)', rec)).toBe(true);
    expect(matches('HistoryLength NOT IN (1, 10)', rec)).toBe(false);
    expect(matches('HistoryLength BETWEEN 10 AND 20', rec)).toBe(true);
    expect(matches('HistoryLength BETWEEN 11 AND 20', rec)).toBe(false);
  });

  it('rejects a non-numeric string', () => {
    expect(errorOf("HistoryLength = 'ten'")).toBe(
      "invalid query: search attribute \"HistoryLength\" of type Int expects an integer, got 'ten' at position 17",
    );
  });

  it('rejects a decimal', () => {
    expect(errorOf('HistoryLength = 1.5')).toMatch(/of type Int expects an integer, got 1\.5/);
  });
});

describe('Double', () => {
  const rec = { Score: 0.75 };

  it('compares decimals numerically', () => {
    expect(matches('Score = 0.75', rec)).toBe(true);
    expect(matches('Score > 0.5', rec)).toBe(true);
    expect(matches('Score < .5', rec)).toBe(false);
    expect(matches('Score >= 1', rec)).toBe(false);
    expect(matches('Score <= -0.25', rec)).toBe(false);
    expect(matches('Score != 0.75', rec)).toBe(false);
  });

  it('accepts a quoted numeric string', () => {
    expect(matches("Score = '0.75'", rec)).toBe(true);
  });

  it('rejects a non-numeric value', () => {
    expect(errorOf("Score > 'high'")).toMatch(/search attribute "Score" of type Double expects a number, got 'high'/);
    expect(errorOf('Score > true')).toMatch(/of type Double expects a number, got true/);
  });
});

describe('Bool', () => {
  it('= and != compare with true and false', () => {
    expect(matches('IsHot = true', { IsHot: true })).toBe(true);
    expect(matches('IsHot = false', { IsHot: true })).toBe(false);
    expect(matches('IsHot != true', { IsHot: false })).toBe(true);
  });

  it('accepts TRUE/FALSE in any case and quoted', () => {
    expect(matches('IsHot = TRUE', { IsHot: true })).toBe(true);
    expect(matches("IsHot = 'true'", { IsHot: true })).toBe(true);
    expect(matches('IsHot = "False"', { IsHot: false })).toBe(true);
  });

  it('rejects ordering comparisons', () => {
    expect(errorOf('IsHot > false')).toBe(
      'invalid query: operator ">" is not supported on Bool attribute "IsHot" at position 7',
    );
  });

  it('rejects IN', () => {
    expect(errorOf('IsHot IN (true)')).toMatch(/operator "IN" is not supported on Bool attribute "IsHot"/);
  });

  it('rejects a value that is not true or false', () => {
    expect(errorOf("IsHot = 'yes'")).toMatch(/of type Bool expects true or false, got 'yes'/);
    expect(errorOf('IsHot = 1')).toMatch(/of type Bool expects true or false, got 1/);
  });
});

describe('Datetime', () => {
  const rec = { StartTime: ms('2024-01-02T03:04:05.000Z') };

  it('compares instants given in UTC', () => {
    expect(matches("StartTime = '2024-01-02T03:04:05Z'", rec)).toBe(true);
    expect(matches("StartTime > '2024-01-02T03:04:04Z'", rec)).toBe(true);
    expect(matches("StartTime >= '2024-01-02T03:04:06Z'", rec)).toBe(false);
    expect(matches("StartTime < '2024-01-02T03:04:06Z'", rec)).toBe(true);
    expect(matches("StartTime <= '2024-01-02T03:04:04Z'", rec)).toBe(false);
    expect(matches("StartTime != '2024-01-02T03:04:05Z'", rec)).toBe(false);
  });

  it('applies a numeric offset and fractional seconds', () => {
    expect(matches("StartTime = '2024-01-02T05:04:05.000+02:00'", rec)).toBe(true);
    expect(matches("StartTime = '2024-01-01T22:04:05-05:00'", rec)).toBe(true);
    expect(matches("StartTime < '2024-01-02T03:04:05.123+00:00'", rec)).toBe(true);
  });

  it('truncates fractional seconds beyond milliseconds', () => {
    expect(matches("StartTime = '2024-01-02T03:04:05.000999999Z'", rec)).toBe(true);
  });

  it('reads a date alone as midnight UTC', () => {
    expect(matches("StartTime > '2024-01-02'", rec)).toBe(true);
    expect(matches("StartTime = '2024-01-02'", { StartTime: ms('2024-01-02T00:00:00Z') })).toBe(true);
  });

  it('supports BETWEEN and IN', () => {
    expect(matches("StartTime BETWEEN '2024-01-01' AND '2024-01-03'", rec)).toBe(true);
    expect(matches("StartTime IN ('2024-01-02T03:04:05Z', '2025-01-01')", rec)).toBe(true);
  });

  it('rejects a string that is not a datetime', () => {
    expect(errorOf("StartTime > 'yesterday'")).toBe(
      'invalid query: search attribute "StartTime" of type Datetime expects an RFC 3339 datetime such as ' +
        "'2024-01-02T03:04:05Z', got 'yesterday' at position 13",
    );
  });

  it('rejects an out-of-range date rather than rolling it over', () => {
    expect(errorOf("StartTime > '2023-02-29'")).toMatch(/of type Datetime expects an RFC 3339 datetime/);
    expect(errorOf("StartTime > '2024-13-01T00:00:00Z'")).toMatch(/of type Datetime expects/);
    expect(errorOf("StartTime > '2024-01-01T24:00:00Z'")).toMatch(/of type Datetime expects/);
  });

  it('accepts February 29 in a leap year', () => {
    expect(matches("StartTime > '2024-02-29'", { StartTime: ms('2024-03-01T00:00:00Z') })).toBe(true);
  });

  it('rejects a number', () => {
    expect(errorOf('StartTime > 1704164645000000000')).toMatch(/of type Datetime expects an RFC 3339 datetime/);
  });
});

describe('KeywordList', () => {
  const rec = { Tags: ['auto', 'vip'] };

  it('= is true when the list contains the value', () => {
    expect(matches("Tags = 'vip'", rec)).toBe(true);
    expect(matches("Tags = 'home'", rec)).toBe(false);
  });

  it('!= is true when the list does not contain the value', () => {
    expect(matches("Tags != 'home'", rec)).toBe(true);
    expect(matches("Tags != 'vip'", rec)).toBe(false);
  });

  it('IN is true when the list contains any of the values', () => {
    expect(matches("Tags IN ('home', 'auto')", rec)).toBe(true);
    expect(matches("Tags IN ('home', 'life')", rec)).toBe(false);
  });

  it('NOT IN is true when the list contains none of the values', () => {
    expect(matches("Tags NOT IN ('home', 'life')", rec)).toBe(true);
    expect(matches("Tags NOT IN ('home', 'auto')", rec)).toBe(false);
  });

  it('STARTS_WITH is true when any element has the prefix', () => {
    expect(matches("Tags STARTS_WITH 'vi'", rec)).toBe(true);
    expect(matches("Tags STARTS_WITH 'x'", rec)).toBe(false);
  });

  it.each(['<', '<=', '>', '>='])('rejects the ordering comparison %s', (op) => {
    expect(errorOf(`Tags ${op} 'a'`)).toBe(
      `invalid query: operator "${op}" is not supported on KeywordList attribute "Tags" at position 6`,
    );
  });

  it('rejects BETWEEN', () => {
    expect(errorOf("Tags BETWEEN 'a' AND 'b'")).toMatch(/operator "BETWEEN" is not supported on KeywordList/);
  });

  it('treats an empty list as null', () => {
    expect(matches('Tags IS NULL', { Tags: [] })).toBe(true);
    expect(matches('Tags IS NOT NULL', { Tags: [] })).toBe(false);
  });
});

describe('absent attributes', () => {
  it('make positive comparisons false', () => {
    for (const q of [
      "WorkflowType = 'x'",
      "WorkflowType < 'x'",
      "WorkflowType > 'x'",
      "WorkflowType IN ('x')",
      "WorkflowType STARTS_WITH 'x'",
      "WorkflowType BETWEEN 'a' AND 'z'",
      "Notes = 'x'",
      "Tags = 'x'",
      'HistoryLength >= 0',
      'IsHot = false',
      "StartTime < '2100-01-01'",
    ]) {
      expect(matches(q, {}), q).toBe(false);
    }
  });

  it('make != and NOT IN true', () => {
    for (const q of [
      "WorkflowType != 'x'",
      "WorkflowType <> 'x'",
      "WorkflowType NOT IN ('x')",
      "WorkflowType NOT STARTS_WITH 'x'",
      "WorkflowType NOT BETWEEN 'a' AND 'z'",
      "Tags != 'x'",
      "Tags NOT IN ('x')",
      "Notes != 'x'",
      'IsHot != true',
    ]) {
      expect(matches(q, {}), q).toBe(true);
    }
  });

  it('make IS NULL true and IS NOT NULL false', () => {
    expect(matches('WorkflowType IS NULL', {})).toBe(true);
    expect(matches('WorkflowType IS NOT NULL', {})).toBe(false);
  });

  it('present attributes make IS NULL false and IS NOT NULL true', () => {
    expect(matches('CloseTime is null', { CloseTime: 0 })).toBe(false);
    expect(matches('CloseTime is not null', { CloseTime: 0 })).toBe(true);
  });

  it('treats a value of the wrong JS type as absent', () => {
    expect(matches('HistoryLength = 10', { HistoryLength: '10' })).toBe(false);
    expect(matches('HistoryLength IS NULL', { HistoryLength: '10' })).toBe(true);
  });
});

describe('AND, OR and parentheses', () => {
  const rec = { WorkflowType: 'Lead', HistoryLength: 10, IsHot: false };

  it('AND requires both sides', () => {
    expect(matches("WorkflowType = 'Lead' AND HistoryLength = 10", rec)).toBe(true);
    expect(matches("WorkflowType = 'Lead' AND HistoryLength = 11", rec)).toBe(false);
  });

  it('OR requires either side', () => {
    expect(matches("WorkflowType = 'X' OR HistoryLength = 10", rec)).toBe(true);
    expect(matches("WorkflowType = 'X' OR HistoryLength = 11", rec)).toBe(false);
  });

  it('AND binds tighter than OR', () => {
    // true OR (false AND false) = true; (true OR false) AND false would be false.
    expect(matches("WorkflowType = 'Lead' OR IsHot = true AND HistoryLength = 0", rec)).toBe(true);
    // (false AND true) OR true = true; false AND (true OR true) would be false.
    expect(matches("IsHot = true AND WorkflowType = 'Lead' OR HistoryLength = 10", rec)).toBe(true);
  });

  it('parentheses override precedence', () => {
    expect(matches("(WorkflowType = 'Lead' OR IsHot = true) AND HistoryLength = 0", rec)).toBe(false);
    expect(matches("IsHot = true AND (WorkflowType = 'Lead' OR HistoryLength = 10)", rec)).toBe(false);
  });

  it('parentheses nest', () => {
    expect(matches("((WorkflowType = 'Lead') AND ((HistoryLength > 5) OR (IsHot = true)))", rec)).toBe(true);
  });

  it('the AND inside BETWEEN is not a logical AND', () => {
    expect(matches("HistoryLength BETWEEN 1 AND 20 AND WorkflowType = 'Lead'", rec)).toBe(true);
    expect(matches("HistoryLength BETWEEN 1 AND 20 AND WorkflowType = 'X'", rec)).toBe(false);
  });

  it('keywords are case-insensitive', () => {
    expect(matches("WorkflowType = 'X' or HistoryLength between 1 and 20 And Tags not in ('a')", rec)).toBe(true);
  });
});

describe('lexical details', () => {
  it('accepts double-quoted strings', () => {
    expect(matches('WorkflowType = "Lead"', { WorkflowType: 'Lead' })).toBe(true);
  });

  it('a doubled quote escapes a quote', () => {
    expect(matches("WorkflowId = 'O''Brien'", { WorkflowId: "O'Brien" })).toBe(true);
    expect(matches('WorkflowId = "say ""hi"""', { WorkflowId: 'say "hi"' })).toBe(true);
  });

  it('a backslash escapes a quote or a backslash, and is otherwise literal', () => {
    expect(matches("WorkflowId = 'O\\'Brien'", { WorkflowId: "O'Brien" })).toBe(true);
    expect(matches("WorkflowId = 'a\\\\b'", { WorkflowId: 'a\\b' })).toBe(true);
    expect(matches("WorkflowId = 'C:\\temp'", { WorkflowId: 'C:\\temp' })).toBe(true);
  });

  it('back-quoted names may contain spaces or be keywords', () => {
    expect(matches("`Lead Source` = 'web'", { 'Lead Source': 'web' })).toBe(true);
    expect(matches("`Order` = 'x'", { Order: 'x' })).toBe(true);
  });

  it('tolerates no whitespace around operators', () => {
    expect(matches("WorkflowId='a'AND HistoryLength>=-2", { WorkflowId: 'a', HistoryLength: 0 })).toBe(true);
  });
});

describe('ORDER BY', () => {
  it('lists clauses with ASC as the default', () => {
    expect(compile("WorkflowType = 'Lead' ORDER BY StartTime DESC, WorkflowId").orderBy).toEqual([
      { field: 'StartTime', desc: true },
      { field: 'WorkflowId', desc: false },
    ]);
    expect(compile('order by HistoryLength asc').orderBy).toEqual([{ field: 'HistoryLength', desc: false }]);
  });

  it('may stand alone, matching everything', () => {
    expect(compile('ORDER BY StartTime').matches({})).toBe(true);
  });

  it('compare sorts ascending', () => {
    const recs = [{ HistoryLength: 3 }, { HistoryLength: 1 }, { HistoryLength: 2 }];
    recs.sort(compile('ORDER BY HistoryLength').compare);
    expect(recs.map((r) => r.HistoryLength)).toEqual([1, 2, 3]);
  });

  it('compare sorts descending', () => {
    const recs = [{ StartTime: 2 }, { StartTime: 3 }, { StartTime: 1 }];
    recs.sort(compile('ORDER BY StartTime DESC').compare);
    expect(recs.map((r) => r.StartTime)).toEqual([3, 2, 1]);
  });

  it('compare breaks ties with later clauses', () => {
    const recs: VisibilityRecord[] = [
      { WorkflowType: 'b', WorkflowId: '1' },
      { WorkflowType: 'a', WorkflowId: '1' },
      { WorkflowType: 'b', WorkflowId: '2' },
    ];
    recs.sort(compile('ORDER BY WorkflowType, WorkflowId DESC').compare);
    expect(recs).toEqual([
      { WorkflowType: 'a', WorkflowId: '1' },
      { WorkflowType: 'b', WorkflowId: '2' },
      { WorkflowType: 'b', WorkflowId: '1' },
    ]);
  });

  it('compare puts absent values last in either direction', () => {
    const recs: VisibilityRecord[] = [{ CloseTime: undefined }, { CloseTime: 1 }, {}, { CloseTime: 2 }];
    recs.sort(compile('ORDER BY CloseTime ASC').compare);
    expect(recs.map((r) => r.CloseTime)).toEqual([1, 2, undefined, undefined]);
    recs.sort(compile('ORDER BY CloseTime DESC').compare);
    expect(recs.map((r) => r.CloseTime)).toEqual([2, 1, undefined, undefined]);
  });

  it('compare orders booleans false before true', () => {
    const recs = [{ IsHot: true }, { IsHot: false }];
    recs.sort(compile('ORDER BY IsHot').compare);
    expect(recs.map((r) => r.IsHot)).toEqual([false, true]);
  });

  it('rejects a KeywordList attribute', () => {
    expect(errorOf('ORDER BY Tags')).toBe('invalid query: cannot ORDER BY KeywordList attribute "Tags" at position 10');
  });

  it('rejects a Text attribute', () => {
    expect(errorOf('ORDER BY Notes DESC')).toBe('invalid query: cannot ORDER BY Text attribute "Notes" at position 10');
  });

  it('rejects an unknown attribute', () => {
    expect(errorOf('ORDER BY Nope')).toBe('invalid query: unknown search attribute "Nope"');
  });

  it('must come last', () => {
    expect(errorOf("ORDER BY StartTime WorkflowId = 'a'")).toBe(
      'invalid query: expected "," or end of query but found "WorkflowId" at position 20',
    );
  });

  it('requires BY', () => {
    expect(errorOf('ORDER StartTime')).toBe(
      'invalid query: expected "BY" after "ORDER" but found "StartTime" at position 7',
    );
  });
});

describe('errors', () => {
  it('are VisibilityQueryErrors', () => {
    expect(() => compile('Foo = 1')).toThrow(VisibilityQueryError);
  });

  it('names an unknown attribute', () => {
    expect(errorOf("Foo = 'x'")).toBe('invalid query: unknown search attribute "Foo"');
  });

  it('treats attribute names as case-sensitive', () => {
    expect(errorOf("workflowid = 'x'")).toBe('invalid query: unknown search attribute "workflowid"');
  });

  it('reports a missing value with its position', () => {
    expect(errorOf('WorkflowId = ')).toBe('invalid query: expected a value after "=" at position 14');
  });

  it('hints that a bare word value needs quotes', () => {
    expect(errorOf('WorkflowType = Lead')).toBe(
      'invalid query: expected a value after "=" but found "Lead" at position 16 (string values must be quoted)',
    );
  });

  it('reports an unterminated string', () => {
    expect(errorOf("WorkflowId = 'abc")).toBe('invalid query: unterminated string starting at position 14');
    expect(errorOf("WorkflowId = 'it''")).toBe('invalid query: unterminated string starting at position 14');
  });

  it('reports an unterminated back-quoted name', () => {
    expect(errorOf('`Lead Source = 1')).toBe('invalid query: unterminated attribute name starting at position 1');
  });

  it('reports a missing operator', () => {
    expect(errorOf("WorkflowId 'a'")).toMatch(
      /^invalid query: expected an operator .* after "WorkflowId" but found "'a'" at position 12$/,
    );
  });

  it('reports a missing attribute after AND', () => {
    expect(errorOf("WorkflowId = 'a' AND")).toBe(
      'invalid query: expected a search attribute name after "AND" at position 21',
    );
  });

  it('reports a trailing token', () => {
    expect(errorOf("WorkflowId = 'a' 'b'")).toBe(
      `invalid query: expected "AND", "OR", "ORDER BY" or end of query but found "'b'" at position 18`,
    );
  });

  it('reports an unclosed parenthesis', () => {
    expect(errorOf("(WorkflowId = 'a'")).toBe(
      'invalid query: expected ")" to close "(" at position 1, but the query ended',
    );
  });

  it('reports an unexpected closing parenthesis', () => {
    expect(errorOf("WorkflowId = 'a')")).toMatch(/but found "\)" at position 17$/);
  });

  it('reports an unexpected character', () => {
    expect(errorOf("WorkflowId == 'a'")).toBe('invalid query: expected a value after "=" but found "=" at position 13');
    expect(errorOf("WorkflowId = 'a' && x")).toBe('invalid query: unexpected character "&" at position 18');
  });

  it('reports an empty IN list', () => {
    expect(errorOf('HistoryLength IN ()')).toBe(
      'invalid query: expected a value after "(" but found ")" at position 19',
    );
  });

  it('reports a malformed IN list', () => {
    expect(errorOf('HistoryLength IN (1 2)')).toBe(
      'invalid query: expected "," or ")" after "1" but found "2" at position 21',
    );
    expect(errorOf('HistoryLength IN 1')).toBe('invalid query: expected "(" after "IN" but found "1" at position 18');
  });

  it('reports BETWEEN without AND', () => {
    expect(errorOf('HistoryLength BETWEEN 1 OR 2')).toBe(
      'invalid query: expected "AND" after "1" but found "OR" at position 25',
    );
  });

  it('reports IS without NULL', () => {
    expect(errorOf('CloseTime IS NOT 5')).toBe(
      'invalid query: expected "NULL" after "NOT" but found "5" at position 18',
    );
  });

  it('rejects NOT before a condition with a suggestion', () => {
    expect(errorOf("NOT WorkflowId = 'a'")).toMatch(/NOT before a condition is not supported at position 1; use !=/);
  });

  it('rejects a malformed number', () => {
    expect(errorOf('HistoryLength = 12abc')).toBe('invalid query: invalid number "12abc" at position 17');
  });

  it('reports syntax errors before unknown attributes', () => {
    expect(errorOf('Foo = ')).toMatch(/expected a value/);
  });
});
