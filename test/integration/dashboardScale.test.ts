/**
 * The dashboard page with 1,000 rollouts, in Debian's chromium: the dashboard server runs in this process on the
 * built page, fed from a cache of 1,000 rollouts (no cluster needed), so the test measures the page and the stream.
 */
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutWriter } from '../../controller/src/dashboard/actions.ts';
import { findAssetsDir, loadAssets } from '../../controller/src/dashboard/assets.ts';
import type { Authorizer } from '../../controller/src/dashboard/auth.ts';
import { FakeCache, progressing, rollout } from '../../controller/src/dashboard/fixtures.test-support.ts';
import { WeightHistory } from '../../controller/src/dashboard/weightHistory.ts';
import { allowedDashboardHosts } from '../../controller/src/dashboard/hostCheck.ts';
import { RecentEvents } from '../../controller/src/dashboard/recentEvents.ts';
import { dashboardServer } from '../../controller/src/dashboard/server.ts';
import { RolloutStream } from '../../controller/src/dashboard/stream.ts';
import { rolloutViews } from '../../controller/src/dashboard/view.ts';
import type { Rollout } from '../../controller/src/api/types.ts';
import { launchChromium } from './browser.ts';

const rollouts = new FakeCache<Rollout>();
for (let i = 0; i < 1_000; i++) {
  const ns = `team-${String(i % 10).padStart(2, '0')}`;
  rollouts.put(
    rollout(
      ns,
      `service-${String(i).padStart(4, '0')}`,
      i % 7 === 0 ? { phase: 'Degraded', message: 'aborted', abort: true } : progressing(i % 100, i % 5),
    ),
  );
}
const refuse = () => Promise.reject(new Error('no actions in this test'));
const views = rolloutViews({
  rollouts,
  analysisTemplates: new FakeCache(),
  clusterAnalysisTemplates: new FakeCache(),
  history: new WeightHistory(),
  events: new RecentEvents(),
});
const stream = new RolloutStream(views, { flushMs: 50 });
const server = dashboardServer({
  views,
  ready: () => true,
  stream,
  assets: loadAssets(findAssetsDir()),
  log: pino({ level: 'silent' }),
  authorizer: { authorize: refuse } satisfies Authorizer,
  writer: { request: refuse, recordAction: refuse } satisfies RolloutWriter,
  basePath: '/sluice/',
  actions: false,
  namespace: '',
  version: 'test',
  allowedHosts: allowedDashboardHosts('', []),
});
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let url: string;

beforeAll(async () => {
  await server.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/sluice/`;
  browser = await launchChromium();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  stream.close();
  await server.close();
});

describe('given 1,000 rollouts, behind a proxy path', () => {
  it('the list shows all of them but draws only the rows in view, and scrolls to the last', async () => {
    const started = Date.now();
    await page.goto(url);
    await page
      .locator('.count')
      .filter({ hasText: /^1000 of 1000 rollouts$/ })
      .waitFor();
    // A figure to read, not a bound to meet: speed is the benchmark's to judge, and a loaded machine stretches it.
    console.log(`[dashboard scale] 1,000 rollouts listed ${Date.now() - started} ms after the page was asked for`);
    const drawn = await page.locator('.rows a.row').count();
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(60);
    await page
      .locator('.viewport')
      .evaluate((el: { scrollTo(x: number, y: number): void; scrollHeight: number }) =>
        el.scrollTo(0, el.scrollHeight),
      );
    await page.locator('a.row[data-key="team-09/service-0999"]').waitFor();
    expect(await page.locator('.rows a.row').count()).toBeLessThan(60);
  });

  it('filters by phase and text at once, on the page', async () => {
    await page.locator('select[aria-label="Phase"]').selectOption('Degraded');
    await page
      .locator('.count')
      .filter({ hasText: /^143 of 1000 rollouts$/ })
      .waitFor();
    await page.locator('input[type="search"]').fill('service-099');
    // Of service-0990 to -0999, only 994 is a multiple of 7: the one Degraded.
    await page
      .locator('.count')
      .filter({ hasText: /^1 of 1000 rollouts$/ })
      .waitFor();
    // The rows follow the count in the next animation frame.
    await expect.poll(() => page.locator('.rows a.row').count()).toBe(1);
    const keys = await page
      .locator('.rows a.row')
      .evaluateAll((rows: { getAttribute(name: string): string | null }[]) =>
        rows.map((r) => r.getAttribute('data-key')),
      );
    expect(keys).toEqual(['team-04/service-0994']);
  });

  it('applies a pushed change to the one row without a reload', async () => {
    await page.locator('input[type="search"]').fill('service-0001');
    await page.locator('select[aria-label="Phase"]').selectOption('');
    await page.locator('a.row[data-key="team-01/service-0001"] .weight-text').filter({ hasText: /^1%$/ }).waitFor();
    rollouts.put(rollout('team-01', 'service-0001', progressing(75, 3)));
    stream.rolloutChanged('team-01/service-0001');
    await page
      .locator('a.row[data-key="team-01/service-0001"] .weight-text')
      .filter({ hasText: /^75%$/ })
      .waitFor({ timeout: 5_000 });
    expect(await page.locator('#auth').textContent()).toBe('read-only');
  });
});
