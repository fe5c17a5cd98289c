/**
 * Reading a Flagger object defensively, field by field, so that every field is either taken by the conversion or
 * listed as dropped: a Fields reader remembers which keys were read, and `dropRest` lists the others. A value of the
 * wrong type is never guessed at: it is dropped with the type Flagger expects.
 */
import { isDuration } from '../api/duration.ts';
import type { Dropped } from './conversion.ts';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The dropped list of one input object. */
export class DropList {
  readonly entries: Dropped[] = [];
  readonly object: string;

  constructor(object: string) {
    this.object = object;
  }

  add(path: string, reason: string): void {
    this.entries.push({ object: this.object, path, reason });
  }
}

/** The keys of one object of the input, read once each. */
export class Fields {
  private readonly taken = new Set<string>();
  readonly value: Json;
  readonly path: string;
  readonly drops: DropList;

  constructor(value: unknown, path: string, drops: DropList) {
    this.value = isRecord(value) ? value : {};
    this.path = path;
    this.drops = drops;
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  /** The raw value, marked as read. */
  raw(key: string): unknown {
    this.taken.add(key);
    const v = this.value[key];
    return v === null ? undefined : v;
  }

  private typed<T>(key: string, ok: (v: unknown) => v is T, expected: string): T | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (ok(v)) return v;
    this.drops.add(this.at(key), `expected ${expected}, found ${JSON.stringify(v)?.slice(0, 80)}: not converted`);
    return undefined;
  }

  str(key: string): string | undefined {
    return this.typed(key, (v): v is string => typeof v === 'string' && v !== '', 'a non-empty string');
  }

  bool(key: string): boolean | undefined {
    return this.typed(key, (v): v is boolean => typeof v === 'boolean', 'true or false');
  }

  /** A whole number within [min, max]. */
  int(key: string, min: number, max: number): number | undefined {
    return this.typed(
      key,
      (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
      `a whole number from ${min} to ${max}`,
    );
  }

  num(key: string): number | undefined {
    return this.typed(key, (v): v is number => typeof v === 'number' && Number.isFinite(v), 'a number');
  }

  /** A Go duration such as 30s or 1m. */
  duration(key: string): string | undefined {
    return this.typed(key, (v): v is string => typeof v === 'string' && isDuration(v), 'a duration such as 1m');
  }

  obj(key: string): Fields | undefined {
    const v = this.typed(key, isRecord, 'an object');
    return v === undefined ? undefined : new Fields(v, this.at(key), this.drops);
  }

  list(key: string): unknown[] | undefined {
    return this.typed(key, (v): v is unknown[] => Array.isArray(v), 'a list');
  }

  /** Marks the key read and lists it as dropped, when it is set. */
  drop(key: string, reason: string): void {
    if (this.raw(key) !== undefined) this.drops.add(this.at(key), reason);
  }

  /** Lists every key not read as dropped. */
  dropRest(reason = 'not a field Sluice knows how to convert'): void {
    for (const key of Object.keys(this.value)) {
      if (!this.taken.has(key) && this.value[key] !== undefined && this.value[key] !== null)
        this.drops.add(this.at(key), reason);
    }
  }
}
