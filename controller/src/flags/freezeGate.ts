/**
 * The freeze gate (`gates.freezeFlag`): while the named flag is enabled, no step of the Rollout advances. It is
 * read with one unleash-client for the whole controller, which polls Unleash in the background, so a check costs
 * no request. It fails safe: until the client has synchronized, after it reports an error, or when it has not
 * heard from Unleash for a long while, every freeze flag reads as frozen, with a message that says why.
 */
import type { UnleashConfig } from 'unleash-client';
import { unleashEnv } from './settings.ts';
import { createUnleashClient, reasonOf, type FreezeClient } from './unleashClient.ts';

export type { FreezeClient };

export interface FreezeGateOptions {
  /** Base URL of the Unleash server (settings.ts: unleashBaseUrl). */
  url: string;
  /** Backend (client) API token; its environment is the one the gate reads. */
  clientToken: string;
  /** How often the client polls Unleash; 15 s when omitted. */
  refreshIntervalMs?: number;
  /** Deadline of each poll; 10 s when omitted. */
  timeoutMs?: number;
  /**
   * How long without a successful poll before the gate stops trusting what it last read. The client backs off
   * to 11 refresh intervals after failures, so the default is 12 refresh intervals plus the poll deadline.
   */
  staleAfterMs?: number;
  /** Called when what the client knows changes (flags updated, Unleash lost or found), to look at frozen Rollouts again. */
  onChange?: () => void;
  /** Told what the client reports after it was stopped (nothing acts on it any more). */
  onLateReport?: (what: string) => void;
  now?: () => number;
  /** Makes the client; unleash-client's Unleash when omitted. */
  createClient?: (config: UnleashConfig) => FreezeClient;
}

export interface FreezeReading {
  frozen: boolean;
  /** Why: the flag is on, off, unknown to Unleash, or cannot be read. */
  message: string;
}

/** Whom the flag is asked about: Unleash constraints and strategies may use these context properties. */
export interface FreezeContext {
  namespace: string;
  rollout: string;
}

export class FreezeGate {
  readonly #client: FreezeClient;
  readonly #url: string;
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  readonly #onChange: () => void;
  #synchronized = false;
  #lastSuccessAt: number | undefined;
  #problem: string | undefined;
  #destroyed = false;

  constructor(options: FreezeGateOptions) {
    const refreshIntervalMs = options.refreshIntervalMs ?? 15_000;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#url = options.url.replace(/\/+$/, '');
    this.#staleAfterMs = options.staleAfterMs ?? 12 * refreshIntervalMs + timeoutMs;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange ?? (() => undefined);
    const config: UnleashConfig = {
      url: `${this.#url}/api`,
      appName: 'sluice',
      customHeaders: { Authorization: options.clientToken },
      refreshInterval: refreshIntervalMs,
      timeout: timeoutMs,
      disableMetrics: true,
      // No backup file in the temp folder (unleashClient.ts keeps flags in memory): a restarted controller must hear
      // from Unleash before it trusts a flag.
      skipInstanceCountWarning: true,
    };
    this.#client = (options.createClient ?? createUnleashClient(options.onLateReport))(config);
    // 'changed' comes with every fetch that brought flags (the first one too, just before 'synchronized').
    this.#client.on('changed', () => this.#heard(true));
    this.#client.on('unchanged', () => this.#heard(false));
    this.#client.on('error', (err) => this.#lost(reasonOf(err)));
    // 404, 429 and 5xx answers come as warnings ("... responded 503. Backing off"); other warnings are not about polling.
    this.#client.on('warn', (msg) => {
      if (typeof msg === 'string' && /\bresponded\b/.test(msg)) this.#lost(msg);
    });
  }

  /** Whether the freeze flag holds the Rollout now. Cheap: reads what the client last fetched. */
  isFrozen(flag: string, context: FreezeContext): FreezeReading {
    const unreadable = this.#unreadable();
    if (unreadable !== undefined) {
      return { frozen: true, message: `freeze flag ${flag} cannot be read: ${unreadable}; holding` };
    }
    if (this.#client.getFeatureToggleDefinition(flag) === undefined) {
      // Unleash's own rule for a flag it does not know is "off"; the message keeps a misspelt name visible.
      return {
        frozen: false,
        message: `freeze flag ${flag} does not exist in Unleash (in the client token's projects and environment): not frozen`,
      };
    }
    const frozen = this.#client.isEnabled(flag, {
      properties: { namespace: context.namespace, rollout: context.rollout },
    });
    return frozen
      ? { frozen: true, message: `freeze flag ${flag} is enabled in Unleash: no step advances until it is turned off` }
      : { frozen: false, message: `freeze flag ${flag} is off` };
  }

  /** Why flags cannot be trusted now, or undefined when they can. */
  #unreadable(): string | undefined {
    if (this.#destroyed) return 'the Unleash client was stopped';
    if (this.#problem !== undefined) return this.#problem;
    if (!this.#synchronized || this.#lastSuccessAt === undefined) return `Unleash at ${this.#url} has not answered yet`;
    const silentMs = this.#now() - this.#lastSuccessAt;
    if (silentMs > this.#staleAfterMs)
      return `Unleash at ${this.#url} unreachable (no answer for ${Math.round(silentMs / 1000)} s)`;
    return undefined;
  }

  #heard(changed: boolean): void {
    const wasUnreadable = this.#unreadable() !== undefined;
    this.#synchronized = true;
    this.#lastSuccessAt = this.#now();
    this.#problem = undefined;
    if (changed || wasUnreadable) this.#onChange();
  }

  #lost(reason: string): void {
    const first = this.#problem === undefined;
    const refused = /responded (401|403)\b/.exec(reason);
    this.#problem =
      refused === null
        ? `Unleash at ${this.#url} unreachable (${reason})`
        : `Unleash at ${this.#url} refused the client token (${refused[1]}), and the client has stopped polling: check the Secret behind ${unleashEnv.clientToken}, then restart the controller`;
    if (first) this.#onChange();
  }

  /** Stops polling; afterwards every flag reads as frozen. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#client.destroy();
  }
}
