/**
 * Whether a write of spec fields took. The API server prunes a field its CRD does not know and still answers 200
 * (with only a Warning header): after an upgrade of the plugin without one of the CRDs (helm never upgrades crds/),
 * `kubectl sluice restart` would say a restart was requested while nothing was stored and nothing restarts. The
 * object the API server answers with is what it stored, so the plugin reads its own fields back from it.
 */
import { isDeepStrictEqual } from 'node:util';

/** The fields of `written` that the stored spec does not hold as written: pruned by an older CRD. */
export function prunedSpecFields(written: Record<string, unknown>, answer: unknown): string[] {
  const spec = (answer as { spec?: Record<string, unknown> } | null | undefined)?.spec ?? {};
  return Object.entries(written)
    .filter(([field, value]) => !Object.hasOwn(spec, field) || !isDeepStrictEqual(spec[field], value))
    .map(([field]) => `spec.${field}`);
}

/** What the user reads when a field was pruned: the CRDs are older than the plugin, and how to update them. */
export function outdatedCrdMessage(rollout: string, pruned: readonly string[]): string {
  return (
    `rollout ${rollout}: the API server did not store ${pruned.join(', ')}: the Rollout CustomResourceDefinition in ` +
    'this cluster is older than this plugin and drops the field (helm never upgrades CRDs). Nothing was changed. ' +
    'Update the CRDs from the release of this plugin: kubectl apply --server-side -k crds/'
  );
}
