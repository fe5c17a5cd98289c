/**
 * Stands in for the kubelet in the demo: the local control plane has no kubelet (kwok only marks pods Ready), so
 * this runs one demo-service process per Sluice ReplicaSet revision that has replicas, configured from the pod
 * template's container env (VERSION, ERROR_RATE, LATENCY_MS). On a real cluster the same Rollout runs real pods.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AppsV1Api, type KubeConfig, type V1ReplicaSet } from '@kubernetes/client-node';
import { freePort } from '../../test/support/ports.ts';
import { waitFor } from '../../test/support/wait.ts';

export interface RevisionProcess {
  revision: string;
  version: string;
  url: string;
  child: ChildProcess;
}

export class PodRuntime {
  readonly #apps: AppsV1Api;
  readonly #namespace: string;
  readonly #rollout: string;
  readonly #running = new Map<string, RevisionProcess>();
  readonly #starting = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(kc: KubeConfig, namespace: string, rollout: string) {
    this.#apps = kc.makeApiClient(AppsV1Api);
    this.#namespace = namespace;
    this.#rollout = rollout;
  }

  /** The process serving a revision, if it runs. */
  processFor(revision: string): RevisionProcess | undefined {
    return this.#running.get(revision);
  }

  start(intervalMs = 300): void {
    const tick = () =>
      void this.sync().finally(() => {
        this.#timer = setTimeout(tick, intervalMs);
      });
    tick();
  }

  async sync(): Promise<void> {
    const list = await this.#apps
      .listNamespacedReplicaSet({ namespace: this.#namespace, labelSelector: `sluice.dev/rollout=${this.#rollout}` })
      .catch(() => undefined);
    if (list === undefined) return;
    const wanted = new Map(
      list.items
        .filter((rs) => (rs.spec?.replicas ?? 0) > 0)
        .map((rs) => [rs.metadata!.labels!['sluice.dev/revision']!, rs]),
    );
    for (const [revision, rs] of wanted) {
      if (!this.#running.has(revision) && !this.#starting.has(revision)) {
        this.#starting.add(revision);
        void this.#spawn(revision, rs).finally(() => this.#starting.delete(revision));
      }
    }
    for (const [revision, proc] of this.#running) {
      if (!wanted.has(revision)) {
        proc.child.kill('SIGTERM');
        this.#running.delete(revision);
      }
    }
  }

  async #spawn(revision: string, rs: V1ReplicaSet): Promise<void> {
    const env = Object.fromEntries(
      (rs.spec?.template?.spec?.containers?.[0]?.env ?? []).map((e) => [e.name, e.value ?? '']),
    );
    const port = await freePort();
    const child = spawn(process.execPath, [join(import.meta.dirname, 'service.ts')], {
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
      timeoutMs: 15_000,
      what: `demo service ${revision}`,
    });
    this.#running.set(revision, { revision, version: env.VERSION ?? revision, url, child });
  }

  stop(): void {
    clearTimeout(this.#timer);
    for (const proc of this.#running.values()) proc.child.kill('SIGTERM');
    this.#running.clear();
  }
}
