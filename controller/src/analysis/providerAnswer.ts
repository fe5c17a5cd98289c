/**
 * How the engine reads a provider's answer the same way for every provider: a JSON value becomes numbers where it
 * is numbers (so that NaN, empty and size rules apply to it as to a Prometheus answer) and stays a JSON value for
 * the conditions otherwise; the statistical judge takes only numbers.
 */
import type { Judgeable } from './condition.ts';
import type { JsonValue, ProviderAnswer } from './provider.ts';

/**
 * A value read from a document, as the conditions judge it. Nothing at the path, null, [] or a list of nulls only
 * (`$.checks[*].status` where every status is null) is no data.
 */
export function fromJson(value: JsonValue | undefined): Judgeable {
  if (value === undefined || value === null) return { kind: 'empty' };
  if (typeof value === 'number') return { kind: 'scalar', values: [value] };
  if (Array.isArray(value)) {
    if (value.every((v) => v === null)) return { kind: 'empty' };
    if (value.every((v) => typeof v === 'number')) return { kind: 'vector', values: value };
  }
  return { kind: 'json', value };
}

/**
 * The most values holdsNonFinite visits. A JSON result reaches it only once it is within the size bound
 * (condition.ts resultTooLarge), which holds far fewer; the count keeps the walk bounded on its own terms.
 */
const maxWalk = 200_000;

/**
 * Whether a JSON value holds NaN or an infinity anywhere (JSON.parse reads 1e999 as Infinity), in an object's field
 * or a nested list as well as at the top: such a value is never a pass, wherever it sits. Iterative, so that a
 * deeply nested answer cannot overflow the stack; a value too large to walk counts as holding one (never a pass).
 */
export function holdsNonFinite(value: JsonValue): boolean {
  const pending: JsonValue[] = [value];
  for (let visited = 0; pending.length > 0; visited++) {
    if (visited >= maxWalk) return true;
    const next = pending.pop()!;
    if (typeof next === 'number') {
      if (!Number.isFinite(next)) return true;
    } else if (next !== null && typeof next === 'object') {
      // One at a time: spreading a list of a few hundred thousand values into push() exceeds the argument limit.
      for (const item of Array.isArray(next) ? next : Object.values(next)) pending.push(item);
      if (pending.length > maxWalk) return true;
    }
  }
  return false;
}

/** The samples of one track for the statistical judge, or why the answer has none it can use. */
export function samplesOf(answer: ProviderAnswer, scrub: Scrub = asIs): { samples: number[] } | { error: string } {
  switch (answer.kind) {
    case 'error':
      return { error: answer.message };
    case 'verdict':
      return { error: 'compare needs samples, and this provider gives a verdict: judge it with its own result' };
    case 'json': {
      const data = fromJson(answer.value);
      if (data.kind === 'json') {
        return {
          error: `compare needs numbers, and the answer is ${describeJson(data.value, scrub)}: point the provider at a number or a list of numbers`,
        };
      }
      return samplesOf(data, scrub);
    }
    case 'empty':
      return { samples: [] };
    case 'matrix':
      return { samples: answer.series.flat() };
    case 'scalar':
    case 'vector':
      return { samples: answer.values };
  }
}

/** Text as it may be shown: with the measurement's Secret values replaced (measure.ts), or as it is. */
export type Scrub = (text: string) => string;

const asIs: Scrub = (text) => text;

/**
 * A JSON value named for a message: its type and a short form of it. `scrub` runs on the whole text before it is
 * cut, so that a Secret the value echoes cannot leave a part of itself that no longer matches at the cut.
 */
export function describeJson(value: JsonValue, scrub: Scrub = asIs): string {
  const kind = Array.isArray(value)
    ? 'a list'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;
  const text = scrub(JSON.stringify(value));
  return `${kind} (${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}
