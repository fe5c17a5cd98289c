/**
 * The Argo Rollouts converter: argoproj.io/v1alpha1 Rollout, AnalysisTemplate and ClusterAnalysisTemplate to
 * Sluice's objects. What it carries and what it drops, and why, is in argoRollout.ts, argoSteps.ts,
 * argoRouting.ts and argoAnalysis.ts; each dropped field is reported with its path.
 */
import { noContext, objectId, type Converter } from './conversion.ts';
import { convertArgoAnalysisTemplate } from './argoAnalysis.ts';
import { DropList } from './argoRead.ts';
import { convertArgoRollout } from './argoRollout.ts';

export const convertArgo: Converter = (input, context = noContext) => {
  if (input.apiVersion !== 'argoproj.io/v1alpha1') return undefined;
  const drops = new DropList(objectId(input));
  if (input.kind === 'Rollout') return convertArgoRollout(input, drops, context);
  if (input.kind === 'AnalysisTemplate' || input.kind === 'ClusterAnalysisTemplate')
    return convertArgoAnalysisTemplate(input, drops);
  return undefined;
};
