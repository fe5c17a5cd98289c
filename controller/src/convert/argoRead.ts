/**
 * Reading an Argo Rollouts object defensively, and recording what is not carried over. The input is whatever a
 * user has in Git: any field may be missing or of the wrong type, and each such field becomes a Dropped entry
 * rather than an exception or a silently wrong value.
 */
import { isDuration, longerThan } from '../api/duration.ts';
import type { Dropped } from './conversion.ts';

export type Fields = Record<string, unknown>;

export function isFields(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Collects the Dropped entries of one input object. */
export class DropList {
  readonly entries: Dropped[] = [];
  private readonly object: string;

  constructor(object: string) {
    this.object = object;
  }

  drop(path: string, reason: string): void {
    this.entries.push({ object: this.object, path, reason });
  }

  /** Drops every field of `fields` not named in `handled`, with the reason `reasonFor` gives for its name. */
  rest(fields: Fields, path: string, handled: readonly string[], reasonFor: (field: string) => string): void {
    for (const field of Object.keys(fields)) {
      if (!handled.includes(field)) this.drop(`${path}.${field}`, reasonFor(field));
    }
  }

  /** The value at `path` when it is a string; otherwise drops it (when set) and gives undefined. */
  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.drop(path, `is not a string (${JSON.stringify(value)})`);
    return undefined;
  }

  /** The value when it is an integer within [min, max]; otherwise drops it (when set). */
  integer(value: unknown, path: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.drop(path, `is not a whole number from ${min} to ${max} (${JSON.stringify(value)}), as Sluice requires`);
    return undefined;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.drop(path, `is not true or false (${JSON.stringify(value)})`);
    return undefined;
  }

  /** The value when it is a list of objects (entries that are not objects are dropped); undefined when unset. */
  list(value: unknown, path: string): Fields[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.drop(path, 'is not a list');
      return undefined;
    }
    return value.flatMap((item, i) => {
      if (isFields(item)) return [item];
      this.drop(`${path}[${i}]`, 'is not an object');
      return [];
    });
  }

  fields(value: unknown, path: string): Fields | undefined {
    if (value === undefined || value === null) return undefined;
    if (isFields(value)) return value;
    this.drop(path, 'is not an object');
    return undefined;
  }

  /**
   * A duration as Sluice writes it. Argo takes a whole number of seconds, or a string: a Go duration, or a whole
   * number of seconds written as a string. Gives undefined (and drops the field, saying why) for anything else or
   * for a duration longer than `max`.
   */
  duration(value: unknown, path: string, max: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    let text: string | undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) text = `${value}s`;
    else if (typeof value === 'string' && /^[0-9]{1,9}$/.test(value)) text = `${value}s`;
    else if (typeof value === 'string' && isDuration(value)) text = value;
    if (text === undefined) {
      this.drop(path, `${JSON.stringify(value)} is not a duration Sluice can read (such as 30s, 5m or 1h)`);
      return undefined;
    }
    const tooLong = longerThan(text, max);
    if (tooLong !== undefined) {
      this.drop(path, `${tooLong} by Sluice`);
      return undefined;
    }
    return text;
  }
}

/** Adds `key: value` to an object under construction only when the value is set. */
export function setIf<T extends object, K extends string, V>(target: T, key: K, value: V | undefined): void {
  if (value !== undefined) (target as Record<string, unknown>)[key] = value;
}

/** `reasons[key]` when it is the table's own entry: an input key such as `constructor` must not read Object's. */
export function ownReason(reasons: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(reasons, key) ? reasons[key] : undefined;
}
