/**
 * `cluster up` / `cluster down` on a second, private control plane (the shared one keeps serving the other
 * suites): up is idempotent, down leaves no process behind, and up works again after down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { adminConfig, aliveComponents, down, runningControlPlane, up } from '../cluster/controlPlane.ts';
import { isAlive, readPidFile } from '../support/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cp-'));
const opts = { dir, nodes: 1 };
const components = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

afterAll(async () => {
  await down(opts);
  rmSync(dir, { recursive: true, force: true });
});

describe('cluster up and down', () => {
  it('starts, is idempotent, stops without leftovers, and starts again', { timeout: 300_000 }, async () => {
    const first = await up(opts);
    expect(aliveComponents(opts)).toEqual(components);
    const pidsNow = () => components.map((c) => readPidFile(join(dir, 'run', `${c}.pid`))?.pid);
    const pids = pidsNow();

    const again = await up(opts);
    expect(again.server).toBe(first.server);
    expect(pidsNow()).toEqual(pids); // the running one is reused, not restarted

    await down(opts);
    expect(aliveComponents(opts)).toEqual([]);
    expect(runningControlPlane(opts)).toBeUndefined();
    // No process behind: each pid is gone or a zombie its parent has not reaped yet (isAlive treats those as dead).
    pids.forEach((pid, i) => expect(isAlive(pid!, components[i]), components[i]).toBe(false));

    const second = await up(opts);
    const nodes = await adminConfig(second).makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['kwok-node-0']);
  });
});
