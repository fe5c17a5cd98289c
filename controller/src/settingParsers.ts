/**
 * What one entry of the settings table is (`Setting`), and the parsers that several areas of the table share.
 */
import { parseDuration } from './api/duration.ts';
import type { ConfigHost } from './configHost.ts';

/** What a parser returns for text it does not accept. */
export const invalid: unique symbol = Symbol('invalid');

/** What a parser returns for text it does not accept when it can say more than `accepts` does. */
export class Refused {
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }
}

export interface DefaultContext {
  /** Given to defaults that depend on it (the Lease name). */
  instanceId: string | undefined;
  host: ConfigHost;
}

export interface Setting<T> {
  flag: `--${string}`;
  env: string;
  /** What the value is, in --help: `--metrics-port <port>`. */
  valueName: string;
  /** Completes "... is not <accepts>" in errors and "Accepts <accepts>." in the docs. */
  accepts: string;
  description: string;
  /** The default in words, for --help and the README. */
  defaultText: string;
  default: (context: DefaultContext) => T;
  parse: (text: string) => T | typeof invalid | Refused;
  /** May stand alone (`--leader-elect` means true); a value needs `=`, as with Go's flag package. */
  boolean?: true;
  /**
   * A secret: read from the environment (or a file setting) only. A flag's value is visible to every user of the
   * machine in the process list, so the flag is refused with a message saying what to use instead.
   */
  secret?: { instead: string };
}

export function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}

export function parseWholeNumber(min: number, max: number) {
  return (text: string): number | typeof invalid => {
    if (!/^[0-9]+$/.test(text)) return invalid;
    const value = Number(text);
    return value >= min && value <= max ? value : invalid;
  };
}

export const parsePort = parseWholeNumber(1, 65_535);

/** Node's timers fire at once past 2^31-1 ms (24.8 days): no duration setting may reach it. */
const maxSettingMs = 24 * 24 * 3_600_000;

export function parseDurationAtLeast(minMs: number) {
  return (text: string): number | typeof invalid => {
    try {
      const ms = parseDuration(text);
      return ms >= minMs && ms > 0 && ms <= maxSettingMs ? ms : invalid;
    } catch {
      return invalid;
    }
  };
}

export const booleanWords = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

export const durationExamples = '(like 15s, 1m30s or 500ms)';
