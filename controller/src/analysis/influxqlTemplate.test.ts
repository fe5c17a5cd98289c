import { describe, expect, it } from 'vitest';
import { AnalysisConfigError } from './errors.ts';
import { escapeInfluxqlString, readOnlyProblem, renderInfluxql } from './influxqlTemplate.ts';

const field = 'AnalysisTemplate shop/x metrics[m].provider.influxdb.query';
const render = (template: string, args: Record<string, string>, vars: Record<string, string> = {}) =>
  renderInfluxql(template, { args: new Map(Object.entries(args)), vars }, field);

function refusal(template: string, args: Record<string, string> = {}): AnalysisConfigError {
  try {
    render(template, args);
  } catch (err) {
    if (err instanceof AnalysisConfigError) return err;
    throw err;
  }
  throw new Error(`rendered ${template} without refusing it`);
}

/**
 * Reads a rendered query the way InfluxDB's scanner reads strings: the value of every '...' and "..." literal, and
 * whatever lies outside them. An argument that stays in its literal leaves the code the template's code.
 */
function codeOutsideLiterals(query: string): { code: string; literals: string[] } {
  let code = '';
  const literals: string[] = [];
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (c !== "'" && c !== '"') {
      code += c;
      continue;
    }
    let value = '';
    for (i++; query[i] !== c; i++) {
      if (i >= query.length) throw new Error('unterminated literal');
      if (query[i] === '\\') {
        const next = query[++i]!;
        value += next === 'n' ? '\n' : next;
      } else value += query[i];
    }
    literals.push(value);
    code += `${c}${c}`;
  }
  return { code, literals };
}

describe('renderInfluxql', () => {
  it('escapes an argument for the string or identifier it sits in, and keeps it there', () => {
    const q = render(
      `SELECT mean("{{args.field}}") FROM "errors" WHERE service = '{{args.service}}' AND time > now() - 5m`,
      {
        field: 'rate"x',
        service: "it's\\ok\nnext",
      },
    );
    expect(q).toBe(`SELECT mean("rate\\"x") FROM "errors" WHERE service = 'it\\'s\\\\ok\\nnext' AND time > now() - 5m`);
    expect(codeOutsideLiterals(q).literals).toEqual(['rate"x', 'errors', "it's\\ok\nnext"]);
  });

  it.each([
    "x'; DROP DATABASE telegraf; SELECT '",
    "x' OR 1=1 --",
    'x"; DROP MEASUREMENT errors; --',
    "\\'; KILL QUERY 1; --",
    "x\\\\'; DELETE FROM errors; --",
  ])('an argument %j cannot leave its literal or add a statement', (value) => {
    const template = `SELECT last(v) FROM "m" WHERE service = '{{args.s}}' AND host = "{{args.s}}"`;
    const q = render(template, { s: value });
    const { code, literals } = codeOutsideLiterals(q);
    expect(code).toBe(codeOutsideLiterals(template.replaceAll('{{args.s}}', '')).code);
    expect(literals).toEqual(['m', value, value]);
    expect(readOnlyProblem(q, field)).toBeUndefined();
  });

  it('refuses a value a literal cannot hold (CR, NUL)', () => {
    expect(refusal(`SELECT v FROM m WHERE s = '{{args.s}}'`, { s: 'a\rb' }).message).toMatch(/carriage return or NUL/);
    expect(refusal(`SELECT v FROM m WHERE s = '{{args.s}}'`, { s: 'a\0b' }).code).toBe('UnsafePlaceholder');
    expect(() => escapeInfluxqlString('a\0')).toThrow();
  });

  it.each([
    ['outside a literal', 'SELECT v FROM m WHERE n = {{args.s}}', /outside a string literal/],
    ['inside a regex', 'SELECT v FROM m WHERE s =~ /{{args.s}}/', /inside a \/...\/ regex/],
    ['inside a -- comment', "SELECT v FROM m -- '{{args.s}}'", /inside a -- comment/],
    ['as the measurement, unquoted', 'SELECT v FROM {{args.s}}', /outside a string literal/],
  ])('refuses a placeholder %s', (_, template, message) => {
    const err = refusal(template, { s: 'x' });
    expect(err.code).toBe('UnsafePlaceholder');
    expect(err.message).toMatch(message);
  });

  it('reads a slash after an operand as a division, so a quote after it opens a literal', () => {
    expect(render(`SELECT sum(e) / sum(t) FROM m WHERE s = '{{args.s}}'`, { s: "a'b" })).toBe(
      `SELECT sum(e) / sum(t) FROM m WHERE s = 'a\\'b'`,
    );
    // field and tag after :: are operands, as for InfluxDB, not keywords before a regex.
    expect(render(`SELECT v::field / 2 FROM m WHERE s = '{{args.s}}'`, { s: 'x' })).toBe(
      `SELECT v::field / 2 FROM m WHERE s = 'x'`,
    );
  });

  it('reads a regex where InfluxDB reads one, quotes inside it included', () => {
    expect(render(`SELECT v FROM /it's/ WHERE h =~ /a"b\\/c/ AND s = '{{args.s}}'`, { s: 'x' })).toBe(
      `SELECT v FROM /it's/ WHERE h =~ /a"b\\/c/ AND s = 'x'`,
    );
    // In a regex only \/ escapes: `\\/` is a backslash and then an escaped slash, so the regex goes on.
    expect(refusal(`SELECT v FROM m WHERE h =~ /a\\\\/ AND s = '{{args.s}}' /`).message).toMatch(
      /inside a \/...\/ regex/,
    );
  });

  it('a template cannot hide a second statement behind a division that looks like a regex', () => {
    // Were `/ 1 ... '/` read as a regex, the string after it would swallow the DROP.
    const hidden = `SELECT v::field / 1 FROM m WHERE a = '/' ; DROP DATABASE x ; SELECT v FROM m WHERE b = '' -- '`;
    expect(refusal(hidden).message).toMatch(/";"/);
    expect(refusal(`SELECT * / 1 FROM m WHERE a = '/' ; DROP DATABASE x -- '`).message).toMatch(/";"/);
  });

  it('refuses /* comments, which InfluxDB reads as a comment or a regex depending on where they are', () => {
    expect(refusal(`SELECT v FROM m WHERE /* it's */ s = '{{args.s}}'`, { s: 'x' }).message).toMatch(/\/\* comment/);
  });

  it('refuses literals broken by a line break or never closed', () => {
    expect(refusal("SELECT v FROM m WHERE s = 'a\nb'").message).toMatch(/line break inside/);
    expect(refusal("SELECT v FROM m WHERE s = 'open").message).toMatch(/never closed/);
  });

  it('replaces {{track}} for compare and names unknown placeholders', () => {
    expect(render(`SELECT v FROM m WHERE track = '{{track}}'`, {}, { track: 'canary' })).toBe(
      `SELECT v FROM m WHERE track = 'canary'`,
    );
    expect(refusal(`SELECT v FROM m WHERE track = '{{track}}'`).message).toMatch(
      /only replaced in metrics with compare/,
    );
    expect(refusal(`SELECT v FROM m WHERE s = '{{args.nope}}'`).code).toBe('UnknownPlaceholder');
  });
});

