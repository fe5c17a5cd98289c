/**
 * The fence at the HTTP layer, against a real local server that counts what reaches it: a write that waits for a
 * rate-limiter token while leadership ends must never arrive, whenever in its wait leadership ends, and whichever
 * of the fence's signals (the lost() signal, or only isLeader() turning false) tells of it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstrumentedKubeConfig, instrumentKubeConfig, type KubeInstrumentation } from './apiMetrics.ts';
import { leaderFence, NotLeaderError, type WriteFence } from './writeFence.ts';
import { localKubeConfig } from './localKubeConfig.test-support.ts';

let server: Server;
let url: string;
const arrived: { method: string; at: number }[] = [];
const sockets = new Set<Socket>();
beforeEach(async () => {
  arrived.length = 0;
  server = createServer((req: IncomingMessage, res) => {
    arrived.push({ method: req.method ?? '', at: performance.now() });
    req.resume();
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' } }),
      );
    });
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(instrumentation: Omit<KubeInstrumentation, 'observe'>): CoreV1Api {
  const plain = localKubeConfig(url, 'secret', new InstrumentedKubeConfig());
  return instrumentKubeConfig(plain, () => undefined, instrumentation).makeApiClient(CoreV1Api);
}

/** A leader elector's two answers, driven by the test: lose() is a normal loss, wedge() one whose timer never ran. */
function leadership() {
  let leading = true;
  const term = new AbortController();
  return {
    isLeader: () => leading,
    leadershipLost: () => term.signal,
    lose: () => {
      leading = false;
      term.abort(new NotLeaderError());
    },
    wedge: () => {
      leading = false;
    },
  };
}

const create = (api: CoreV1Api) =>
  api.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'settings' } } });
const writesArrived = () => arrived.filter((a) => a.method !== 'GET').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a fenced client', () => {
  it('drops a write waiting for a token the moment leadership is lost: it never reaches the server', async () => {
    const lead = leadership();
    // One token a second: the second write waits about a second for it.
    const api = client({ rateLimit: { qps: 1, burst: 1 }, fence: leaderFence(lead) });
    await create(api);
    expect(writesArrived()).toBe(1);
    const started = performance.now();
    const queued = create(api).then(
      () => 'sent',
      (err: unknown) => err,
    );
    await sleep(100);
    lead.lose();
    const outcome = await queued;
    expect(outcome).toBeInstanceOf(NotLeaderError);
    // Rejected when leadership ended, not when its token came.
    expect(performance.now() - started).toBeLessThan(700);
    await sleep(1_300);
    expect(writesArrived()).toBe(1);
    // A follower still reads (its caches stay warm); only writes are fenced.
    await api.readNamespacedConfigMap({ namespace: 'shop', name: 'settings' });
    expect(arrived.at(-1)?.method).toBe('GET');
  });

  it('refuses a write whose wait ended after leadership ran out unnoticed (the timer that would tell never ran)', async () => {
    const lead = leadership();
    const api = client({ rateLimit: { qps: 2, burst: 1 }, fence: leaderFence(lead) });
    await create(api);
    const queued = create(api).then(
      () => 'sent',
      (err: unknown) => err,
    );
    await sleep(100);
    lead.wedge();
    expect(await queued).toBeInstanceOf(NotLeaderError);
    await sleep(200);
    expect(writesArrived()).toBe(1);
  });

  it('checks the fence last when the request is handed its connection, right before its bytes go out', async () => {
    // Leadership ends between the check after the token wait and the socket: the third check is the one that fails.
    let checks = 0;
    const fence: WriteFence = {
      check: () => {
        if (++checks > 2) throw new NotLeaderError();
      },
      lost: () => new AbortController().signal,
    };
    const api = client({ rateLimit: { qps: 100, burst: 10 }, fence });
    await expect(create(api)).rejects.toBeInstanceOf(NotLeaderError);
    expect(checks).toBe(3);
    await sleep(100);
    expect(writesArrived()).toBe(0);
  });

  it('fences every mutating verb, and leaves an unfenced client (the Lease client) alone', async () => {
    const lead = leadership();
    lead.lose();
    const fenced = client({ fence: leaderFence(lead) });
    const target = { namespace: 'shop', name: 'settings' };
    const writes: [string, () => Promise<unknown>][] = [
      ['POST', () => create(fenced)],
      ['PUT', () => fenced.replaceNamespacedConfigMap({ ...target, body: { metadata: { name: 'settings' } } })],
      ['PATCH', () => fenced.patchNamespacedConfigMap({ ...target, body: [{ op: 'add', path: '/data', value: {} }] })],
      ['DELETE', () => fenced.deleteNamespacedConfigMap(target)],
    ];
    for (const [method, write] of writes) await expect(write(), method).rejects.toBeInstanceOf(NotLeaderError);
    expect(arrived).toEqual([]);
    await create(client({}));
    expect(writesArrived()).toBe(1);
  });
});
