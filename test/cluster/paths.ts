/** Where the local control plane keeps its binaries, state, logs and kubeconfig. */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** The default cluster's folder: certificates, etcd data, pid files and logs (`logs/<component>.log`). */
export const defaultClusterDir = join(repoRoot, '.sluice', 'cluster');

/** The admin kubeconfig that `cluster up` writes for users and tests (git-ignored). */
export const defaultKubeconfig = join(repoRoot, '.sluice', 'kubeconfig');

/** The cache folder with etcd, kube-* and kwok, built by test/setup/ensure-deps.sh. */
export function clusterBinDir(): string {
  return execFileSync('bash', [join(repoRoot, 'test/setup/cluster-bin-dir.sh')], { encoding: 'utf8' }).trim();
}

/** The traffic routers' CRDs (Istio VirtualService and DestinationRule, SMI TrafficSplit), fetched on first use (test/setup/router-crds.sh). */
export function routerCrdsFile(): string {
  return execFileSync('bash', [join(repoRoot, 'test/setup/router-crds.sh')], { encoding: 'utf8' }).trim();
}
