/**
 * The controller's one way to Unleash, made on first use: a controller whose Rollouts use no setFlag step and no
 * freeze flag never builds a client, never polls Unleash, and needs none of the Unleash settings.
 */
import { FreezeGate, type FreezeContext, type FreezeGateOptions, type FreezeReading } from './freezeGate.ts';
import { missingSettings, unleashBaseUrl, type UnleashSettings } from './settings.ts';
import { defaultTenancy, flagAllowed, type FlagTarget, type TenancyPolicy } from './tenancy.ts';
import { UnleashAdmin, type FlagAdmin } from './unleashAdmin.ts';
import { preloadUnleashClient } from './unleashClient.ts';
import type { Tracer } from '../trace/tracer.ts';

/** Either the thing asked for, or why the settings do not allow it (a message for InvalidSpec). */
export type Available<T> = { ok: true; value: T } | { ok: false; message: string };

export interface UnleashConnectionOptions {
  /** Deadline of each Admin API request; 10 s when omitted. */
  adminTimeoutMs?: number;
  /** Throws when this replica may not write (not the leader); checked right before each Admin API write. */
  adminFence?: () => void;
  /** Admin API requests become spans under their flag operation's (flagSpans.ts). */
  adminTracer?: Tracer;
  /** Passed to the freeze gate (polling interval, change listener, clock, client factory). */
  freezeGate?: Omit<FreezeGateOptions, 'url' | 'clientToken'>;
}

export class UnleashConnection {
  readonly #settings: UnleashSettings;
  readonly #options: UnleashConnectionOptions;
  #admin: UnleashAdmin | undefined;
  #gate: FreezeGate | undefined;
  #closed = false;

  constructor(settings: UnleashSettings, options: UnleashConnectionOptions = {}) {
    this.#settings = settings;
    this.#options = options;
    // Loading unleash-client blocks the event loop for about 0.1 s: with a client token set, a freeze flag may come
    // with any Rollout, so that happens now, at start, rather than in the reconcile of the first one (which may
    // be an abort). Without one, the gate can never start, and the module is never loaded.
    if (options.freezeGate?.createClient === undefined && missingSettings(settings, 'client') === undefined)
      setImmediate(() => void preloadUnleashClient());
  }

  get defaultEnvironment(): string {
    return this.#settings.defaultEnvironment;
  }

  get defaultProject(): string {
    return this.#settings.defaultProject;
  }

  /** The policy in force: the setting's, or the default project and environment alone. */
  get tenancy(): TenancyPolicy {
    return this.#settings.tenancy ?? defaultTenancy(this.#settings.defaultProject, this.#settings.defaultEnvironment);
  }

  /**
   * Why the Rollouts of `namespace` may not change flags in `target` (a message for InvalidSpec naming
   * `<field>.project` or `<field>.environment` and the setting), or undefined when they may. Pure; no I/O.
   */
  flagAllowed(namespace: string, target: FlagTarget, field?: string): string | undefined {
    return flagAllowed(this.tenancy, namespace, target, field);
  }

  /** The Admin API client for setFlag steps and restores. */
  admin(): Available<FlagAdmin> {
    if (this.#admin === undefined) {
      const missing = missingSettings(this.#settings, 'admin');
      if (missing !== undefined) return { ok: false, message: missing };
      this.#admin = new UnleashAdmin({
        url: unleashBaseUrl(this.#settings.url!)!,
        adminToken: this.#settings.adminToken!,
        timeoutMs: this.#options.adminTimeoutMs,
        fence: this.#options.adminFence,
        tracer: this.#options.adminTracer,
      });
    }
    return { ok: true, value: this.#admin };
  }

  /**
   * Reads a freeze flag. The first call starts the client, which has not heard from Unleash yet: that call, like
   * every call while Unleash cannot be read, holds the Rollout. Without the settings it holds too, saying why.
   */
  isFrozen(flag: string, context: FreezeContext): FreezeReading {
    const gate = this.#freezeGate();
    if (!gate.ok) return { frozen: true, message: `freeze flag ${flag} cannot be read: ${gate.message}; holding` };
    return gate.value.isFrozen(flag, context);
  }

  #freezeGate(): Available<FreezeGate> {
    if (this.#closed) return { ok: false, message: 'the controller is stopping' };
    if (this.#gate === undefined) {
      const missing = missingSettings(this.#settings, 'client');
      if (missing !== undefined) return { ok: false, message: missing };
      this.#gate = new FreezeGate({
        ...this.#options.freezeGate,
        url: unleashBaseUrl(this.#settings.url!)!,
        clientToken: this.#settings.clientToken!,
      });
    }
    return { ok: true, value: this.#gate };
  }

  /** Whether the freeze gate's client was started (tests and shutdown check that nothing was left running). */
  get polling(): boolean {
    return this.#gate !== undefined && !this.#closed;
  }

  /** Stops the freeze gate's polling, if it was started; for shutdown. */
  close(): void {
    this.#closed = true;
    this.#gate?.destroy();
  }
}
