/**
 * The JSONPath subset of the web provider, in the kubectl / Argo Rollouts form users already write:
 * `{$.data.ok}`, `$.checks[0].status`, `{.items[*].value}`, `$['app.kubernetes.io/name']`, `[-1]`.
 * Supported: `$` (optional), `.key`, `['key']` / `["key"]`, `[n]` (negative from the end), `[*]` and `.*`.
 * Refused with a sentence saying so: filters `[?()]`, slices, unions, recursive descent `..`, several templates.
 * A small parser of our own rather than a library: the subset is what a health check needs, and a bounded one
 * (path length, segments, matches) cannot be made to cost the controller more than the answer it reads.
 *
 * What a path gives (as Argo's web provider does): nothing matched is undefined (no data), one match is that
 * value, several matches are a list of them.
 */

export type PathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

/** A parsed path. */
export interface JsonPath {
  segments: readonly PathSegment[];
}

export const maxPathSegments = 32;
/** More matches than a condition can sensibly judge: the path is too wide. */
export const maxMatches = 10_000;

/** Why a path cannot be read, with the offset where it went wrong. */
export class JsonPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathError';
  }
}

const identifier = /[A-Za-z0-9_$@-]+/y;
const index = /-?[0-9]{1,9}/y;

/** Reads a path, or throws JsonPathError saying what is wrong and how to write it. */
export function parseJsonPath(written: string): JsonPath {
  let path = written.trim();
  if (path.startsWith('{')) {
    if (!path.endsWith('}')) throw new JsonPathError('the path opens { and does not close it: write {$.data.ok}');
    path = path.slice(1, -1).trim();
    if (path.includes('{') || path.includes('}'))
      throw new JsonPathError('only one {...} expression is read: write a single path such as {$.data.ok}');
  }
  let i = 0;
  if (path.startsWith('$')) i = 1;
  else if (!path.startsWith('.') && !path.startsWith('[')) path = `.${path}`; // kubectl also reads {data.ok}
  const segments: PathSegment[] = [];
  const fail = (what: string): never => {
    throw new JsonPathError(`${what} at offset ${i} of ${JSON.stringify(written)}`);
  };
  while (i < path.length) {
    if (segments.length >= maxPathSegments) fail(`more than ${maxPathSegments} segments`);
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '.') fail('recursive descent (..) is not supported: write the full path');
      i++;
      if (path[i] === '*') {
        segments.push({ kind: 'all' });
        i++;
        continue;
      }
      identifier.lastIndex = i;
      const m = identifier.exec(path);
      if (m === null) fail("a key after '.' is missing or has characters a plain key cannot have: write ['key']");
      segments.push({ kind: 'key', key: m![0] });
      i += m![0].length;
    } else if (c === '[') {
      i++;
      const close = readBracket(path, i, fail);
      segments.push(close.segment);
      i = close.end;
    } else {
      fail(`unexpected ${JSON.stringify(c)}: segments are .key, ['key'], [n] or [*]`);
    }
  }
  return { segments };
}

function readBracket(
  path: string,
  start: number,
  fail: (what: string) => never,
): { segment: PathSegment; end: number } {
  const c = path[start];
  if (c === '*' && path[start + 1] === ']') return { segment: { kind: 'all' }, end: start + 2 };
  if (c === "'" || c === '"') {
    let key = '';
    let i = start + 1;
    for (; i < path.length && path[i] !== c; i++) {
      // A backslash takes the next character as it is, so that ['it\'s'] names the key it's.
      if (path[i] === '\\' && i + 1 < path.length) i++;
      key += path[i];
    }
    if (i >= path.length || path[i + 1] !== ']') return fail(`a quoted key is not closed with ${c}]`);
    return { segment: { kind: 'key', key }, end: i + 2 };
  }
  index.lastIndex = start;
  const m = index.exec(path);
  if (m !== null && path[start + m[0].length] === ']') {
    return { segment: { kind: 'index', index: Number(m[0]) }, end: start + m[0].length + 1 };
  }
  if (c === '?') return fail('filters [?(...)] are not supported: point the path at the value, or use a condition');
  return fail("brackets hold 'key', a whole number or *; slices and unions are not supported");
}

/**
 * The value(s) at `path` in `document`: undefined when nothing matches, the value for one match, a list for
 * several. Throws JsonPathError when the path matches more than maxMatches values.
 */
export function evaluateJsonPath(path: JsonPath, document: unknown): unknown {
  let nodes: unknown[] = [document];
  for (const segment of path.segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      for (const child of children(node, segment)) {
        if (next.length >= maxMatches)
          throw new JsonPathError(`the path matches more than ${maxMatches} values: narrow it`);
        next.push(child);
      }
    }
    nodes = next;
    if (nodes.length === 0) return undefined;
  }
  return nodes.length === 1 ? nodes[0] : nodes;
}

function children(node: unknown, segment: PathSegment): unknown[] {
  if (node === null || typeof node !== 'object') return [];
  switch (segment.kind) {
    case 'all':
      return Array.isArray(node) ? node : Object.values(node);
    case 'index': {
      if (!Array.isArray(node)) return [];
      const at = segment.index < 0 ? node.length + segment.index : segment.index;
      return at >= 0 && at < node.length ? [node[at]] : [];
    }
    case 'key':
      // Own keys only: "__proto__" or "constructor" in a path must not reach Object.prototype.
      return !Array.isArray(node) && Object.hasOwn(node, segment.key)
        ? [(node as Record<string, unknown>)[segment.key]]
        : [];
  }
}
