/** Shared pieces of the integration stories: the injected services and a fresh namespace per test file. */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { clusterBinDir } from '../cluster/paths.ts';
import type { ClusterInfo } from '../setup/global.ts';

export function clusterInfo(): ClusterInfo {
  const info = inject('cluster');
  if (info === null)
    throw new Error('this suite needs the local control plane: include "cluster" in SLUICE_TEST_SERVICES');
  return info;
}

export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(clusterInfo().kubeconfig);
  return kc;
}

/** Runs the kubectl built with the control plane against it; resolves with stdout, rejects with stderr. */
export async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    join(clusterBinDir(), 'kubectl'),
    ['--kubeconfig', clusterInfo().kubeconfig, ...args],
    {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout;
}

/** Creates a namespace for the calling test file before its tests and deletes it after them. */
export function useNamespace(prefix: string): { readonly name: string } {
  const ns = { name: `${prefix}-${randomBytes(3).toString('hex')}` };
  beforeAll(async () => {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: ns.name } } });
  });
  afterAll(async () => {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: ns.name })
      .catch(() => undefined);
  });
  return ns;
}
