/** A dashboard server on fake caches, a fake authorizer and a fake writer, for the server's tests. */
import type { Rollout } from '../api/types.ts';
import type { RolloutWriter } from './actions.ts';
import type { Asset } from './assets.ts';
import type { AuthDecision, Authorizer } from './auth.ts';
import { FakeCache, progressing, rollout } from './fixtures.test-support.ts';
import { WeightHistory } from './weightHistory.ts';
import { RecentEvents } from './recentEvents.ts';
import { allowedDashboardHosts } from './hostCheck.ts';
import { dashboardServer, type DashboardServerDeps } from './server.ts';
import { RolloutStream } from './stream.ts';
import { rolloutViews } from './view.ts';
import { captureLog } from '../log.test-support.ts';

export const alice = { username: 'alice', uid: 'u1', groups: ['system:authenticated'], extra: undefined };

export class FakeAuthorizer implements Authorizer {
  readonly asked: { token: string; namespace: string; name: string }[] = [];
  decision: AuthDecision | Error = { kind: 'allowed', user: alice };
  authorize(token: string, target: { namespace: string; name: string }): Promise<AuthDecision> {
    this.asked.push({ token, ...target });
    return this.decision instanceof Error ? Promise.reject(this.decision) : Promise.resolve(this.decision);
  }
}

export class FakeWriter implements RolloutWriter {
  readonly writes: { key: string; action: string }[] = [];
  readonly events: { key: string; message: string }[] = [];
  failWith: Error | undefined;
  request(r: Rollout, action: string): Promise<void> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.writes.push({ key: `${r.metadata.namespace}/${r.metadata.name}`, action });
    return Promise.resolve();
  }
  recordAction(r: Rollout, message: string): Promise<void> {
    this.events.push({ key: `${r.metadata.namespace}/${r.metadata.name}`, message });
    return Promise.resolve();
  }
}

const assets = new Map<string, Asset>([
  [
    'index.html',
    {
      body: Buffer.from('<!doctype html><title>Sluice</title>'),
      contentType: 'text/html; charset=utf-8',
      immutable: false,
    },
  ],
  [
    'assets/app-1234.js',
    { body: Buffer.from('console.log(1)'), contentType: 'text/javascript; charset=utf-8', immutable: true },
  ],
]);

const apps: { close(): Promise<void> }[] = [];

/** Closes every server and stream `setup` made: each test file runs it after each test. */
export async function closeApps(): Promise<void> {
  await Promise.all(apps.splice(0).map((a) => a.close()));
}

export function setup(overrides: Partial<DashboardServerDeps> = {}) {
  const rollouts = new FakeCache([
    rollout('shop', 'checkout', progressing(20, 0)),
    rollout('shop', 'cart', {
      phase: 'Healthy',
      currentStepIndex: 5,
      stableRevision: 'a',
      canaryRevision: 'a',
      weights: { canary: 0, stable: 100 },
    }),
    rollout('bank', 'ledger', {
      ...progressing(0, 1),
      phase: 'Degraded',
      message: 'aborted: error rate too high',
      abort: true,
    }),
  ]);
  const history = new WeightHistory();
  const events = new RecentEvents();
  const views = rolloutViews({
    rollouts,
    analysisTemplates: new FakeCache(),
    clusterAnalysisTemplates: new FakeCache(),
    history,
    events,
  });
  const state = { ready: true };
  const authorizer = new FakeAuthorizer();
  const writer = new FakeWriter();
  const { log, lines } = captureLog('debug');
  const stream = new RolloutStream(views, { flushMs: 10 });
  const app = dashboardServer({
    views,
    ready: () => state.ready,
    stream,
    authorizer,
    writer,
    assets,
    log,
    basePath: '/',
    actions: true,
    namespace: '',
    version: '0.1.0',
    allowedHosts: allowedDashboardHosts('sluice-7d9f', ['sluice.internal'], {
      eth0: [{ address: '10.244.1.7' } as never],
    }),
    ...overrides,
  });
  apps.push({
    close: async () => {
      stream.close();
      await app.close();
    },
  });
  return { app, rollouts, history, state, authorizer, writer, lines, stream };
}

export const post = (path: string, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: path,
  headers,
});
export const promote = '/api/rollouts/shop/checkout/actions/promote';
export const token = 'eyJhbGciOiJSUzI1NiJ9.secret-part.signature';
