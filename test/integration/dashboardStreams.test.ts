/**
 * What 400 stream requests cost the dashboard, measured in this process on a server fed from a cache of 1,000
 * rollouts (no cluster needed: SLUICE_TEST_SERVICES= runs it alone). The clients never read, as a flood would not:
 * whatever the server sends them stays queued in its memory. The figures (CPU, heap and RSS growth) are printed
 * for the record, not asserted; the assertions are about the behaviour: every accepted page gets its snapshot,
 * and past the caps the server says 429 or 503 with a code instead of taking more.
 */
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Rollout } from '../../controller/src/api/types.ts';
import type { RolloutWriter } from '../../controller/src/dashboard/actions.ts';
import type { Authorizer } from '../../controller/src/dashboard/auth.ts';
import { FakeCache, progressing, rollout } from '../../controller/src/dashboard/fixtures.test-support.ts';
import { WeightHistory } from '../../controller/src/dashboard/weightHistory.ts';
import { allowedDashboardHosts } from '../../controller/src/dashboard/hostCheck.ts';
import { RecentEvents } from '../../controller/src/dashboard/recentEvents.ts';
import { dashboardServer, type DashboardServerDeps } from '../../controller/src/dashboard/server.ts';
import { RolloutStream } from '../../controller/src/dashboard/stream.ts';
import { rolloutViews } from '../../controller/src/dashboard/view.ts';

const attempts = 400;
const refuse = () => Promise.reject(new Error('no actions in this test'));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(limits: DashboardServerDeps['limits']) {
  const rollouts = new FakeCache<Rollout>();
  for (let i = 0; i < 1_000; i++)
    rollouts.put(rollout(`team-${i % 10}`, `service-${String(i).padStart(4, '0')}`, progressing(i % 100, i % 5)));
  const views = rolloutViews({
    rollouts,
    analysisTemplates: new FakeCache(),
    clusterAnalysisTemplates: new FakeCache(),
    history: new WeightHistory(),
    events: new RecentEvents(),
  });
  const stream = new RolloutStream(views);
  const app = dashboardServer({
    views,
    ready: () => true,
    stream,
    assets: undefined,
    log: pino({ level: 'silent' }),
    authorizer: { authorize: refuse } satisfies Authorizer,
    writer: { request: refuse, recordAction: refuse } satisfies RolloutWriter,
    basePath: '/',
    actions: false,
    namespace: '',
    version: 'test',
    allowedHosts: allowedDashboardHosts('', []),
    limits,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(async () => {
    stream.close();
    await app.close();
  });
  return (app.server.address() as AddressInfo).port;
}

/** Opens a stream and stops reading once the headers and the first bytes are in (or the error body is). */
function open(port: number): Promise<{ status: number; code?: string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/stream', agent: false }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { code?: string }).code, res }),
        );
        return;
      }
      res.once('data', () => {
        res.pause();
        resolve({ status: 200, res });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function measure(label: string, limits: DashboardServerDeps['limits']) {
  const port = await serve(limits);
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: attempts }, () => open(port)));
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the server finish its writes
  const cpu = process.cpuUsage(cpuBefore);
  const memory = process.memoryUsage();
  const byStatus = Object.fromEntries(
    [...new Set(answers.map((a) => `${a.status}${a.code === undefined ? '' : ` ${a.code}`}`))].map((k) => [
      k,
      answers.filter((a) => `${a.status}${a.code === undefined ? '' : ` ${a.code}`}` === k).length,
    ]),
  );
  console.log(
    `${label}: ${attempts} stream attempts in ${Math.round(performance.now() - started)} ms; CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; ` +
      `heap +${((memory.heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB, RSS +${((memory.rss - rssBefore) / 2 ** 20).toFixed(1)} MiB; answers ${JSON.stringify(byStatus)}`,
  );
  for (const a of answers) a.res.destroy();
  return answers;
}

describe(`${attempts} stream attempts from one address, clients that do not read`, () => {
  it('with the default caps: 20 streams, the rest 429 with a code', async () => {
    const answers = await measure('default caps', undefined);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(20);
    expect(answers.filter((a) => a.status === 429).every((a) => a.code === 'SLUICE_DASHBOARD_TOO_MANY_STREAMS')).toBe(
      true,
    );
  });

  it('with the caps lifted: every page gets the one shared snapshot', async () => {
    const answers = await measure('caps lifted', { streamsPerClient: 10_000, streamsTotal: 10_000 });
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });
});
