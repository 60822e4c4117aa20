// Temporal's visibility list filter: the SQL-like `query` of ListWorkflowExecutions and
// CountWorkflowExecutions, e.g. `WorkflowType = 'Lead' AND StartTime > '2024-01-01T00:00:00Z' ORDER BY StartTime DESC`.
//
// The pipeline is tokenize -> parse (recursive descent, into an AST) -> compile (type-check every
// attribute and value against the namespace's registered search attributes, then build closures).
// Parsing is kept free of type knowledge so a syntax error is reported the same way whatever the
// namespace has registered; the compile step is where "unknown attribute" and "wrong value type"
// are caught, which is also the order the real server reports them in.

import type { IPayload } from './proto.ts';

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** A workflow's indexed values; Datetime values are epoch milliseconds (number), KeywordList values are string[], absent attributes are undefined. */
export type VisibilityRecord = Record<string, string | number | boolean | string[] | undefined>;

export class VisibilityQueryError extends Error {
  constructor(message: string) {
    super(`invalid query: ${message}`);
    this.name = 'VisibilityQueryError';
  }
}

export interface CompiledQuery {
  matches(rec: VisibilityRecord): boolean;
  /** ORDER BY clauses, in order; empty when none. */
  orderBy: { field: string; desc: boolean }[];
  /** Compare two records by orderBy (for Array.sort); 0 when orderBy is empty. */
  compare(a: VisibilityRecord, b: VisibilityRecord): number;
}

/**
 * Compiles a query. `typeOf(name)` returns the type of a registered attribute (system or custom) or undefined when the
 * name is unknown. Throws VisibilityQueryError with a clear, specific message (e.g. `invalid query: unknown search attribute "Foo"`,
 * `invalid query: expected a value after "=" at position 14`) for syntax errors, unknown attributes, and values that do not fit
 * the attribute's type (e.g. a non-number for an Int, an unparseable datetime). An empty or whitespace-only query matches everything.
 */
export function compileQuery(query: string, typeOf: (name: string) => SearchAttributeType | undefined): CompiledQuery {
  const ast = new Parser(tokenize(query)).parseQuery();
  const matches = ast.where ? compileExpr(ast.where, typeOf) : () => true;
  const keys = ast.orderBy.map((o) => compileOrderKey(o, typeOf));
  return {
    matches,
    orderBy: ast.orderBy.map((o) => ({ field: o.attr.name, desc: o.desc })),
    compare(a, b) {
      for (const key of keys) {
        const c = key(a, b);
        if (c !== 0) return c;
      }
      return 0;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind =
  | 'word' // bare identifier; may be a keyword, which is decided by the parser from context
  | 'name' // back-quoted identifier; never a keyword
  | 'string'
  | 'number'
  | 'op' // = != <> < <= > >=
  | '('
  | ')'
  | ','
  | 'eof';

interface Token {
  kind: TokenKind;
  /** Source text, for error messages. */
  raw: string;
  /** Unescaped string, identifier name, or the operator with `<>` normalised to `!=`. */
  value: string;
  /** 1-based character position of the token's first character. */
  pos: number;
}

const isIdentStart = (c: string) => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, value: string) =>
    tokens.push({ kind, raw: src.slice(start, i), value, pos: start + 1 });

  while (i < src.length) {
    const c = src[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      push('word', start, src.slice(start, i));
    } else if (isDigit(c) || (c === '-' && isDigit(src[i + 1] ?? '')) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      const m = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i))!;
      i += m[0].length;
      // `12abc` is almost certainly a typo'd identifier or missing quotes, not a number followed by a name.
      if (i < src.length && isIdentPart(src[i]!)) {
        while (i < src.length && isIdentPart(src[i]!)) i++;
        throw new VisibilityQueryError(`invalid number "${src.slice(start, i)}" at position ${start + 1}`);
      }
      push('number', start, m[0]);
    } else if (c === "'" || c === '"') {
      const [value, end] = readQuoted(src, start, c);
      i = end;
      push('string', start, value);
    } else if (c === '`') {
      const [name, end] = readQuoted(src, start, '`');
      i = end;
      if (name === '') throw new VisibilityQueryError(`empty attribute name at position ${start + 1}`);
      push('name', start, name);
    } else if (c === '(' || c === ')' || c === ',') {
      i++;
      push(c, start, c);
    } else {
      const op = /^(?:<=|>=|<>|!=|=|<|>)/.exec(src.slice(i))?.[0];
      if (!op) throw new VisibilityQueryError(`unexpected character "${c}" at position ${start + 1}`);
      i += op.length;
      push('op', start, op === '<>' ? '!=' : op);
    }
  }
  tokens.push({ kind: 'eof', raw: '', value: '', pos: src.length + 1 });
  return tokens;
}

