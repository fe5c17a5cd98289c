import { customResourceDefinition, type StructuralSchema } from '../api/crd.ts';
import { resources } from '../api/resources.ts';
import { apiGroup } from '../api/types.ts';
import { untilCrdsCurrent, type OpenApiDocument } from './crdCurrency.ts';

/** What GET /openapi/v3/apis/sluice.dev/v1alpha1 answers for the CRDs this controller generates, changed by `edit`. */
export function publishedDocument(edit: (schemas: Record<string, StructuralSchema>) => void = () => undefined) {
  const schemas: Record<string, StructuralSchema> = {};
  for (const def of resources) {
    const crd = customResourceDefinition(def) as {
      spec: { versions: { schema: { openAPIV3Schema: StructuralSchema } }[] };
    };
    const schema = structuredClone(crd.spec.versions[0]!.schema.openAPIV3Schema);
    // As the API server publishes it: metadata is a reference to ObjectMeta, the kind is named by its GVK.
    (schema['properties'] as StructuralSchema)['metadata'] = {
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
    };
    schema['x-kubernetes-group-version-kind'] = [{ group: apiGroup, kind: def.kind, version: 'v1alpha1' }];
    schemas[`dev.sluice.v1alpha1.${def.kind}`] = schema;
  }
  edit(schemas);
  return { components: { schemas } };
}

/** The properties of an object schema. */
export const props = (s: unknown) => (s as { properties: Record<string, StructuralSchema> }).properties;

/** The published document of CRDs one field behind this controller: an older release's, without Rollout.spec.restartAt. */
export const behindDocument = () =>
  publishedDocument((s) => delete props(props(s['dev.sluice.v1alpha1.Rollout'])['spec'])['restartAt']);

/**
 * How untilCrdsCurrent, reading with `read`, ends when `stop` aborts `abortAfterMs` after the start: 'rejected' or
 * 'resolved', or 'still waiting' if it has not ended `withinMs` after the abort.
 */
export async function endOnAbort(
  read: (signal: AbortSignal) => Promise<OpenApiDocument>,
  stop: AbortController,
  abortAfterMs: number,
  withinMs: number,
): Promise<string> {
  const done = untilCrdsCurrent(read, resources, { error: () => undefined, warn: () => undefined }, stop.signal).then(
    () => 'resolved',
    () => 'rejected',
  );
  if (abortAfterMs > 0) await new Promise((r) => setTimeout(r, abortAfterMs));
  stop.abort();
  return Promise.race([done, new Promise<string>((r) => setTimeout(() => r('still waiting'), withinMs))]);
}
