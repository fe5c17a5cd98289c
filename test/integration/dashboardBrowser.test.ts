/**
 * The dashboard in a real browser (Debian's chromium) against the real controller on the local control plane:
 * the list shows a progressing rollout, its weight changes on the page without a reload when the controller moves a
 * step, the detail view charts the analysis measurements against the thresholds, promote with a token moves the
 * rollout, and a page whose API is unreachable says so. Screenshots go to test-results/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../cluster/paths.ts';
import { launchChromium } from './browser.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { serviceAccountToken } from './dashboardStory.ts';
import { writeFailedAnalysis } from './failedAnalysis.ts';
import { createApp, createRollout, getRollout, requestAction, setImage, waitForRollout } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('dash-ui');
const results = join(repoRoot, 'test-results');
let controller: ControllerProcess;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

const row = (name: string) => `a.row[data-key="${ns.name}/${name}"]`;

async function rolloutWithTraffic(name: string, steps: object[], analysis = false): Promise<void> {
  await createApp(ns.name, name, { replicas: 2, route: true });
  await createRollout(ns.name, name, {
    workloadRef: { name },
    service: { port: 80, targetPort: 8080 },
    trafficRouting: { gatewayAPI: { httpRoute: name } },
    strategy: { canary: { steps, ...(analysis ? { analysis: { templates: [{ templateName: 'error-rate' }] } } : {}) } },
  });
}

beforeAll(async () => {
  const kc = adminKubeConfig();
  await installSluiceCrds(kc);
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'analysistemplates',
    namespace: ns.name,
    body: {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'error-rate' },
      spec: {
        metrics: [
          {
            name: 'error-rate',
            interval: '5m',
            count: 3,
            successCondition: 'result < 0.05',
            failureCondition: 'result >= 0.1',
            provider: {
              prometheus: {
                address: 'http://127.0.0.1:9',
                query: 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
              },
            },
          },
        ],
      },
    },
  });
  controller = await startController({ namespace: ns.name, dashboardArgs: ['--dashboard-actions=true'] });
  await rolloutWithTraffic(
    'checkout',
    [{ setWeight: 20 }, { pause: { duration: '6s' } }, { setWeight: 60 }, { pause: {} }],
    true,
  );
  await rolloutWithTraffic('cart', [{ setWeight: 50 }, { pause: {} }]);
  await rolloutWithTraffic('payments', [{ setWeight: 25 }, { pause: {} }]);
  for (const name of ['checkout', 'cart', 'payments'])
    await waitForRollout(ns.name, name, `${name} Healthy`, (r) => r.status?.phase === 'Healthy');
  browser = await launchChromium();
  page = await browser.context.newPage();
  mkdirSync(results, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await controller?.stop();
});

describe('given the dashboard in chromium and a rollout about to start a canary', () => {
  it('the list shows the progressing rollout, and its weight changes without a reload when the controller moves a step', async () => {
    await page.goto(controller.dashboardUrl);
    await page
      .locator(`${row('checkout')} .phase`)
      .filter({ hasText: 'Healthy' })
      .waitFor();
    await expectText(page, '.live', 'live');
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    // A second canary for the list's colours: payments aborted (Degraded).
    await setImage(ns.name, 'payments', 'example.invalid/app:v2');
    await setImage(ns.name, 'checkout', 'example.invalid/app:v2');
    // The canary is in flight: Progressing while pods start, Paused during the timed pause at 20%.
    await page
      .locator(`${row('checkout')} .weight-text`)
      .filter({ hasText: /^20%$/ })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator(`${row('checkout')} .phase`).textContent()).toMatch(/^(Progressing|Paused)$/);
    expect(await page.locator(`${row('checkout')} .step`).textContent()).toMatch(/^[12]\/4$/);

    await page
      .locator(`${row('checkout')} .weight-text`)
      .filter({ hasText: /^60%$/ })
      .waitFor({ timeout: 30_000 });
    expect((await getRollout(ns.name, 'checkout')).status?.weights?.canary).toBe(60);
    expect(await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

    await waitForRollout(ns.name, 'payments', 'payments paused', (r) => r.status?.phase === 'Paused');
    await requestAction(ns.name, 'payments', 'abort');
    await page
      .locator(`${row('payments')} .phase`)
      .filter({ hasText: 'Degraded' })
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(results, 'dashboard-list.png') });
  });

  it("the detail view charts each measurement against the metric's thresholds, with steps and Events", async () => {
    const paused = await waitForRollout(
      ns.name,
      'checkout',
      'checkout paused at its last step',
      (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 3,
    );
    await writeAnalysis(paused.status!.canaryRevision!);
    await page.locator(row('checkout')).click();
    await page.locator('.detail h2').filter({ hasText: 'checkout' }).waitFor();
    const metric = page.locator('.metric[data-metric="error-rate"]');
    await metric.locator('canvas').first().waitFor({ timeout: 20_000 });
    expect(await metric.locator('.u-legend').textContent()).toContain('pass if < 0.05');
    expect(await metric.locator('.u-legend').textContent()).toContain('fail if >= 0.1');
    expect(await metric.locator('code.pass').textContent()).toBe('pass: result < 0.05');
    expect(await metric.locator('table.measurements tbody tr').count()).toBe(3);
    expect(await page.locator('.timeline .step-current').textContent()).toBe('pause until promoted');
    expect(await page.locator('.timeline .step-done').count()).toBe(3);
    await page.locator('[data-chart="weight"] canvas').first().waitFor();
    await page.locator('table.events td').filter({ hasText: 'CanaryStarted' }).first().waitFor();
    await page.screenshot({ path: join(results, 'dashboard-detail.png'), fullPage: true });
  });

  it('the detail view says why a metric failed: the value against its condition, or canary against stable', async () => {
    await rolloutWithTraffic('search', [{ setWeight: 20 }, { pause: {} }], true);
    await waitForRollout(ns.name, 'search', 'search Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'search', 'example.invalid/app:v2');
    const paused = await waitForRollout(ns.name, 'search', 'search paused', (r) => r.status?.phase === 'Paused');
    await writeFailedAnalysis(ns.name, 'search', paused.status!.canaryRevision!);
    // The controller takes the failed run as the engine's verdict: the canary is aborted, its analysis kept.
    await waitForRollout(ns.name, 'search', 'search aborted', (r) => r.status?.abortCause === 'Analysis');
    // A page of its own: the main page stays on checkout for the promote below.
    const own = await browser.context.newPage();
    await own.goto(controller.dashboardUrl);
    await own.locator(row('search')).click();
    const why = (metric: string) => own.locator(`.metric[data-metric="${metric}"] .explanation`);
    await why('error-rate').filter({ hasText: 'Why failed: value 0.31 vs failureCondition result >= 0.1' }).waitFor();
    expect(await why('latency').textContent()).toBe(
      'Why failed: canary mean 0.412 vs stable mean 0.3, ratio 1.37, p=0.004, U=3410, 60/60 samples',
    );
    await own.screenshot({ path: join(results, 'dashboard-failed-metric.png'), fullPage: true });
    await own.close();
  });

  it('promote, with a token whose user may patch the rollout, moves it on', async () => {
    const { token, username } = await serviceAccountToken(ns.name, 'oncall', { patchRollouts: 'all' });
    const promote = page.locator('button[data-action="promote"]');
    expect(await promote.isDisabled()).toBe(true); // no token yet
    await page.locator('#auth input[name="token"]').fill(token);
    await page.locator('#auth button[type="submit"]').click();
    await promote.click();
    await expectText(page, '.action-result', `promote requested by ${username} via the dashboard`);
    const before = (await getRollout(ns.name, 'checkout')).status!;
    await waitForRollout(
      ns.name,
      'checkout',
      'checkout Healthy on the canary revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === before.canaryRevision,
    );
    await page.locator('.detail .title .phase').filter({ hasText: 'Healthy' }).waitFor({ timeout: 20_000 });
    await page.locator('table.events td').filter({ hasText: 'DashboardAction' }).first().waitFor({ timeout: 20_000 });
  });

  it('a page that loads while the API is down says so', async () => {
    const offline = await browser.context.newPage();
    await offline.route('**/api/**', (route) => route.abort('connectionrefused'));
    await offline.goto(controller.dashboardUrl);
    await offline.locator('#banner').filter({ hasText: 'Cannot reach the Sluice API' }).waitFor({ timeout: 10_000 });
    await offline.close();

    // And the open page says so when the controller goes away under it.
    await controller.stop();
    await page.locator('#banner').filter({ hasText: 'Cannot reach the Sluice API' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('.live').textContent()).toBe('offline');
  });
});

async function expectText(p: Page, selector: string, text: string): Promise<void> {
  await p.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}

/**
 * Measurements as the analysis engine records them in status.analysis (three of the error-rate metric, the
 * last one close to the threshold). Written here so that the page story does not depend on a Prometheus.
 */
async function writeAnalysis(revision: string): Promise<void> {
  const at = (s: number) => new Date(Date.now() - (180 - s) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const measurements = [
    ['0.012', 0],
    ['0.021', 60],
    ['0.043', 120],
  ].map(([value, s]) => ({
    phase: 'Successful',
    value,
    startedAt: at(s as number),
    finishedAt: at((s as number) + 2),
  }));
  await adminKubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      {
        group: 'sluice.dev',
        version: 'v1alpha1',
        plural: 'rollouts',
        namespace: ns.name,
        name: 'checkout',
        body: {
          status: {
            analysis: {
              runs: [
                {
                  name: 'background',
                  revision,
                  phase: 'Successful',
                  startedAt: at(0),
                  finishedAt: at(122),
                  message: 'error-rate passed 3 of 3 measurements',
                  metrics: [
                    {
                      name: 'error-rate',
                      phase: 'Successful',
                      count: 3,
                      successful: 3,
                      failed: 0,
                      inconclusive: 0,
                      errors: 0,
                      consecutiveErrors: 0,
                      measurements,
                    },
                  ],
                },
              ],
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}
