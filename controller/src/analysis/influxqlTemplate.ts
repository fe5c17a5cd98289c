/**
 * InfluxQL query templates: finds the {{...}} placeholders of an InfluxQL query, checks that each one sits inside a
 * '...' string literal or a "..." quoted identifier, and escapes the value for it; then checks that the rendered
 * query is one read-only statement (SELECT or SHOW, no INTO) before it is sent.
 *
 * Why both: InfluxDB 1.x runs every statement of a query, whatever the HTTP method (a GET with DROP only logs a
 * deprecation warning), so a namespaced template's author could otherwise write to, or destroy, the team's database
 * through Sluice's credentials; and an argument outside a literal could add operators or a second statement.
 *
 * The scanner follows InfluxDB's (influxql/scanner.go): strings '...' and identifiers "..." end at their quote and
 * know the escapes \\ \' \" \n only (a raw line break or CR ends them badly); `--` starts a line comment; a regex is
 * /.../ with \/ as its only escape, read only where the parser asks for one (regexAfterWords below). `/* ... *\/`
 * comments are refused: InfluxDB reads them as a comment or as a regex depending on the parser's position, and a
 * value placed after one could end up outside the string it was written into.
 */
import { AnalysisConfigError } from './errors.ts';
import { lookUpPlaceholder, type TemplateValues } from './promqlTemplate.ts';

type Where = 'code' | "'" | '"' | 'regex' | 'comment';

type Piece =
  { kind: 'text'; text: string; where: Where } | { kind: 'placeholder'; name: string; raw: string; where: Where };

const placeholderPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)?)\s*\}\}/y;

/**
 * Where InfluxDB's parser reads a regex (parseRegex): after FROM, SELECT, BY and DISTINCT, and after `,` `.` `(` `=~`
 * `!~` (lists of sources, fields and dimensions, db.rp./re/, function arguments, regex comparisons). A `/` there is a
 * regex for Sluice too; anywhere else it divides. Where InfluxDB reads the other way it meets a division where an
 * operand must be, which is a parse error: the query never runs.
 */
const regexAfterWords = new Set(['select', 'from', 'by', 'distinct']);
const regexAfterPunctuation = new Set([',', '.', '(', '=~', '!~']);

