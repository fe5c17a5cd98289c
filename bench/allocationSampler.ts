// Preload for the controller (`npm run bench -- --node-options "... --import=$PWD/bench/allocationSampler.ts"`): V8's
// sampling heap profiler with the objects scavenges and full collections took kept in the samples, so the profile
// says where the controller allocates (what makes its collections), not only what it holds. The benchmark's own
// inspector session stops the isolate's sampler when it forces a collection, so this restarts it every 2 s and adds
// up what it got. Written to $SLUICE_ALLOCATION_PROFILE (default /tmp/sluice-<pid>.heapprofile) every 2 s, as a
// tree of call frames with selfSize in bytes, the inspector's format (Chrome DevTools, Memory tab, loads it).
import { writeFileSync } from 'node:fs';
import { Session, type HeapProfiler } from 'node:inspector';

type Node = HeapProfiler.SamplingHeapProfileNode;

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
const options = {
  samplingInterval: 16384,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
};
const start = () => session.post('HeapProfiler.startSampling', options, () => {});
start();
const total: Node = {
  callFrame: { functionName: '(root)', url: '', scriptId: '0', lineNumber: -1, columnNumber: -1 },
  selfSize: 0,
  children: [],
};
const frameKey = (f: Node['callFrame']) => `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
function add(into: Node, node: Node): void {
  into.selfSize += node.selfSize;
  for (const child of node.children) {
    const found = into.children.find((c) => frameKey(c.callFrame) === frameKey(child.callFrame));
    const same: Node = found ?? { callFrame: child.callFrame, selfSize: 0, children: [] };
    if (found === undefined) into.children.push(same);
    add(same, child);
  }
}
const out = process.env.SLUICE_ALLOCATION_PROFILE ?? `/tmp/sluice-${process.pid}.heapprofile`;
setInterval(() => {
  session.post('HeapProfiler.stopSampling', (err, answer) => {
    if (err === null) {
      add(total, answer.profile.head);
      writeFileSync(out, JSON.stringify({ head: total, samples: [] }));
    }
    start();
  });
}, 2000).unref();
