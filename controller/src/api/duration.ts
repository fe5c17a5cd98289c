/**
 * Durations in the Sluice API are Go-style strings ("30s", "1m", "1h30m", "500ms"), as in Argo Rollouts and
 * Kubernetes itself. The same pattern guards the CRD schema (so the API server refuses a bad one) and this parser
 * (so the controller never meets a string it cannot read): one definition, two enforcers.
 */

/** Units a duration may use, longest suffix first so that "ms" is never read as "m" + "s". */
const unitNanos: Readonly<Record<string, number>> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** The schema pattern: "0", or one or more `<number><unit>` parts. Negative durations have no meaning here. */
export const durationPattern = '^(0|([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+)$';

const durationRegExp = new RegExp(durationPattern);
const partRegExp = /([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g;

/** Raised for a string that is not a duration; the message says how to write one. */
export class DurationError extends Error {
  readonly field: string | undefined;
  /** The message without the field, for callers that report the field separately. */
  readonly problem: string;

  constructor(text: string, field?: string) {
    const problem = `${JSON.stringify(text)} is not a duration: write a number and a unit (ns, us, ms, s, m, h), like 30s, 1m, 1h30m or 500ms`;
    super(field === undefined ? problem : `${field}: ${problem}`);
    this.name = 'DurationError';
    this.field = field;
    this.problem = problem;
  }
}

/**
 * Parses a Go-style duration into milliseconds (fractional below one millisecond). `field` names the API field
 * the string came from, so that the error tells the user where to look.
 */
export function parseDuration(text: string, field?: string): number {
  if (!durationRegExp.test(text)) throw new DurationError(text, field);
  let nanos = 0;
  for (const [, amount, unit] of text.matchAll(partRegExp)) {
    nanos += Number(amount) * (unitNanos[unit!] ?? Number.NaN);
  }
  if (!Number.isFinite(nanos)) throw new DurationError(text, field);
  return nanos / 1e6;
}

/** Returns true when `text` is a duration that parseDuration accepts. */
export function isDuration(text: string): boolean {
  return durationRegExp.test(text);
}

/**
 * Formats milliseconds the way a user would write them: "1h30m", "45s", "1m0.5s" is written "1m500ms".
 * parseDuration(formatDuration(ms)) gives back `ms` to the nanosecond.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`cannot format ${ms} ms as a duration: it must be a finite number >= 0`);
  let rest = Math.round(ms * 1e6);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of Object.entries(unitNanos).reverse()) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}

/**
 * Why `text` is longer than `max`, or undefined (also for a string that is not a duration: the pattern check
 * reports that). For fields with an upper bound; the CRD carries the same bound as a CEL rule.
 */
export function longerThan(text: string, max: string): string | undefined {
  if (!isDuration(text) || parseDuration(text) <= parseDuration(max)) return undefined;
  return `${text} is longer than the ${max} allowed`;
}