/** A bare word as InfluxDB's scanner reads it: a keyword or identifier, or a $bound parameter. */
const wordPattern = /\$?[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * A number as InfluxDB's scanner (scanNumber) reads it: a decimal (`1.5`, `.5`) ends at its last digit and takes no
 * unit, so `1.5INTO` is 1.5 and the keyword INTO; an integer followed by `.` and no digit is that integer, the full
 * stop eaten (`1./` is 1 and a division); only an integer takes letters and digits after it as a duration (`5m`,
 * `1h30m`, `5INTO`).
 */
const numberPattern = /[0-9]*\.[0-9]+|[0-9]+\.(?![0-9])|[0-9]+(?:[A-Za-zµ]+[A-Za-z0-9µ]*)?/y;

/** Statements Sluice never sends, named in the refusal; a query must start with SELECT or SHOW anyway. */
const writingWords = new Set(['into', 'drop', 'delete', 'create', 'alter', 'grant', 'revoke', 'kill']);

interface Scanned {
  pieces: Piece[];
  /** Bare words in code, lower-cased, in order (keywords and identifiers). */
  words: string[];
  /** Offset of the first `;` in code, if any. */
  semicolon: number | undefined;
}

function fail(field: string, code: 'InvalidQuery' | 'UnsafePlaceholder', message: string): never {
  throw new AnalysisConfigError(code, field, message);
}

/** Splits an InfluxQL text into pieces, each marked with where it sits, and collects the words in code. */
function scan(template: string, field: string): Scanned {
  const pieces: Piece[] = [];
  const words: string[] = [];
  let semicolon: number | undefined;
  let where: Where = 'code';
  let text = '';
  // A query starts where an operand is expected: a `/` there is no division.
  let regexNext = true;
  const flush = () => {
    if (text !== '') pieces.push({ kind: 'text', text, where });
    text = '';
  };
  const enter = (next: Where) => {
    flush();
    where = next;
  };
  for (let i = 0; i < template.length;) {
    if (template.startsWith('{{', i)) {
      placeholderPattern.lastIndex = i;
      const m = placeholderPattern.exec(template);
      if (m === null)
        fail(
          field,
          'InvalidQuery',
          `the query has "{{" at offset ${i} that is not a placeholder: write {{args.<name>}} or {{track}}`,
        );
      flush();
      pieces.push({ kind: 'placeholder', name: m[1]!, raw: m[0], where });
      i += m[0].length;
      if (where === 'code') regexNext = false;
      continue;
    }
    const c = template[i]!;
    if (c === '\0')
      fail(field, 'InvalidQuery', `the query has a NUL character at offset ${i}, where InfluxDB stops reading`);
    if (where === 'code') {
      if (c === "'" || c === '"') {
        enter(c);
        text = c;
        i++;
        continue;
      }
      if (c === '-' && template[i + 1] === '-') {
        enter('comment');
        text = '--';
        i += 2;
        continue;
      }
      if (c === '/' && template[i + 1] === '*') {
        fail(
          field,
          'InvalidQuery',
          `the query has a /* comment at offset ${i}: remove it, or write a -- comment to the end of the line`,
        );
      }
      if (c === '/' && regexNext) {
        enter('regex');
        text = '/';
        i++;
        continue;
      }
      if (c === ';' && semicolon === undefined) semicolon = i;
      // Both read from the whole query, never from a slice of it: a token cut in two would be read as two, and its
      // second half as a keyword (BY before a `/`) that InfluxDB never sees.
      wordPattern.lastIndex = i;
      const word = wordPattern.exec(template)?.[0];
      if (word !== undefined) {
        const lower = word.toLowerCase();
        words.push(lower);
        regexNext = regexAfterWords.has(lower);
        text += word;
        i += word.length;
        continue;
      }
      numberPattern.lastIndex = i;
      const number = numberPattern.exec(template)?.[0];
      if (number !== undefined) {
        regexNext = false;
        text += number;
        i += number.length;
        continue;
      }
      if (!/\s/.test(c)) {
        const two = template.slice(i, i + 2);
        const op = two === '=~' || two === '!~' || two === '::' ? two : c;
        regexNext = regexAfterPunctuation.has(op);
        text += op;
        i += op.length;
        continue;
      }
      text += c;
      i++;
      continue;
    }
    text += c;
    i++;
    if (where === 'comment') {
      if (c === '\n' || c === '\r') enter('code');
    } else if (
      c === '\\' &&
      (where === 'regex' ? template[i] === '/' : i < template.length && !/[\n\r]/.test(template[i]!))
    ) {
      // In a string a backslash takes the next character with it; in a regex only \/ is an escape, and after any
      // other backslash InfluxDB reads the next character afresh (so `\\/` does not end the regex either).
      text += template[i]!;
      i++;
    } else if (c === '\n' || c === '\r') {
      fail(
        field,
        'InvalidQuery',
        `the query has a line break inside a ${describe(where)}, which InfluxDB refuses: write \\n`,
      );
    } else if ((where === 'regex' && c === '/') || c === where) {
      enter('code');
      regexNext = false;
    }
  }
  flush();
  if (where !== 'code' && where !== 'comment')
    fail(field, 'InvalidQuery', `the query has a ${describe(where)} that is never closed`);
  return { pieces, words, semicolon };
}

function describe(where: Where): string {
  switch (where) {
    case "'":
      return "'...' string";
    case '"':
      return '"..." identifier';
    case 'regex':
      return '/.../ regex';
    case 'comment':
      return '-- comment';
    case 'code':
      return 'query';
  }
}

/**
 * Escapes `value` for an InfluxQL '...' string or "..." identifier, as InfluxDB's scanner reads them: backslash and
 * both quotes escaped, a line feed as \n. A carriage return or NUL has no escape (InfluxDB reads a CR as a line
 * break, which ends the literal, and NUL as the end of the query): such a value is refused.
 */
export function escapeInfluxqlString(value: string): string {
  if (/[\r\0]/.test(value)) throw new Error('a carriage return or NUL character, which InfluxQL literals cannot hold');
  return value.replace(/[\\'"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/**
 * Why `query` is not one read-only statement, or undefined. Sluice sends SELECT and SHOW only: a query that writes
 * (SELECT ... INTO) or changes the database must not run with the credentials a template borrows.
 */
export function readOnlyProblem(query: string, field: string): string | undefined {
  const { words, semicolon } = scan(query, field);
  if (semicolon !== undefined)
    return `${field}: the query has a ";" at offset ${semicolon}: Sluice sends exactly one statement, so remove it and anything after it`;
  const first = words[0];
  if (first !== 'select' && first !== 'show')
    return `${field}: the query starts with ${first === undefined ? 'nothing' : first.toUpperCase()}: Sluice sends only SELECT and SHOW statements`;
  const writing = words.find((w) => writingWords.has(w));
  if (writing !== undefined)
    return `${field}: the query uses ${writing.toUpperCase()}, which writes to or changes the database: Sluice sends only statements that read (quote the name if it is an identifier: "${writing}")`;
  return undefined;
}

/**
 * Renders an InfluxQL query: each placeholder is replaced by its value, escaped for the '...' string or "..."
 * identifier it sits in, once (a value holding {{...}} stays text); then the result must be one read-only
 * statement. Throws AnalysisConfigError naming `field` for a placeholder anywhere else, a value a literal cannot
 * hold, or a query that is not one SELECT or SHOW.
 */
export function renderInfluxql(template: string, values: TemplateValues, field: string): string {
  let out = '';
  for (const piece of scan(template, field).pieces) {
    if (piece.kind === 'text') {
      out += piece.text;
      continue;
    }
    if (piece.where !== "'" && piece.where !== '"') {
      const place = piece.where === 'code' ? 'outside a string literal' : `inside a ${describe(piece.where)}`;
      fail(
        field,
        'UnsafePlaceholder',
        `${piece.raw} is ${place}: a value there could change the shape of the query. Put it inside a '...' string or a "..." identifier, e.g. WHERE service = '${piece.raw}'`,
      );
    }
    const value = lookUpPlaceholder(piece.name, values, field, piece.raw);
    try {
      out += escapeInfluxqlString(value);
    } catch (err) {
      fail(field, 'UnsafePlaceholder', `the value of ${piece.raw} holds ${(err as Error).message}`);
    }
  }
  const problem = readOnlyProblem(out, field);
  if (problem !== undefined) throw new AnalysisConfigError('InvalidQuery', field, problem);
  return out;
}