/**
 * Reads a quoted string or back-quoted name starting at `start`; returns it unescaped, with the index just past the
 * closing quote. A doubled quote stands for one quote (SQL style) and a
 * backslash escapes a quote or another backslash (MySQL style, which users copy from the Temporal docs); any other
 * backslash is kept literally so that values such as Windows paths survive.
 */
function readQuoted(src: string, start: number, quote: string): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === quote) {
      if (src[i + 1] === quote) {
        out += quote;
        i += 2;
        continue;
      }
      return [out, i + 1];
    }
    if (c === '\\' && (src[i + 1] === quote || src[i + 1] === '\\')) {
      out += src[i + 1];
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  const what = quote === '`' ? 'attribute name' : 'string';
  throw new VisibilityQueryError(`unterminated ${what} starting at position ${start + 1}`);
}

// ---------------------------------------------------------------------------------------------
// AST and parser

interface AttrRef {
  name: string;
  pos: number;
}

interface Literal {
  kind: 'string' | 'number' | 'bool';
  /** Unescaped string, number text, or 'true' / 'false'. */
  text: string;
  raw: string;
  pos: number;
}

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

type Predicate =
  | { kind: 'compare'; attr: AttrRef; op: CompareOp; opPos: number; value: Literal }
  | { kind: 'in'; attr: AttrRef; negated: boolean; opPos: number; values: Literal[] }
  | { kind: 'startsWith'; attr: AttrRef; negated: boolean; opPos: number; prefix: Literal }
  | { kind: 'between'; attr: AttrRef; negated: boolean; opPos: number; low: Literal; high: Literal }
  | { kind: 'isNull'; attr: AttrRef; negated: boolean };

type Expr = Predicate | { kind: 'and' | 'or'; left: Expr; right: Expr };

interface OrderClause {
  attr: AttrRef;
  desc: boolean;
}

interface QueryAst {
  where?: Expr;
  orderBy: OrderClause[];
}

// Bare words that cannot name an attribute; back-quote an attribute that happens to be called one of these.
const KEYWORDS = new Set([
  'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'BETWEEN', 'STARTS_WITH', 'ORDER', 'BY', 'ASC', 'DESC', 'TRUE', 'FALSE',
]);

