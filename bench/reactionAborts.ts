/**
 * The abort half of the reaction benchmark: a canary's error ratio is flipped to 30% and the time is taken to the
 * first Failed measurement and to the HTTPRoute's canary weight 0; the rollout is then retried for the next round.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rollout } from '../controller/src/api/types.ts';
import type { Prometheus } from '../test/fixtures/prometheus.ts';
import { waitFor } from '../test/support/wait.ts';
import type { BenchContext } from './context.ts';
import { merge, rolloutRef } from './kube.ts';
import { summarize, type Summary } from './stats.ts';
import { wallNow, type Watched } from './watched.ts';

export interface AbortReaction {
  /** First Failed measurement's finishedAt -> HTTPRoute canary weight 0 arrives by watch (ms). */
  failedMeasurementToWeight0Ms: Summary;
  /** Error flip -> first Failed measurement's finishedAt (ms): scrape, rate window and analysis interval. */
  errorFlipToFailedMeasurementMs: Summary;
  /** Error flip -> HTTPRoute canary weight 0 (ms), end to end. */
  errorFlipToWeight0Ms: Summary;
  samples: { rollout: string; flipToFailedMs: number; failedToWeight0Ms: number; flipToWeight0Ms: number }[];
}

/** The canary's 5xx ratio over 3 s; `{{args.service}}` in the AnalysisTemplate, or `service` for a direct query. */
export const errorRatioQuery = (service: string, proxyable = true) => {
  const sel = (extra: string) =>
    `sum(rate(http_requests_total{service="${proxyable ? '{{args.service}}' : service}",track="canary"${extra}}[3s]))`;
  return `${sel(',code=~"5.."')} / ${sel('')}`;
};

/** A canary at 20% whose background analysis has a Successful measurement and no abort. */
export function armed(watched: Watched, name: string, timeoutMs: number): Promise<true> {
  return watched.until(
    `${name} at 20% with analysis passing`,
    () => {
      const r = watched.rollouts.get(name);
      const run = r?.status?.analysis?.runs.find((x) => x.name === 'background');
      const ok =
        r?.status?.abort !== true &&
        r?.status?.currentStepIndex === 1 &&
        watched.weights.get(name)?.percent === 20 &&
        (run?.metrics[0]?.successful ?? 0) > 0;
      return ok ? true : undefined;
    },
    timeoutMs,
  );
}

export async function runAborts(
  ctx: BenchContext,
  watched: Watched,
  exporterUrl: string,
  prom: Prometheus,
  services: string[],
  count: number,
): Promise<AbortReaction> {
  const samples: AbortReaction['samples'] = [];
  const resets = new Map<string, Promise<void>>();
  const setRatio = async (service: string, ratio: number) => {
    const res = await fetch(`${exporterUrl}/error-ratio?service=${service}&track=canary&ratio=${ratio}`, {
      method: 'PUT',
    });
    if (res.status !== 204) throw new Error(`exporter answered ${res.status} to the error flip`);
  };
  for (let i = 0; i < count; i++) {
    const name = services[i % services.length]!;
    await resets.get(name);
    await armed(watched, name, 120_000);
    await sleep(300); // let the previous abort's writes and Events settle
    const flip = wallNow();
    await setRatio(name, 0.3);
    const weight0 = await watched
      .until(
        `${name} canary weight 0`,
        () => {
          const w = watched.weights.get(name);
          return w !== undefined && w.percent === 0 && w.at > flip ? w.at : undefined;
        },
        60_000,
      )
      .catch((err: unknown) => {
        throw new Error(`${String(err)}; its status: ${JSON.stringify(watched.rollouts.get(name)?.status)}`, {
          cause: err,
        });
      });
    const aborted = await watched.until(
      `${name} aborted in status`,
      () => {
        const r = watched.rollouts.get(name);
        return r?.status?.abort === true ? r : undefined;
      },
      30_000,
    );
    const failed = firstFailedMeasurement(aborted, flip);
    if (failed === undefined)
      throw new Error(`${name} aborted without a Failed measurement after the flip: ${JSON.stringify(aborted.status)}`);
    samples.push({
      rollout: name,
      flipToFailedMs: failed - flip,
      failedToWeight0Ms: weight0 - failed,
      flipToWeight0Ms: weight0 - flip,
    });
    if ((i + 1) % 10 === 0) ctx.progress(`reaction: ${i + 1}/${count} aborts`);
    resets.set(
      name,
      (async () => {
        await setRatio(name, 0);
        // The 3 s rate window must be clean again before the retry, or the fresh analysis fails at once.
        await waitFor(
          async () => {
            const r = await prom.query(`(${errorRatioQuery(name, false)}) < 0.01`);
            return r.length > 0;
          },
          { timeoutMs: 30_000, intervalMs: 500, what: `${name} error ratio back to 0 in Prometheus` },
        );
        await ctx.kube.custom.patchNamespacedCustomObject(
          {
            ...rolloutRef,
            namespace: aborted.metadata.namespace!,
            name,
            body: { metadata: { annotations: { 'sluice.dev/action': 'retry' } } },
          },
          merge,
        );
      })(),
    );
  }
  await Promise.all(resets.values());
  const pick = (k: 'flipToFailedMs' | 'failedToWeight0Ms' | 'flipToWeight0Ms') => summarize(samples.map((s) => s[k]));
  return {
    failedMeasurementToWeight0Ms: pick('failedToWeight0Ms'),
    errorFlipToFailedMeasurementMs: pick('flipToFailedMs'),
    errorFlipToWeight0Ms: pick('flipToWeight0Ms'),
    samples: samples.map((s) => ({
      rollout: s.rollout,
      flipToFailedMs: round1(s.flipToFailedMs),
      failedToWeight0Ms: round1(s.failedToWeight0Ms),
      flipToWeight0Ms: round1(s.flipToWeight0Ms),
    })),
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** finishedAt (wall-clock ms) of the background analysis's first Failed measurement taken after `after`. */
function firstFailedMeasurement(r: Rollout, after: number): number | undefined {
  const run = r.status?.analysis?.runs.find((x) => x.name === 'background');
  const times = (run?.metrics ?? [])
    .flatMap((m) => m.measurements)
    .filter((m) => m.phase === 'Failed' && m.finishedAt !== undefined && Date.parse(m.finishedAt) >= after - 1)
    .map((m) => Date.parse(m.finishedAt!));
  return times.length === 0 ? undefined : Math.min(...times);
}
