/**
 * The promote half of the reaction benchmark: `kubectl sluice promote` on a Rollout paused at a setWeight step,
 * timed until the next step's weight arrives by watch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { run as kubectlSluice } from '../controller/src/plugin/cli.ts';
import type { BenchContext } from './context.ts';
import { merge, type Kube } from './kube.ts';
import { summarize, type Summary } from './stats.ts';
import { wallNow, type Watched } from './watched.ts';

export interface PromoteReaction {
  /** `kubectl sluice promote` called -> next step's weight arrives by watch (ms). */
  promoteToNextWeightMs: Summary;
  /** The plugin's annotation write answered -> next step's weight arrives by watch (ms). */
  annotationWrittenToNextWeightMs: Summary;
  /** Releases promoted to stable on the way (a promote after the last step), for the outcome metrics' check. */
  releasesPromoted: number;
}

export async function runPromotes(
  ctx: BenchContext,
  watched: Watched,
  ns: string,
  steps: number[],
  count: number,
  nextImage: () => string,
): Promise<PromoteReaction> {
  const fromCall: number[] = [];
  const fromWrite: number[] = [];
  const name = 'promote';
  const atPause = (index: number) =>
    watched.until(
      `${name} paused at step ${index}`,
      () => {
        const r = watched.rollouts.get(name);
        return r?.status?.currentStepIndex === index &&
          r.status.phase === 'Paused' &&
          watched.weights.get(name)?.percent === steps[(index - 1) / 2]
          ? true
          : undefined;
      },
      120_000,
    );
  let step = 1;
  let releasesPromoted = 0;
  while (fromCall.length < count) {
    await atPause(step);
    await sleep(200);
    const last = step === steps.length * 2 - 1;
    const called = wallNow();
    const out: string[] = [];
    const code = await kubectlSluice(['promote', name, '-n', ns, '--kubeconfig', ctx.kube.kubeconfig], (s) =>
      out.push(s),
    );
    const written = wallNow();
    if (code !== 0) throw new Error(`kubectl sluice promote exited ${code}: ${out.join('\n')}`);
    if (last) {
      // Promoted after the last step: start a new canary to promote again.
      await watched.until(
        `${name} promoted`,
        () => (watched.rollouts.get(name)?.status?.phase === 'Healthy' ? true : undefined),
        120_000,
      );
      releasesPromoted += 1;
      await setImage(ctx.kube, ns, name, nextImage());
      step = 1;
      continue;
    }
    const want = steps[(step + 1) / 2]!;
    const arrived = await watched.until(
      `${name} weight ${want}`,
      () => {
        const w = watched.weights.get(name);
        return w?.percent === want && w.at > called ? w.at : undefined;
      },
      60_000,
    );
    fromCall.push(arrived - called);
    fromWrite.push(arrived - written);
    step += 2;
  }
  return {
    promoteToNextWeightMs: summarize(fromCall),
    annotationWrittenToNextWeightMs: summarize(fromWrite),
    releasesPromoted,
  };
}

/** A new image on the Deployment: starts a new canary. */
export async function setImage(kube: Kube, ns: string, name: string, image: string): Promise<void> {
  await kube.apps.patchNamespacedDeployment(
    { namespace: ns, name, body: { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } } },
    merge,
  );
}
