/**
 * unleash-client for the freeze gate, loaded on first use: a controller whose Rollouts never name a freeze flag
 * never loads it (with its HTTP cache and retry stack, about 40 modules), which is memory every controller would
 * otherwise hold (issue 20). Until the module has loaded, the client reports nothing, so the gate reads every flag
 * as "not answered yet" and holds, as it does before the first poll anyway.
 */
import type { UnleashConfig } from 'unleash-client';

/** The part of unleash-client's Unleash the gate uses; tests pass a fake. */
export interface FreezeClient {
  on(event: 'changed' | 'unchanged' | 'error' | 'warn', listener: (arg?: unknown) => void): unknown;
  isEnabled(name: string, context: { properties: Record<string, string> }): boolean;
  getFeatureToggleDefinition(name: string): unknown;
  destroy(): void;
}

type Event = Parameters<FreezeClient['on']>[0];
type Listener = (arg?: unknown) => void;

/** Loads unleash-client ahead of the first client (the module is cached; a failure is retried when one is made). */
export const preloadUnleashClient = (): Promise<unknown> => import('unleash-client').catch(() => undefined);

/**
 * Makes clients that load unleash-client when the first one is made; `onLateReport` hears errors after destroy. A
 * load that fails (or a client that refuses to be made) is reported to the 'error' listeners, so the gate holds
 * and says why, and is tried again after the refresh interval, as unleash-client polls again after a failed poll.
 */
export function createUnleashClient(
  onLateReport: ((what: string) => void) | undefined,
  load: () => Promise<typeof import('unleash-client')> = () => import('unleash-client'),
): (config: UnleashConfig) => FreezeClient {
  return (config) => {
    const listeners: [Event, Listener][] = [];
    let client: FreezeClient | undefined;
    let destroyed = false;
    let retry: NodeJS.Timeout | undefined;
    const failed = (what: string, err: unknown) => {
      const reason = `the Unleash client could not be ${what}: ${err instanceof Error ? err.message : String(err)}`;
      for (const [event, listener] of listeners) if (event === 'error') listener(new Error(reason));
      if (destroyed) return; // a listener may have stopped it
      // Unref'd: a controller on its way out does not wait for it (destroy clears it too).
      retry = setTimeout(start, config.refreshInterval ?? 15_000).unref();
    };
    const start = () => {
      retry = undefined;
      void load().then(
        (unleash) => {
          if (destroyed) return;
          let made: import('unleash-client').Unleash;
          try {
            // No backup file in the temp folder: a restarted controller must hear from Unleash before it trusts a flag.
            made = new unleash.Unleash({ ...config, storageProvider: new unleash.InMemStorageProvider() });
          } catch (err) {
            failed('made', err);
            return;
          }
          client = wrap(made, onLateReport);
          for (const [event, listener] of listeners) client.on(event, listener);
        },
        (err: unknown) => {
          if (!destroyed) failed('loaded', err);
        },
      );
    };
    start();
    return {
      on(event, listener) {
        listeners.push([event, listener]);
        return client?.on(event, listener);
      },
      // The gate asks only after 'changed', which only a loaded client emits; before that, nothing is known.
      isEnabled: (name, context) => client?.isEnabled(name, context) ?? false,
      getFeatureToggleDefinition: (name) => client?.getFeatureToggleDefinition(name),
      destroy() {
        destroyed = true;
        clearTimeout(retry);
        client?.destroy();
      },
    };
  };
}

/**
 * unleash-client 6.12's destroy() removes every listener from its repository while a poll may still be in flight
 * (make-fetch-happen retries it for seconds). When that poll fails, the repository emits 'error' with nobody
 * listening, which ends the process with an unhandled rejection. So after destroy the gate listens again, and
 * only reports what arrives late.
 */
function wrap(
  client: import('unleash-client').Unleash,
  onLateReport: ((what: string) => void) | undefined,
): FreezeClient {
  const destroy = client.destroy.bind(client);
  return {
    on: (event, listener) => client.on(event, listener),
    isEnabled: (name, context) => client.isEnabled(name, context),
    getFeatureToggleDefinition: (name) => client.getFeatureToggleDefinition(name),
    destroy: () => {
      destroy();
      const repository = (client as unknown as { repository?: { on?: unknown } }).repository;
      if (repository !== undefined && typeof repository.on === 'function') {
        (repository.on as (event: string, listener: (err: unknown) => void) => void).call(repository, 'error', (err) =>
          onLateReport?.(reasonOf(err)),
        );
      }
    },
  };
}

export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // unleash-client prefixes its repository's errors; the rest says what happened.
  return text
    .replace(/^Unleash Repository error: /, '')
    .replace(/^request to \S+ failed, reason: /, '')
    .replace(/\s+/g, ' ')
    .trim();
}
