/**
 * Subset-based splitting: the DestinationRule's stable and canary subsets select the pods of the two revisions by
 * the revision label Sluice puts on its pods. Sluice owns that one label of the two subsets; the subsets' other
 * labels and everything else in the DestinationRule stay as the user wrote them.
 */
import { revisionLabel } from '../../workload/names.ts';
import { listOf, pointerSegment } from './virtualService.ts';

export interface DestinationRule {
  spec?: { host?: unknown; subsets?: unknown };
}

/** One of the two subsets: where it is, and its labels as read. */
export interface SubsetState {
  name: string;
  index: number;
  labels: Record<string, unknown> | undefined;
}

export interface Subsets {
  host: string | undefined;
  stable: SubsetState | undefined;
  canary: SubsetState | undefined;
}

export function readSubsets(rule: DestinationRule, stableName: string, canaryName: string): Subsets {
  const subsets = listOf(rule.spec?.subsets).map((s) =>
    typeof s === 'object' && s !== null ? (s as { name?: unknown; labels?: unknown }) : {},
  );
  const find = (name: string): SubsetState | undefined => {
    const index = subsets.findIndex((s) => s.name === name);
    if (index < 0) return undefined;
    const labels = subsets[index]!.labels;
    const readable = typeof labels === 'object' && labels !== null && !Array.isArray(labels);
    return { name, index, labels: readable ? (labels as Record<string, unknown>) : undefined };
  };
  const host = rule.spec?.host;
  return { host: typeof host === 'string' ? host : undefined, stable: find(stableName), canary: find(canaryName) };
}

/** An empty revision (no canary yet) leaves the subset as it is: there is no pod to point it at. */
const wants = (subset: SubsetState, revision: string) => revision !== '' && subset.labels?.[revisionLabel] !== revision;

export function subsetsDiffer(subsets: Subsets, revisions: { stable: string; canary: string }): boolean {
  return wants(subsets.stable!, revisions.stable) || wants(subsets.canary!, revisions.canary);
}

/**
 * The patch that points the subsets at the revisions, each guarded by a test of the subset's name at its index and
 * of its labels as read, so that a subset moved or relabelled meanwhile fails the patch instead of being rewritten.
 */
export function subsetOps(subsets: Subsets, revisions: { stable: string; canary: string }): object[] {
  return [
    [subsets.stable!, revisions.stable],
    [subsets.canary!, revisions.canary],
  ].flatMap(([subset, revision]) => {
    const s = subset as SubsetState;
    if (!wants(s, revision as string)) return [];
    const base = `/spec/subsets/${s.index}`;
    const test = { op: 'test', path: `${base}/name`, value: s.name };
    if (s.labels === undefined)
      return [test, { op: 'add', path: `${base}/labels`, value: { [revisionLabel]: revision } }];
    return [
      test,
      { op: 'test', path: `${base}/labels`, value: s.labels },
      { op: 'add', path: `${base}/labels/${pointerSegment(revisionLabel)}`, value: revision },
    ];
  });
}