const show = (t: Token) => (t.kind === 'eof' ? 'end of query' : `"${t.raw}"`);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  // A method, not a getter: TypeScript would narrow a getter's `.kind` across next() calls.
  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private isKeyword(kw: string, t: Token = this.peek()): boolean {
    return t.kind === 'word' && t.value.toUpperCase() === kw;
  }

  private acceptKeyword(kw: string): Token | undefined {
    return this.isKeyword(kw) ? this.next() : undefined;
  }

  /** Throws "expected X after Y [but found Z] at position N", pointing at the offending token. */
  private fail(expected: string, after: Token | undefined): never {
    const t = this.peek();
    const afterPart = after ? ` after "${after.raw}"` : '';
    const found = t.kind === 'eof' ? '' : ` but found ${show(t)}`;
    // The most common mistake is an unquoted string value, which arrives here as a bare word.
    const hint = expected === 'a value' && t.kind === 'word' && !KEYWORDS.has(t.value.toUpperCase())
      ? ' (string values must be quoted)'
      : '';
    throw new VisibilityQueryError(`expected ${expected}${afterPart}${found} at position ${t.pos}${hint}`);
  }

  parseQuery(): QueryAst {
    const ast: QueryAst = { orderBy: [] };
    if (this.peek().kind !== 'eof' && !this.isKeyword('ORDER')) ast.where = this.parseOr();
    const order = this.acceptKeyword('ORDER');
    if (order) {
      const by = this.acceptKeyword('BY') ?? this.fail('"BY"', order);
      let prev = by;
      for (;;) {
        const attr = this.parseAttr(prev);
        const dir = this.acceptKeyword('DESC') ?? this.acceptKeyword('ASC');
        ast.orderBy.push({ attr, desc: dir !== undefined && dir.value.toUpperCase() === 'DESC' });
        if (this.peek().kind !== ',') break;
        prev = this.next();
      }
    }
    if (this.peek().kind !== 'eof') {
      const what = ast.orderBy.length > 0 ? '"," or end of query' : '"AND", "OR", "ORDER BY" or end of query';
      throw new VisibilityQueryError(`expected ${what} but found ${show(this.peek())} at position ${this.peek().pos}`);
    }
    return ast;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parsePrimary();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.parsePrimary() };
    }
    return left;
  }

  private parsePrimary(): Expr {
    if (this.peek().kind === '(') {
      const open = this.next();
      const inner = this.parseOr();
      if (this.peek().kind !== ')') {
        const t = this.peek();
        const found = t.kind === 'eof' ? 'the query ended' : `found ${show(t)} at position ${t.pos}`;
        throw new VisibilityQueryError(`expected ")" to close "(" at position ${open.pos}, but ${found}`);
      }
      this.next();
      return inner;
    }
    if (this.isKeyword('NOT')) {
      throw new VisibilityQueryError(
        `NOT before a condition is not supported at position ${this.peek().pos}; ` +
          'use !=, NOT IN, NOT BETWEEN, NOT STARTS_WITH or IS NOT NULL',
      );
    }
    return this.parsePredicate();
  }

  private parseAttr(after: Token | undefined): AttrRef {
    const t = this.peek();
    if (t.kind === 'name' || (t.kind === 'word' && !KEYWORDS.has(t.value.toUpperCase()))) {
      this.next();
      return { name: t.value, pos: t.pos };
    }
    return this.fail('a search attribute name', after);
  }

  private parsePredicate(): Predicate {
    const prev = this.i > 0 ? this.tokens[this.i - 1] : undefined;
    const attr = this.parseAttr(prev);
    const t = this.peek();

    if (t.kind === 'op') {
      this.next();
      return { kind: 'compare', attr, op: t.value as CompareOp, opPos: t.pos, value: this.parseValue(t) };
    }
    if (this.isKeyword('IS')) {
      const is = this.next();
      const not = this.acceptKeyword('NOT');
      if (!this.acceptKeyword('NULL')) this.fail('"NULL"', not ?? is);
      return { kind: 'isNull', attr, negated: not !== undefined };
    }
    const not = this.acceptKeyword('NOT');
    const op = this.peek();
    if (this.isKeyword('IN')) {
      this.next();
      return { kind: 'in', attr, negated: !!not, opPos: op.pos, values: this.parseList(op) };
    }
    if (this.isKeyword('STARTS_WITH')) {
      this.next();
      return { kind: 'startsWith', attr, negated: !!not, opPos: op.pos, prefix: this.parseValue(op) };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.parseValue(op);
      const and = this.acceptKeyword('AND') ?? this.fail('"AND"', this.tokens[this.i - 1]);
      return { kind: 'between', attr, negated: !!not, opPos: op.pos, low, high: this.parseValue(and) };
    }
    if (not) return this.fail('"IN", "BETWEEN" or "STARTS_WITH"', not);
    const ops = '=, !=, <, <=, >, >=, IN, NOT IN, STARTS_WITH, BETWEEN, IS NULL';
    return this.fail(`an operator (${ops})`, this.tokens[this.i - 1]);
  }

  private parseList(op: Token): Literal[] {
    if (this.peek().kind !== '(') this.fail('"("', op);
    let prev = this.next();
    const values: Literal[] = [];
    for (;;) {
      values.push(this.parseValue(prev));
      if (this.peek().kind === ')') break;
      if (this.peek().kind !== ',') this.fail('"," or ")"', this.tokens[this.i - 1]);
      prev = this.next();
    }
    this.next();
    return values;
  }

  private parseValue(after: Token): Literal {
    const t = this.peek();
    if (t.kind === 'string' || t.kind === 'number') {
      this.next();
      return { kind: t.kind, text: t.value, raw: t.raw, pos: t.pos };
    }
    if (this.isKeyword('TRUE') || this.isKeyword('FALSE')) {
      this.next();
      return { kind: 'bool', text: t.value.toLowerCase(), raw: t.raw, pos: t.pos };
    }
    return this.fail('a value', after);
  }
}