describe('readOnlyProblem', () => {
  it.each([
    'SELECT mean(v) FROM m WHERE time > now() - 5m GROUP BY time(1m) fill(none)',
    'show measurements',
    "SELECT v FROM m WHERE s = 'DROP DATABASE x; INTO'",
    'SELECT "into" FROM "drop" -- DROP everything',
    '-- a comment first\nSELECT v FROM m',
  ])('lets %j through', (query) => {
    expect(readOnlyProblem(query, field)).toBeUndefined();
  });

  it.each([
    ['SELECT v FROM m; DROP DATABASE telegraf', /";" at offset 15/],
    ['SELECT v FROM m;', /";"/],
    ['SELECT v INTO m2 FROM m', /uses INTO/],
    ['select v into "db"."rp"."m2" from m', /uses INTO/],
    ['DROP MEASUREMENT m', /starts with DROP/],
    ['DELETE FROM m', /starts with DELETE/],
    ["CREATE USER x WITH PASSWORD 'y'", /starts with CREATE/],
    ['ALTER RETENTION POLICY autogen ON db DURATION 1h', /starts with ALTER/],
    ['GRANT ALL TO x', /starts with GRANT/],
    ['REVOKE ALL FROM x', /starts with REVOKE/],
    ['KILL QUERY 1', /starts with KILL/],
    ['EXPLAIN ANALYZE SELECT v FROM m', /starts with EXPLAIN/],
    ["SET PASSWORD FOR x = 'y'", /starts with SET/],
    ['-- only a comment', /starts with nothing/],
    ['SELECT v FROM m WHERE drop = 1', /uses DROP/],
  ])('refuses %j', (query, message) => {
    expect(readOnlyProblem(query, field)).toMatch(message);
  });

  it('is checked on every rendered query', () => {
    expect(refusal('SELECT v INTO x FROM m').code).toBe('InvalidQuery');
  });
});
