/**
 * Query templates: finds the {{...}} placeholders of a PromQL query, checks that each one sits inside a quoted
 * string literal, and escapes the value for that literal. A value outside a string could add operators, braces
 * or whole expressions (`"} or vector(1) or {"` turns a filter into "always 1"); inside an escaped literal it can
 * only ever be the text of that one string. So a placeholder outside a string is refused, never "made safe".
 *
 * The scanner follows Prometheus's lexer: strings are "...", '...' (backslash escapes) or `...` (raw, no escapes),
 * and `#` starts a comment up to the end of the line.
 */
import { AnalysisConfigError } from './errors.ts';

type Where = 'code' | 'comment' | '"' | "'" | '`';

type Piece = { kind: 'text'; text: string } | { kind: 'placeholder'; name: string; raw: string; where: Where };

/** `{{ name }}` where name is `args.<arg>` or a plain variable such as `track`. */
const placeholderPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)?)\s*\}\}/y;

/** Splits a query template into text and placeholders, recording where each placeholder sits. */
function scan(template: string, field: string): Piece[] {
  const pieces: Piece[] = [];
  let where: Where = 'code';
  let text = '';
  for (let i = 0; i < template.length;) {
    if (template.startsWith('{{', i)) {
      placeholderPattern.lastIndex = i;
      const m = placeholderPattern.exec(template);
      if (m === null) {
        throw new AnalysisConfigError(
          'InvalidQuery',
          field,
          `the query has "{{" at offset ${i} that is not a placeholder: write {{args.<name>}} or {{track}}`,
        );
      }
      if (text !== '') pieces.push({ kind: 'text', text });
      text = '';
      pieces.push({ kind: 'placeholder', name: m[1]!, raw: m[0], where });
      i += m[0].length;
      continue;
    }
    const c = template[i]!;
    text += c;
    i++;
    switch (where) {
      case 'code':
        if (c === '"' || c === "'" || c === '`') where = c;
        else if (c === '#') where = 'comment';
        break;
      case 'comment':
        if (c === '\n') where = 'code';
        break;
      case '`':
        if (c === '`') where = 'code';
        break;
      default:
        // Inside "..." or '...': a backslash takes the next character with it, so \" does not end the string.
        if (c === '\\' && i < template.length) {
          text += template[i]!;
          i++;
        } else if (c === where) where = 'code';
    }
  }
  if (text !== '') pieces.push({ kind: 'text', text });
  if (where === '"' || where === "'" || where === '`') {
    throw new AnalysisConfigError(
      'InvalidQuery',
      field,
      `the query has a string literal opened with ${where} that is never closed`,
    );
  }
  return pieces;
}

/**
 * Escapes `value` for a PromQL string literal quoted with `quote` (" or '), as Prometheus's unquoting reads it:
 * backslash, the quote itself and control characters are escaped; lone UTF-16 surrogates (which no valid UTF-8
 * query can carry) become U+FFFD.
 */
export function escapePromqlString(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\uFFFD';
    else out += ch;
  }
  return out;
}

/** Values for placeholders: `args` for {{args.<name>}}, `vars` for plain names such as {{track}}. */
export interface TemplateValues {
  args: ReadonlyMap<string, string>;
  vars?: Readonly<Record<string, string>>;
}

/** The value of placeholder `name` (PromQL, InfluxQL and plain text read them alike), or an error saying how to fix it. */
export function lookUpPlaceholder(name: string, values: TemplateValues, field: string, raw: string): string {
  if (name.startsWith('args.')) {
    const arg = name.slice('args.'.length);
    const value = values.args.get(arg);
    if (value === undefined) {
      const known =
        values.args.size === 0 ? 'the template declares none' : `declared: ${[...values.args.keys()].join(', ')}`;
      throw new AnalysisConfigError(
        'UnknownPlaceholder',
        field,
        `${raw} names no argument of the template (${known}): declare it in spec.args or fix the name`,
      );
    }
    return value;
  }
  const vars = values.vars ?? {};
  const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
  if (value === undefined) {
    const hint =
      name === 'track'
        ? '{{track}} is only replaced in metrics with compare'
        : 'write {{args.<name>}} for a template argument';
    throw new AnalysisConfigError('UnknownPlaceholder', field, `${raw} is not a placeholder Sluice knows: ${hint}`);
  }
  return value;
}

/**
 * Renders a PromQL query: each placeholder is replaced by its value, escaped for the string literal it sits in.
 * Values are substituted once (a value containing {{...}} stays text). Throws AnalysisConfigError, naming
 * `field`, for a placeholder outside a "..." or '...' literal or one that has no value.
 */
export function renderPromql(template: string, values: TemplateValues, field: string): string {
  let out = '';
  for (const piece of scan(template, field)) {
    if (piece.kind === 'text') {
      out += piece.text;
      continue;
    }
    if (piece.where === 'code' || piece.where === 'comment' || piece.where === '`') {
      const place =
        piece.where === '`'
          ? 'inside a `raw` string, which cannot escape anything'
          : piece.where === 'comment'
            ? 'inside a # comment'
            : 'outside a string literal';
      throw new AnalysisConfigError(
        'UnsafePlaceholder',
        field,
        `${piece.raw} is ${place}: a value there could change the shape of the query. Put it inside a "..." string, e.g. {service="${piece.raw}"}`,
      );
    }
    out += escapePromqlString(lookUpPlaceholder(piece.name, values, field, piece.raw), piece.where);
  }
  return out;
}

/** Renders plain text such as an HTTP header value: placeholders are replaced as they are, wherever they are. */
export function renderText(template: string, values: TemplateValues, field: string): string {
  return template.replace(new RegExp(placeholderPattern.source, 'g'), (raw, name: string) =>
    lookUpPlaceholder(name, values, field, raw),
  );
}
