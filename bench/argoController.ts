/**
 * Argo Rollouts v1.9.1's controller as the other side of `npm run bench -- --compare argo`: its binary (built from
 * its Go module by test/setup/argo-rollouts.sh), its CRDs (from the same module), its Rollout for one benchmarked
 * Deployment, and the process itself: namespaced, at the benchmark's QPS and burst, on free loopback ports.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../test/cluster/paths.ts';
import { freePorts } from '../test/support/ports.ts';
import { waitFor } from '../test/support/wait.ts';
import { applyServerSide, type Kube } from './kube.ts';
import { parseExposition } from './stats.ts';
import { requestTotals, type ComparedController } from './compareFigures.ts';

export const argoVersion = 'v1.9.1';
export const argoRolloutRef = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' };
const argoModule = join(repoRoot, 'bench', 'argo');

/** The controller binary's path; the first call on a machine builds it (minutes), later ones read the cache. */
export function argoControllerBinary(): string {
  return execFileSync('bash', [join(repoRoot, 'test/setup/argo-rollouts.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Installs the CRDs of the pinned module (fetched into Go's module cache if the build did not leave it there). */
export async function installArgoCrds(kube: Kube): Promise<void> {
  const go = (...args: string[]) => execFileSync('go', args, { cwd: argoModule, encoding: 'utf8' }).trim();
  const dir = join(go('env', 'GOMODCACHE'), `github.com/argoproj/argo-rollouts@${argoVersion}`, 'manifests', 'crds');
  if (!existsSync(dir)) go('mod', 'download', `github.com/argoproj/argo-rollouts@${argoVersion}`);
  applyServerSide(kube, dir);
  await waitFor(
    () =>
      kube.custom.listClusterCustomObject({ ...argoRolloutRef, limit: 1 }).then(
        () => true,
        () => false,
      ),
    { timeoutMs: 30_000, what: 'rollouts.argoproj.io to be served' },
  );
}

/**
 * Argo's Rollout of the Deployment `name`: the same three weights, no pauses, no traffic router (replica ratio).
 * Argo does not read the Deployment's replicas (a Rollout without spec.replicas runs 1 pod), so the Rollout says 4.
 * scaleDown onsuccess: once the Rollout is Healthy on its first revision Argo scales the Deployment to 0 (v1.9.1,
 * rollout/sync.go), as Sluice does once its stable pods are ready; so both end with the Rollout's 4 pods and a
 * Deployment at 0. The default (never) would leave the Deployment's 4 pods running beside Argo's: 8 per app.
 */
export function argoRollout(name: string, replicas: number, steps: readonly { setWeight: number }[]) {
  return {
    apiVersion: `${argoRolloutRef.group}/${argoRolloutRef.version}`,
    kind: 'Rollout',
    metadata: { name },
    spec: {
      replicas,
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name, scaleDown: 'onsuccess' },
      strategy: { canary: { steps } },
    },
  };
}

interface ArgoRolloutStatus {
  phase?: string;
  stableRS?: string;
  currentPodHash?: string;
}

/** The pod-template hash an Argo Rollout is Healthy on with every pod of it (stable = current), else undefined. */
export function argoHealthyOn(r: { status?: ArgoRolloutStatus }): string | undefined {
  const s = r.status;
  if (s?.phase !== 'Healthy' || s.stableRS === undefined || s.stableRS !== s.currentPodHash) return undefined;
  return s.stableRS;
}

/** Argo's client-go request counter (per kind, namespace, name, verb and status code), on its metrics port. */
export const argoRequestMetric = 'controller_clientset_k8s_request_total';

export async function startArgoController(opts: {
  binary: string;
  kubeconfig: string;
  namespace: string;
  qps: number;
  burst: number;
  logDir: string;
  label: string;
}): Promise<ComparedController> {
  const [metricsPort, healthzPort, pprofPort] = (await freePorts(3)) as [number, number, number];
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `argo-rollouts-${opts.label}.log`);
  const log = createWriteStream(logFile);
  const spawnedAt = performance.now();
  // pprof on loopback: its heap profile with gc=1 runs runtime.GC() first, the Go side of Sluice's forced collection.
  const child = spawn(
    opts.binary,
    [
      '--kubeconfig',
      opts.kubeconfig,
      '--namespaced',
      '--namespace',
      opts.namespace,
      '--leader-elect=false',
      '--qps',
      String(opts.qps),
      '--burst',
      String(opts.burst),
      '--metricsPort',
      String(metricsPort),
      '--healthzPort',
      String(healthzPort),
      '--enable-pprof-address',
      `127.0.0.1:${pprofPort}`,
      '--loglevel',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    log.end();
  };
  try {
    // Its metrics server starts before its caches sync; the counters are there from the first request.
    for (const deadline = Date.now() + 120_000; ; await sleep(50)) {
      if (child.exitCode !== null) throw new Error(`Argo Rollouts exited with ${child.exitCode}; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`Argo Rollouts' metrics did not answer in 2 minutes; see ${logFile}`);
      const ok = await fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    spawnedAt,
    logFile,
    async requests() {
      const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(30_000) })).text();
      return requestTotals(parseExposition(text), argoRequestMetric);
    },
    async collectGarbage() {
      const r = await fetch(`http://127.0.0.1:${pprofPort}/debug/pprof/heap?gc=1`, {
        signal: AbortSignal.timeout(60_000),
      });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`Argo Rollouts' pprof answered ${r.status} to heap?gc=1`);
    },
    stop,
  };
}
