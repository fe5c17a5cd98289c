/**
 * Stories of a team whose metrics live in InfluxDB 1.x instead of Prometheus: the real controller measures with
 * InfluxQL against the real influxd the harness starts, where the story writes the canary's error rate as points
 * (as a team's collector would). A healthy canary is promoted; one whose error rate climbs is aborted, and traffic
 * returns to stable with the status naming the metric and its value.
 */
import { beforeAll, afterAll, describe, expect, inject, it } from 'vitest';
import { connectInfluxdb } from '../fixtures/influxdb.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  createAnalysisTemplate,
  createApp,
  createRollout,
  eventMessages,
  eventReasons,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
  promoteThroughTwoAnalyses,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('influx');
const info = inject('influxdb');
const db = 'metrics';
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs InfluxDB: include "influxdb" in SLUICE_TEST_SERVICES');
  await connectInfluxdb(info.url).admin(`CREATE DATABASE ${db}`);
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});

afterAll(async () => {
  await controller?.stop();
});

/** The collector's part: the canary's share of 5xx answers for `service`, as a point stamped now. */
async function writeErrorRatio(service: string, ratio: number): Promise<void> {
  await connectInfluxdb(info!.url).write(db, [
    `http_errors,service=${service},track=canary ratio=${ratio} ${Math.floor(Date.now() / 1000)}`,
  ]);
}

/** error-rate over InfluxDB: the newest ratio of the canary of the service named by the argument. */
async function createErrorRateTemplate(name: string, count: number): Promise<void> {
  await createAnalysisTemplate(
    ns.name,
    name,
    [
      {
        name: 'error-rate',
        interval: '1s',
        count,
        successCondition: 'result < 0.05',
        failureCondition: 'result >= 0.10',
        provider: {
          influxdb: {
            address: info!.url,
            database: db,
            timeout: '2s',
            query: `SELECT last(ratio) FROM http_errors WHERE service = '{{args.service}}' AND track = 'canary' AND time > now() - 10m`,
          },
        },
      },
    ],
    [{ name: 'service' }],
  );
}

const analysisOf = (template: string, service: string) => ({
  analysis: { templates: [{ templateName: template }], args: [{ name: 'service', value: service }] },
});

describe('given a Rollout whose analysis reads InfluxDB', () => {
  it('when the canary is healthy (0.5% errors against 5%), it is promoted through every step', async () => {
    await writeErrorRatio('good', 0.005);
    await createErrorRateTemplate('good-error-rate', 3);
    const done = await promoteThroughTwoAnalyses(ns.name, 'good', analysisOf('good-error-rate', 'good'));
    expect(done.status?.weights).toEqual({ canary: 0, stable: 100 });
    const run = done.status?.analysis?.runs.find((x) => x.name === 'step-3');
    expect(run?.phase).toBe('Successful');
    expect(run?.metrics[0]).toMatchObject({ successful: 3 });
    expect(run?.metrics[0]?.measurements?.at(-1)?.value).toBe('0.005');
    await expect
      .poll(() => eventReasons(ns.name, 'good'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['CanaryStarted', 'Promoted']));
  });

  it('when the canary starts failing (30% errors), analysis aborts it and traffic returns to stable', async () => {
    await writeErrorRatio('bad', 0.01);
    await createErrorRateTemplate('bad-error-rate', 1000);
    await createApp(ns.name, 'bad', { replicas: 2, route: true });
    await createRollout(ns.name, 'bad', {
      ...routedSpec('bad'),
      strategy: { canary: { steps: [{ setWeight: 20 }, analysisOf('bad-error-rate', 'bad'), { setWeight: 60 }] } },
    });
    await waitForRollout(ns.name, 'bad', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'bad', 'example.invalid/app:v2');
    await waitForRollout(
      ns.name,
      'bad',
      'at 20% with analysis passing',
      (r) => r.status?.currentStepIndex === 1 && (r.status.analysis?.runs[0]?.metrics[0]?.successful ?? 0) > 0,
      60_000,
    );
    expect(await routeCanaryWeight(ns.name, 'bad')).toBe(20);

    await writeErrorRatio('bad', 0.3);
    const r = await waitForRollout(ns.name, 'bad', 'aborted', (x) => x.status?.abort === true, 30_000);
    expect(r.status?.phase).toBe('Degraded');
    expect(r.status?.message).toMatch(/metric error-rate failed: measured 0\.3 \(failureCondition result >= 0\.10\)/);
    expect(r.status?.currentStepIndex).toBe(1); // never went past the analysis
    expect(r.status?.weights).toEqual({ canary: 0, stable: 100 });
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(ns.name, 'bad'), { timeout: 10_000 }).toBe(0);
    await expect
      .poll(async () => (await eventMessages(ns.name, 'bad', 'Aborted'))[0], { timeout: 5_000 })
      .toMatch(/error-rate failed: measured 0\.3/);
  });
});
