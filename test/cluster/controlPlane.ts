/**
 * The local control plane: real etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from the
 * Go modules, plus kwok, which plays the kubelet of fake nodes so Deployments get Pods that turn Running and Ready.
 * Everything listens on loopback on free ports; state, logs and pid files live in one folder.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePorts } from '../support/ports.ts';
import { isAlive, readPidFile, startProcess, stopProcess, tailLog, type ProcessSpec } from '../support/process.ts';
import { GiveUp, waitFor } from '../support/wait.ts';
import { ensureCerts } from './certs.ts';
import { apiserverArgs, controllerManagerArgs, etcdArgs, kwokArgs, schedulerArgs } from './componentArgs.ts';
import { writeKwokJobConfig } from './kwokJobs.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { removeDeadMetricsApi, stopLeftoverMetricsAdapter } from './metricsApiService.ts';
import { clusterBinDir, defaultClusterDir, defaultKubeconfig, routerCrdsFile } from './paths.ts';

export interface ControlPlaneOptions {
  /** Folder for certificates, etcd data, logs and pid files. */
  dir?: string;
  /** Where to write the admin kubeconfig (besides `<dir>/admin.kubeconfig`). */
  kubeconfig?: string;
  /** How many fake nodes kwok manages. */
  nodes?: number;
}

export interface ControlPlane {
  dir: string;
  server: string;
  kubeconfig: string;
  logDir: string;
  ports: Record<'etcdClient' | 'etcdPeer' | 'apiserver' | 'controllerManager' | 'scheduler' | 'kwok', number>;
}

/** Start order; `down` stops in reverse. */
const components = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
type Component = (typeof components)[number];

function resolved(opts: ControlPlaneOptions) {
  const dir = opts.dir ?? defaultClusterDir;
  return {
    dir,
    kubeconfig: opts.kubeconfig ?? (opts.dir === undefined ? defaultKubeconfig : join(dir, 'admin.kubeconfig')),
    nodes: opts.nodes ?? 2,
    stateFile: join(dir, 'state.json'),
    logDir: join(dir, 'logs'),
    pidFile: (c: Component) => join(dir, 'run', `${c}.pid`),
  };
}

/** The running control plane in `dir`, or undefined when any part of it is not running. */
export function runningControlPlane(opts: ControlPlaneOptions = {}): ControlPlane | undefined {
  const r = resolved(opts);
  if (!existsSync(r.stateFile)) return undefined;
  if (!components.every((c) => readPidFile(r.pidFile(c)) !== undefined)) return undefined;
  return JSON.parse(readFileSync(r.stateFile, 'utf8')) as ControlPlane;
}

/** Names of the components whose process is alive in `dir`. */
export function aliveComponents(opts: ControlPlaneOptions = {}): Component[] {
  const r = resolved(opts);
  return components.filter((c) => readPidFile(r.pidFile(c)) !== undefined);
}

/**
 * Brings the control plane up, or returns the one already running (idempotent). A half-running one (some process
 * died) is torn down and started afresh, because its etcd may no longer match what the others believe.
 */
