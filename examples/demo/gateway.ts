/**
 * Stands in for a Gateway API implementation in the demo: it reads the HTTPRoute's backendRef weights that Sluice
 * writes, sends each request to the stable or canary Service's revision in that proportion, and exports the
 * request metrics a real gateway would (http_requests_total and http_request_duration_seconds, labelled by
 * service and track), which the analysis reads from Prometheus.
 */
import { createServer, type Server } from 'node:http';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { Counter, Histogram, Registry } from 'prom-client';
import type { PodRuntime, RevisionProcess } from './podRuntime.ts';

interface Route {
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}

export class DemoGateway {
  readonly #kc: KubeConfig;
  readonly #namespace: string;
  readonly #name: string;
  readonly #pods: PodRuntime;
  readonly registry = new Registry();
  readonly #requests: Counter<'service' | 'track' | 'code'>;
  readonly #duration: Histogram<'service' | 'track'>;
  #weights = { stable: 100, canary: 0 };
  #revisions: { stable?: string; canary?: string } = {};
  #stopped = false;
  #server: Server | undefined;
  /** Requests sent per track, for the demo's timeline. */
  readonly sent = { stable: 0, canary: 0, errors: { stable: 0, canary: 0 } };
  /** When each version first answered an error through this gateway (ms since the epoch). */
  readonly firstErrorAt = new Map<string, number>();

  constructor(kc: KubeConfig, namespace: string, name: string, pods: PodRuntime) {
    this.#kc = kc;
    this.#namespace = namespace;
    this.#name = name;
    this.#pods = pods;
    this.#requests = new Counter({
      name: 'http_requests_total',
      help: 'Requests through the demo gateway.',
      labelNames: ['service', 'track', 'code'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Request latency through the demo gateway.',
      labelNames: ['service', 'track'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }

  get weights(): { stable: number; canary: number } {
    return this.#weights;
  }

  /** Serves /metrics for Prometheus; returns the port. */
  async serveMetrics(port = 0): Promise<number> {
    this.#server = createServer((req, res) => {
      void this.registry
        .metrics()
        .then((body) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(body));
    });
    await new Promise<void>((r) => this.#server!.listen(port, '127.0.0.1', r));
    const a = this.#server.address();
    return typeof a === 'object' && a !== null ? a.port : port;
  }

  /** Keeps reading the route and the Services, and sends `rps` requests per second until stop(). */
  run(rps: number): void {
    const custom = this.#kc.makeApiClient(CustomObjectsApi);
    const core = this.#kc.makeApiClient(CoreV1Api);
    const refresh = async () => {
      if (this.#stopped) return;
      try {
        const route = (await custom.getNamespacedCustomObject({
          group: 'gateway.networking.k8s.io',
          version: 'v1',
          plural: 'httproutes',
          namespace: this.#namespace,
          name: this.#name,
        })) as Route;
        const refs = route.spec.rules[0]?.backendRefs ?? [];
        const w = (suffix: string) => refs.find((r) => r.name === `${this.#name}-${suffix}`)?.weight ?? 1;
        this.#weights = { stable: w('stable'), canary: w('canary') };
        for (const track of ['stable', 'canary'] as const) {
          const svc = await core
            .readNamespacedService({ namespace: this.#namespace, name: `${this.#name}-${track}` })
            .catch(() => undefined);
          this.#revisions[track] = svc?.spec?.selector?.['sluice.dev/revision'];
        }
      } catch {
        /* the route or Services are not there yet */
      }
      setTimeout(() => void refresh(), 200);
    };
    void refresh();
    const send = () => {
      if (this.#stopped) return;
      const total = this.#weights.stable + this.#weights.canary;
      const track = total > 0 && Math.random() * total < this.#weights.canary ? 'canary' : 'stable';
      void this.#send(track);
      setTimeout(send, 1000 / rps);
    };
    send();
  }

  async #send(track: 'stable' | 'canary'): Promise<void> {
    const revision = this.#revisions[track];
    const started = performance.now();
    const proc = revision === undefined ? undefined : await this.#processOf(revision);
    let code = 503; // no ready backend: what a gateway answers
    if (proc !== undefined) {
      try {
        code = (await fetch(proc.url, { signal: AbortSignal.timeout(5_000) })).status;
      } catch {
        code = 502;
      }
    }
    this.sent[track] += 1;
    if (code >= 500) {
      this.sent.errors[track] += 1;
      if (proc !== undefined && !this.firstErrorAt.has(proc.version)) this.firstErrorAt.set(proc.version, Date.now());
    }
    this.#requests.inc({ service: this.#name, track, code: String(code) });
    this.#duration.observe({ service: this.#name, track }, (performance.now() - started) / 1000);
  }

  /**
   * The process serving a revision. On a real cluster a pod is Ready only once its process serves; here kwok marks
   * it Ready at once and the demo's stand-in kubelet (podRuntime.ts) starts the process a moment later. Waiting up
   * to 2 s for it keeps that gap from showing up as 503s that no version of the app ever answered.
   */
  async #processOf(revision: string): Promise<RevisionProcess | undefined> {
    for (let waited = 0; ; waited += 50) {
      const proc = this.#pods.processFor(revision);
      if (proc !== undefined || waited >= 2_000 || this.#stopped) return proc;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#server?.close();
  }
}