// ---------------------------------------------------------------------------------------------
// Compile: type-check and build closures

type Scalar = string | number | boolean;
type Matcher = (rec: VisibilityRecord) => boolean;
type Raw = VisibilityRecord[string];

const EXECUTION_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'];

function compileExpr(e: Expr, typeOf: (name: string) => SearchAttributeType | undefined): Matcher {
  switch (e.kind) {
    case 'and': {
      const l = compileExpr(e.left, typeOf);
      const r = compileExpr(e.right, typeOf);
      return (rec) => l(rec) && r(rec);
    }
    case 'or': {
      const l = compileExpr(e.left, typeOf);
      const r = compileExpr(e.right, typeOf);
      return (rec) => l(rec) || r(rec);
    }
    default:
      return compilePredicate(e, typeOf);
  }
}

function lookup(attr: AttrRef, typeOf: (name: string) => SearchAttributeType | undefined): SearchAttributeType {
  const type = typeOf(attr.name);
  if (!type) throw new VisibilityQueryError(`unknown search attribute "${attr.name}"`);
  return type;
}

function unsupported(op: string, type: SearchAttributeType, attr: AttrRef, pos: number): never {
  throw new VisibilityQueryError(
    `operator "${op}" is not supported on ${type} attribute "${attr.name}" at position ${pos}`,
  );
}

/**
 * Builds a matcher from a test on the present value. `whenAbsent` is the result for a record without the attribute:
 * true only for the negative operators, so that `X != 'a'` also finds workflows that never set X (as Elasticsearch's
 * must_not does in the real server).
 */
function onValue<T>(
  name: string,
  read: (raw: Raw) => T | undefined,
  test: (v: T) => boolean,
  whenAbsent: boolean,
): Matcher {
  return (rec) => {
    const v = read(rec[name]);
    return v === undefined ? whenAbsent : test(v);
  };
}

// Readers normalise a record value for a type. A value of the wrong JS type is treated as absent rather than thrown on,
// because a query must never fail at match time.
function scalarReader(type: SearchAttributeType): (raw: Raw) => Scalar | undefined {
  switch (type) {
    case 'Keyword':
    case 'Text':
      return (raw) => (typeof raw === 'string' ? raw : undefined);
    case 'Bool':
      return (raw) => (typeof raw === 'boolean' ? raw : undefined);
    default:
      return (raw) => (typeof raw === 'number' && !Number.isNaN(raw) ? raw : undefined);
  }
}

/** An empty list is treated as absent, which makes `IS NULL` true for it, as with Elasticsearch. */
const readList = (raw: Raw): string[] | undefined =>
  Array.isArray(raw) ? (raw.length > 0 ? raw : undefined) : typeof raw === 'string' ? [raw] : undefined;

const cmp = (a: Scalar, b: Scalar): number => {
  const x = typeof a === 'boolean' ? Number(a) : a;
  const y = typeof b === 'boolean' ? Number(b) : b;
  return x < y ? -1 : x > y ? 1 : 0;
};