export async function up(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = clusterBinDir();
  const existing = runningControlPlane(opts);
  if (existing !== undefined && (await apiserverReady(existing))) {
    // A cluster from an older checkout may lack them.
    installCrds(existing, join(bin, 'gateway-api-crds.yaml'));
    installCrds(existing, routerCrdsFile());
    await removeDeadMetricsApi(existing);
    return existing;
  }
  await down(opts);

  const r = resolved(opts);
  for (const b of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']) {
    if (!existsSync(join(bin, b)))
      throw new Error(`${join(bin, b)} is missing: run bash test/setup/ensure-deps.sh to build it`);
  }
  mkdirSync(r.logDir, { recursive: true });
  const certs = ensureCerts(join(r.dir, 'pki'));
  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const cp: ControlPlane = {
    dir: r.dir,
    server: `https://127.0.0.1:${apiserver}`,
    kubeconfig: r.kubeconfig,
    logDir: r.logDir,
    ports: { etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok },
  };
  const kc = (name: string) => join(r.dir, `${name}.kubeconfig`);
  writeKubeconfig(kc('admin'), cp.server, certs.caCert, 'sluice-admin', certs.clients.admin);
  writeKubeconfig(
    kc('kube-controller-manager'),
    cp.server,
    certs.caCert,
    'kube-controller-manager',
    certs.clients.controllerManager,
  );
  writeKubeconfig(kc('kube-scheduler'), cp.server, certs.caCert, 'kube-scheduler', certs.clients.scheduler);
  writeKubeconfig(kc('kwok'), cp.server, certs.caCert, 'kwok', certs.clients.kwok);
  if (r.kubeconfig !== kc('admin')) {
    mkdirSync(join(r.kubeconfig, '..'), { recursive: true });
    writeKubeconfig(r.kubeconfig, cp.server, certs.caCert, 'sluice-admin', certs.clients.admin);
  }
  writeFileSync(r.stateFile, JSON.stringify(cp, null, 2));

  const start = (name: Component, args: string[]) =>
    startProcess({
      name,
      command: join(bin, name),
      args,
      logFile: join(r.logDir, `${name}.log`),
      pidFile: r.pidFile(name),
    } satisfies ProcessSpec);
  const ensureAlive = (name: Component) => {
    const rec = readPidFile(r.pidFile(name));
    if (rec === undefined || !isAlive(rec.pid))
      throw new GiveUp(`${name} exited; its log ends with:\n${tailLog(join(r.logDir, `${name}.log`))}`);
  };

  try {
    rmSync(join(r.dir, 'etcd'), { recursive: true, force: true });
    start('etcd', etcdArgs(r.dir, etcdClient, etcdPeer));
    await waitFor(
      async () => {
        ensureAlive('etcd');
        return (await httpGet(`http://127.0.0.1:${etcdClient}/health`)).includes('"true"');
      },
      { timeoutMs: 30_000, what: 'etcd /health' },
    );

    start('kube-apiserver', apiserverArgs(certs, etcdClient, apiserver));
    await waitFor(
      async () => {
        ensureAlive('kube-apiserver');
        return apiserverReady(cp);
      },
      { timeoutMs: 90_000, what: 'kube-apiserver /readyz' },
    );

    installCrds(cp, join(bin, 'gateway-api-crds.yaml'));
    installCrds(cp, routerCrdsFile());

    start('kube-controller-manager', controllerManagerArgs(certs, kc('kube-controller-manager'), controllerManager));
    start('kube-scheduler', schedulerArgs(kc('kube-scheduler'), scheduler));
    start('kwok', kwokArgs(kc('kwok'), [join(bin, 'kwok-stages.yaml'), writeKwokJobConfig(r.dir)], kwok));

    const core = adminConfig(cp).makeApiClient(CoreV1Api);
    for (let i = 0; i < r.nodes; i++) await core.createNode({ body: fakeNode(`kwok-node-${i}`) });
    await waitFor(
      async () => {
        for (const c of components) ensureAlive(c);
        const nodes = await core.listNode();
        const ready = nodes.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === r.nodes;
      },
      { timeoutMs: 60_000, what: `${r.nodes} kwok nodes Ready` },
    );
    // Pods can be admitted only once kube-controller-manager has made the namespace's default ServiceAccount.
    await waitFor(
      async () => {
        ensureAlive('kube-controller-manager');
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return true;
      },
      { timeoutMs: 60_000, what: 'the default ServiceAccount (kube-controller-manager running)' },
    );
    return cp;
  } catch (err) {
    await down(opts);
    throw err;
  }
}

/** Stops every component (SIGTERM, then SIGKILL) and removes etcd's data; logs stay for a post-mortem. */
export async function down(opts: ControlPlaneOptions = {}): Promise<void> {
  const r = resolved(opts);
  await stopLeftoverMetricsAdapter(r.dir);
  for (const c of [...components].reverse()) await stopProcess(r.pidFile(c));
  rmSync(join(r.dir, 'etcd'), { recursive: true, force: true });
  rmSync(r.stateFile, { force: true });
}

/** A client configuration with the admin identity. */
export function adminConfig(cp: ControlPlane): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  return kc;
}

/**
 * Server-side applies the CRDs in a YAML file and waits until every one is Established. Through kubectl, not
 * client-node's KubernetesObjectApi, which re-serializes CRDs through its typed model and drops keys such as
 * x-kubernetes-int-or-string.
 */
export function installCrds(cp: ControlPlane, file: string): void {
  const kubectl = join(clusterBinDir(), 'kubectl');
  execFileSync(
    kubectl,
    [
      '--kubeconfig',
      cp.kubeconfig,
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=sluice-local-cluster',
      '-f',
      file,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // kubectl wait fails at once, instead of waiting, on a CRD the API server has not yet given any condition
  // (".status.conditions accessor error: <nil>"): a moment after the apply, that is a CRD still on its way.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    try {
      execFileSync(
        kubectl,
        ['--kubeconfig', cp.kubeconfig, 'wait', '--for=condition=Established', `--timeout=${seconds}s`, '-f', file],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      return;
    } catch (err) {
      const { stderr } = err as { stderr?: Buffer | string };
      if (!String(stderr ?? '').includes('.status.conditions accessor error') || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

function fakeNode(name: string) {
  return {
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: '2000' },
      capacity: { cpu: '64', memory: '256Gi', pods: '2000' },
    },
  };
}

async function apiserverReady(cp: ControlPlane): Promise<boolean> {
  try {
    return (await adminGet(cp, '/readyz')) === 'ok';
  } catch {
    return false;
  }
}

/** A GET with the admin's client certificate, outside client-node so readiness checks have no moving parts. */
function adminGet(cp: ControlPlane, path: string): Promise<string> {
  const pki = join(cp.dir, 'pki');
  return new Promise((resolve, reject) => {
    const req = request(
      `${cp.server}${path}`,
      {
        ca: readFileSync(join(pki, 'ca.crt')),
        cert: readFileSync(join(pki, 'admin.crt')),
        key: readFileSync(join(pki, 'admin.key')),
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function httpGet(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}
