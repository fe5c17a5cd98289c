/**
 * Every version of one Rollout, in the order the API server wrote them, from a watch. Polling samples: a step
 * index that went 3 -> 0 -> 1 -> 3 between two polls looks like one that never moved. A watch is how a story
 * proves what happened in between.
 */
import type { Rollout } from '../../controller/src/api/types.ts';
import { KubeJsonApi } from '../../controller/src/kube/kubeJsonApi.ts';
import { getRollout } from './rolloutStory.ts';
import { adminKubeConfig } from './support.ts';

export interface RolloutHistory {
  /** Every version seen so far, the one current when the watch started first. */
  readonly versions: readonly Rollout[];
  /** Ends the watch; throws if it broke off early, since the history would then have a hole. */
  stop(): Promise<void>;
}

export async function watchRollout(namespace: string, name: string): Promise<RolloutHistory> {
  const current = await getRollout(namespace, name);
  const versions: Rollout[] = [current];
  const stopper = new AbortController();
  let broken: Error | undefined;
  const api = adminKubeConfig().makeApiClient(KubeJsonApi);
  const query = {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: current.metadata.resourceVersion,
    timeoutSeconds: 600,
  };
  const watching = api
    .watch(
      `/apis/sluice.dev/v1alpha1/namespaces/${namespace}/rollouts`,
      query,
      (event) => {
        if (event.type === 'ERROR') broken = new Error(`the Rollout watch failed: ${JSON.stringify(event.object)}`);
        else if (event.type !== 'BOOKMARK') versions.push(event.object as unknown as Rollout);
      },
      stopper.signal,
    )
    .then(
      () => {
        broken ??= new Error('the API server ended the Rollout watch: the history may have a hole');
      },
      (err: unknown) => {
        if (!stopper.signal.aborted) broken ??= err instanceof Error ? err : new Error(String(err));
      },
    );
  return {
    versions,
    async stop() {
      stopper.abort();
      await watching;
      if (broken !== undefined) throw broken;
    },
  };
}

/** The step indices some versions went through, in order, with repeats of the same index folded into one. */
export function stepIndices(versions: readonly Rollout[]): (number | undefined)[] {
  const seen: (number | undefined)[] = [];
  for (const v of versions) {
    const i = v.status?.currentStepIndex;
    if (seen.length === 0 || seen.at(-1) !== i) seen.push(i);
  }
  return seen;
}

/**
 * Whether a canary's step indices went from 0 to `last` and never back (folded repeats aside). Steps may be passed
 * over in one write (a setWeight without a router is done at once), so the indices in between may be fewer.
 */
export function stepsRanOnce(indices: readonly (number | undefined)[], last: number): boolean {
  return (
    indices[0] === 0 &&
    indices.at(-1) === last &&
    indices.every((i, n) => n === 0 || (i ?? -1) > (indices[n - 1] ?? -1))
  );
}
