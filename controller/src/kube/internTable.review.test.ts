/**
 * Review of issue 20's intern table: what a tenant's strings cost the controller. The table is shared by every cache
 * (Rollouts, all Deployments of the cluster, the routers' objects), so its strings are whatever any tenant writes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { InternTable } from './internTable.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('InternTable under a hostile tenant', () => {
  // review: the table is bounded by entries only (50,000) and keeps every string up to 256 characters, so a tenant
  // whose annotations (on any Deployment of the cluster: that informer is cluster-wide) carry unique 256-character
  // values makes it hold 50,000 x 256 characters, about 26 MiB of two-byte strings, that no cached object holds any
  // more once the objects are gone (the table keeps them until it fills again). Its doc promises "a few MiB at
  // most"; the controller's whole idle heap is about 50 MiB, so this is half as much again, on a tenant's word.
  it('holds at most a few MiB of strings, however long and unique the strings a tenant writes', () => {
    const table = new InternTable();
    const before = heapUsed();
    for (let i = 0; i < 50_000; i++) table.intern(`ü-${i}-`.padEnd(256, 'ü'));
    const held = heapUsed() - before;
    expect(table.size).toBeGreaterThan(0);
    expect(held / MiB).toBeLessThan(8);
  });
});
