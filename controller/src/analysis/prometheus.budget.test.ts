/**
 * The process-wide answer budget, against a real HTTP server on loopback that streams large answers in chunks
 * (no Content-Length, as Prometheus sends big ones): bytes are counted as they arrive, many answers at once stay
 * within the budget, and an answer that cannot get room in time is an Error that names the setting.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { AnswerBudget } from './answerBudget.ts';
import { PrometheusProvider } from './prometheus.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;

/** A vector answer of about `bytes`: one series per pod with long labels, as a query that forgot `sum` returns. */
function bigVector(bytes: number): Buffer {
  const labels = { __name__: 'http_requests_total', pod: '', path: '/'.padEnd(400, 'p'), app: 'checkout' };
  const one = JSON.stringify({ metric: labels, value: [1700000000, '1'] }).length + 1;
  const result = Array.from({ length: Math.floor(bytes / one) }, (_, i) => ({
    metric: { ...labels, pod: `pod-${i}` },
    value: [1700000000, '1'],
  }));
  return Buffer.from(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Streams `body` in 64 KiB chunks; `hold` can keep an answer open after its bytes until released. */
async function streamingServer(answer: (res: ServerResponse) => Promise<void>): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void answer(res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function writeChunks(res: ServerResponse, body: Buffer): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  for (let at = 0; at < body.length; at += 64 * 1024) {
    if (!res.write(body.subarray(at, at + 64 * 1024))) await new Promise((r) => res.once('drain', r));
  }
}

const allowLoopback = [{ host: '127.0.0.1', port: undefined }];

/** The JavaScript heap and the memory outside it that Buffers hold (the answers' chunks). */
const held = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * Runs `n` queries at once and samples live memory meanwhile (collecting garbage before each sample, so that what
 * is counted is what is held); returns the results and the growth at its peak.
 */
async function concurrently(provider: PrometheusProvider, url: string, n: number) {
  gc();
  const base = held();
  let peak = base;
  const sampler = setInterval(() => {
    gc();
    peak = Math.max(peak, held());
  }, 10);
  const results = await Promise.all(
    Array.from({ length: n }, () => provider.query(url, 'http_requests_total', { timeoutMs: 60_000 })),
  );
  clearInterval(sampler);
  return { results, heapGrowth: peak - base };
}

describe('the answer budget, with a real server streaming big answers', () => {
  it('counts bytes as they stream, before the answer ends', async () => {
    const body = bigVector(3 * MiB);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const url = await streamingServer(async (res) => {
      await writeChunks(res, body.subarray(0, 2 * MiB));
      await released;
      res.end(body.subarray(2 * MiB));
    });
    const budget = new AnswerBudget(16 * MiB);
    const pending = new PrometheusProvider({ budget, allowedHosts: allowLoopback }).query(url, 'up', {
      timeoutMs: 10_000,
    });
    await expect.poll(() => budget.heldBytes, { timeout: 5_000 }).toBeGreaterThanOrEqual(2 * MiB - 64 * 1024);
    release();
    expect((await pending).kind).toBe('vector');
    expect(budget.heldBytes).toBe(0);
  });

  it('keeps 20 concurrent answers of 3 MiB within a budget of 24 MiB, and every one is read', async () => {
    const body = bigVector(3 * MiB);
    // Every answer starts only when all 20 requests have arrived, so that all 20 are in flight at once.
    let arrived = 0;
    let allArrived!: () => void;
    let barrier = new Promise<void>((r) => (allArrived = r));
    const url = await streamingServer(async (res) => {
      const gate = barrier;
      if (++arrived % 20 === 0) {
        allArrived();
        barrier = new Promise<void>((r) => (allArrived = r));
      }
      await gate;
      await writeChunks(res, body);
      res.end();
    });
    // Answers of up to 4 MiB: five large rooms, and sixteen small ones in the 4 MiB they leave.
    const budget = new AnswerBudget(24 * MiB, { maxAnswerBytes: 4 * MiB });
    const { results, heapGrowth } = await concurrently(
      new PrometheusProvider({ budget, allowedHosts: allowLoopback }),
      url,
      20,
    );
    expect(results.map((r) => r.kind)).toEqual(Array.from({ length: 20 }, () => 'vector'));
    expect(budget.peakBytes).toBeLessThanOrEqual(24 * MiB);
    expect(budget.peakBytes).toBeGreaterThan(2 * 3 * MiB);
    expect(budget.heldBytes).toBe(0);

    // The same answers with room for all of them at once, as before the budget: the heap holds far more.
    const roomy = new AnswerBudget(20 * 8 * MiB, { maxAnswerBytes: 4 * MiB });
    const unbounded = await concurrently(
      new PrometheusProvider({ budget: roomy, allowedHosts: allowLoopback }),
      url,
      20,
    );
    console.log(
      `held at peak: ${(budget.peakBytes / MiB).toFixed(0)} MiB counted, ${(heapGrowth / MiB).toFixed(0)} MiB heap + Buffers with a 24 MiB budget; ` +
        `${(roomy.peakBytes / MiB).toFixed(0)} MiB counted, ${(unbounded.heapGrowth / MiB).toFixed(0)} MiB heap + Buffers with room for all 20`,
    );
    expect(heapGrowth).toBeLessThan(3 * 24 * MiB);
  }, 120_000);

  it('makes an answer that finds no room before its timeout an Error naming the budget setting', async () => {
    // A budget of 8 MiB: answers of up to 4 MiB, one of them large at a time.
    const body = bigVector(3.5 * MiB);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let first = true;
    const url = await streamingServer(async (res) => {
      const holding = first;
      first = false;
      await writeChunks(res, body.subarray(0, 3 * MiB));
      if (holding) await released;
      res.end(body.subarray(3 * MiB));
    });
    const budget = new AnswerBudget(8 * MiB);
    const provider = new PrometheusProvider({ budget, allowedHosts: allowLoopback });
    const holder = provider.query(url, 'up', { timeoutMs: 20_000 });
    await expect.poll(() => budget.heldBytes, { timeout: 5_000 }).toBeGreaterThanOrEqual(3 * MiB - 64 * 1024);
    const starved = await provider.query(url, 'up', { timeoutMs: 700 });
    expect(starved).toEqual({
      kind: 'error',
      message:
        `Prometheus at ${url}: its answer found no room in the controller's budget for answers in flight (8 MiB, --analysis-answer-budget / SLUICE_ANALYSIS_ANSWER_BUDGET) ` +
        'within 700ms, as other analyses held it: measured again at the next interval; raise the budget if this repeats',
    });
    release();
    expect((await holder).kind).toBe('vector');
    expect(budget.heldBytes).toBe(0);
  }, 30_000);
});