function compilePredicate(p: Predicate, typeOf: (name: string) => SearchAttributeType | undefined): Matcher {
  const type = lookup(p.attr, typeOf);
  const name = p.attr.name;

  if (p.kind === 'isNull') {
    const read = type === 'KeywordList' ? readList : scalarReader(type);
    return p.negated ? (rec) => read(rec[name]) !== undefined : (rec) => read(rec[name]) === undefined;
  }

  const value = (lit: Literal) => coerce(type, p.attr, lit);

  if (type === 'KeywordList') {
    switch (p.kind) {
      case 'compare': {
        if (p.op !== '=' && p.op !== '!=') unsupported(p.op, type, p.attr, p.opPos);
        const x = value(p.value);
        return p.op === '='
          ? onValue(name, readList, (l) => l.includes(x as string), false)
          : onValue(name, readList, (l) => !l.includes(x as string), true);
      }
      case 'in': {
        const xs = p.values.map(value);
        const hasAny = (l: string[]) => l.some((v) => xs.includes(v));
        return onValue(name, readList, p.negated ? (l) => !hasAny(l) : hasAny, p.negated);
      }
      case 'startsWith': {
        const prefix = value(p.prefix) as string;
        const hasAny = (l: string[]) => l.some((v) => v.startsWith(prefix));
        return onValue(name, readList, p.negated ? (l) => !hasAny(l) : hasAny, p.negated);
      }
      case 'between':
        return unsupported(opName(p), type, p.attr, p.opPos);
    }
  }

  if (type === 'Text') {
    if (p.kind === 'compare' && (p.op === '=' || p.op === '!=')) {
      const words = textWords(value(p.value) as string);
      // Like Elasticsearch's match query, a value with no words at all matches nothing.
      const has = (v: Scalar) => words.length > 0 && containsWords(v as string, words);
      return onValue(name, scalarReader(type), p.op === '=' ? has : (v) => !has(v), p.op === '!=');
    }
    return unsupported(opName(p), type, p.attr, p.opPos);
  }

  const read = scalarReader(type);
  switch (p.kind) {
    case 'compare': {
      if (type === 'Bool' && p.op !== '=' && p.op !== '!=') unsupported(p.op, type, p.attr, p.opPos);
      const x = value(p.value);
      const test: Record<CompareOp, (v: Scalar) => boolean> = {
        '=': (v) => cmp(v, x) === 0,
        '!=': (v) => cmp(v, x) !== 0,
        '<': (v) => cmp(v, x) < 0,
        '<=': (v) => cmp(v, x) <= 0,
        '>': (v) => cmp(v, x) > 0,
        '>=': (v) => cmp(v, x) >= 0,
      };
      return onValue(name, read, test[p.op], p.op === '!=');
    }
    case 'in': {
      if (type === 'Bool') unsupported(opName(p), type, p.attr, p.opPos);
      const xs = p.values.map(value);
      const isIn = (v: Scalar) => xs.some((x) => cmp(v, x) === 0);
      return onValue(name, read, p.negated ? (v) => !isIn(v) : isIn, p.negated);
    }
    case 'startsWith': {
      if (type !== 'Keyword') unsupported(opName(p), type, p.attr, p.opPos);
      // A prefix need not be a whole status name, so this is the one place ExecutionStatus values are not validated.
      const prefix = coerce(type, p.attr, p.prefix, false) as string;
      const starts = (v: Scalar) => (v as string).startsWith(prefix);
      return onValue(name, read, p.negated ? (v) => !starts(v) : starts, p.negated);
    }
    case 'between': {
      if (type === 'Bool') unsupported(opName(p), type, p.attr, p.opPos);
      const low = value(p.low);
      const high = value(p.high);
      const within = (v: Scalar) => cmp(v, low) >= 0 && cmp(v, high) <= 0;
      return onValue(name, read, p.negated ? (v) => !within(v) : within, p.negated);
    }
  }
}

function opName(p: Exclude<Predicate, { kind: 'isNull' }>): string {
  const not = p.kind !== 'compare' && p.negated ? 'NOT ' : '';
  switch (p.kind) {
    case 'compare':
      return p.op;
    case 'in':
      return `${not}IN`;
    case 'startsWith':
      return `${not}STARTS_WITH`;
    case 'between':
      return `${not}BETWEEN`;
  }
}

/** Converts a literal to the attribute's value domain, or throws a type-mismatch error pointing at the literal. */
function coerce(type: SearchAttributeType, attr: AttrRef, lit: Literal, checkStatus = true): Scalar {
  const mismatch = (expected: string): never => {
    throw new VisibilityQueryError(
      `search attribute "${attr.name}" of type ${type} expects ${expected}, got ${lit.raw} at position ${lit.pos}`,
    );
  };
  switch (type) {
    case 'Keyword':
    case 'KeywordList':
    case 'Text': {
      if (lit.kind !== 'string') return mismatch('a quoted string');
      if (checkStatus && attr.name === 'ExecutionStatus' && !EXECUTION_STATUSES.includes(lit.text)) {
        throw new VisibilityQueryError(
          `invalid ExecutionStatus value ${lit.raw} at position ${lit.pos}; ` +
            `valid values are ${EXECUTION_STATUSES.join(', ')}`,
        );
      }
      return lit.text;
    }
    case 'Int': {
      if (lit.kind === 'bool' || !/^-?\d+$/.test(lit.text)) return mismatch('an integer');
      return Number(lit.text);
    }
    case 'Double': {
      if (lit.kind === 'bool' || !/^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(lit.text)) {
        return mismatch('a number');
      }
      return Number(lit.text);
    }
    case 'Bool': {
      const t = lit.text.toLowerCase();
      if (lit.kind === 'number' || (t !== 'true' && t !== 'false')) return mismatch('true or false');
      return t === 'true';
    }
    case 'Datetime': {
      const ms = lit.kind === 'string' ? parseDatetime(lit.text) : undefined;
      if (ms === undefined) return mismatch(`an RFC 3339 datetime such as '2024-01-02T03:04:05Z'`);
      return ms;
    }
  }
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * Parses RFC 3339 / ISO 8601 to epoch milliseconds, or undefined. Written by hand because Date.parse reads a time
 * without an offset as local time and silently rolls over out-of-range fields (Feb 30 becomes Mar 2). A date alone,
 * or a time without an offset, is taken as UTC so results do not depend on the host's time zone. Digits past
 * milliseconds are truncated, matching the precision of the stored values.
 */
function parseDatetime(s: string): number | undefined {
  const m = DATETIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', , sign, oh = '0', om = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (daysInMonth === undefined || day < 1 || day > daysInMonth) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59 || Number(oh) > 23 || Number(om) > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear rather than Date.UTC, which maps years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(Number(h), Number(mi), Number(sec), Number(frac.padEnd(3, '0').slice(0, 3)));
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  return date.getTime() - offsetMin * 60_000;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Words as an analyzer would produce them: runs of letters, digits and underscores, lower-cased. */
const textWords = (s: string): string[] => s.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];

function containsWords(text: string, words: string[]): boolean {
  const have = new Set(textWords(text));
  return words.every((w) => have.has(w));
}

function compileOrderKey(
  o: OrderClause,
  typeOf: (name: string) => SearchAttributeType | undefined,
): (a: VisibilityRecord, b: VisibilityRecord) => number {
  const type = lookup(o.attr, typeOf);
  if (type === 'KeywordList' || type === 'Text') {
    throw new VisibilityQueryError(`cannot ORDER BY ${type} attribute "${o.attr.name}" at position ${o.attr.pos}`);
  }
  const read = scalarReader(type);
  const name = o.attr.name;
  return (a, b) => {
    const x = read(a[name]);
    const y = read(b[name]);
    // Records without the value go last in either direction, so DESC does not put them first.
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    return o.desc ? cmp(y, x) : cmp(x, y);
  };
}

/** A search attribute's payload (JSON, as the SDK encodes it) as the visibility record holds it; undefined when it does not decode. */
export function decodeSearchAttribute(p: IPayload | undefined, type: SearchAttributeType): VisibilityRecord[string] {
  if (!p?.data) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(p.data).toString());
  } catch {
    return undefined;
  }
  if (v === null) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  switch (type) {
    case 'Datetime': {
      const ms = Date.parse(String(one));
      return Number.isNaN(ms) ? undefined : ms;
    }
    case 'KeywordList':
      return Array.isArray(v) ? v.map(String) : [String(v)];
    case 'Int':
    case 'Double':
      return Number(one);
    case 'Bool':
      return Boolean(one);
    default:
      return Array.isArray(v) ? v.map(String).join(' ') : String(v);
  }
}
