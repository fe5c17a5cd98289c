/**
 * The API calls the controller makes, as plain JSON over KubeJsonApi: the same requests client-node's typed clients
 * sent (verbs, paths, query parameters, patch content types), under the same method names and parameter objects,
 * without their model classes. Answers are the API server's JSON, so timestamps are ISO strings, never Dates; a
 * failure is the same ApiException (code, body, headers).
 */
import type {
  CoreV1Event,
  V1Deployment,
  V1Eviction,
  V1Job,
  V1Lease,
  V1LeaseSpec,
  V1Namespace,
  V1PodDisruptionBudget,
  V1PodList,
  V1ReplicaSet,
  V1Secret,
  V1Service,
  V1Status,
  V1SubjectAccessReview,
  V1TokenReview,
} from '@kubernetes/client-node';
import type { KubeConfig } from './clientNode.ts';
import { KubeJsonApi, type PatchStrategy, type RequestOptions } from './kubeJsonApi.ts';

export { PatchStrategy } from './kubeJsonApi.ts';

interface Named {
  namespace: string;
  name: string;
}

/** Options of a DELETE, sent in its body as kubectl does. */
interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

/**
 * An Event as the API server sends it: its timestamps are strings, and null where unset. One written through
 * events.k8s.io/v1 reads back with `"lastTimestamp": null` (metav1.Time is a struct, which omitempty never drops)
 * and only eventTime set.
 */
export type EventJson = Omit<CoreV1Event, 'firstTimestamp' | 'lastTimestamp' | 'eventTime'> & {
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
};

/** When an Event last happened: lastTimestamp, else eventTime (events.k8s.io), as `kubectl get events` reads it. */
export function eventTimeOf(e: EventJson): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? undefined;
}

/**
 * One path segment: encoded, and never '', '.' or '..', which no Kubernetes object is named (apimachinery's
 * IsValidPathSegmentName) and which the URL parser would resolve, sending the request to another resource (the
 * namespace itself, or the whole collection). Refused before anything is sent.
 */
function seg(value: string, what = 'name'): string {
  if (value === '' || value === '.' || value === '..')
    throw new Error(`${JSON.stringify(value)} is not a ${what} Kubernetes allows in a path: nothing was sent`);
  return encodeURIComponent(value);
}
const core = (ns: string, plural: string, name?: string) =>
  `/api/v1/namespaces/${seg(ns, 'namespace')}/${plural}${name === undefined ? '' : `/${seg(name)}`}`;
const group = (gv: string, ns: string, plural: string, name?: string) =>
  `/apis/${gv}/namespaces/${seg(ns, 'namespace')}/${plural}${name === undefined ? '' : `/${seg(name)}`}`;

/** Requests with a signal carry it; the rest leave the HTTP layer's own timeout in charge. */
const withSignal = (signal: AbortSignal | undefined): RequestOptions => (signal === undefined ? {} : { signal });

/** One API group's calls, over the process's one JSON client of a KubeConfig. */
class JsonClient {
  readonly api: KubeJsonApi;
  constructor(api: KubeJsonApi) {
    this.api = api;
  }
}

export class CoreClient extends JsonClient {
  async readNamespace(p: { name: string }): Promise<V1Namespace> {
    return this.api.get(`/api/v1/namespaces/${seg(p.name)}`);
  }
  async readNamespacedSecret(p: Named): Promise<V1Secret> {
    return this.api.get(core(p.namespace, 'secrets', p.name));
  }
  async readNamespacedService(p: Named): Promise<V1Service> {
    return this.api.get(core(p.namespace, 'services', p.name));
  }
  async createNamespacedService(p: { namespace: string; body: V1Service }): Promise<V1Service> {
    return this.api.create(core(p.namespace, 'services'), p.body);
  }
  async patchNamespacedService(p: Named & { body: object }, strategy: PatchStrategy): Promise<V1Service> {
    return this.api.patch(core(p.namespace, 'services', p.name), p.body, strategy);
  }
  async createNamespacedEvent(p: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event> {
    return this.api.create(core(p.namespace, 'events'), p.body);
  }
  async listNamespacedEvent(p: {
    namespace: string;
    fieldSelector?: string;
    limit?: number;
  }): Promise<{ items: EventJson[] }> {
    return this.api.get(core(p.namespace, 'events'), undefined, {
      fieldSelector: p.fieldSelector,
      limit: p.limit,
    });
  }
  async createNamespacedPodEviction(p: Named & { body: V1Eviction }): Promise<V1Eviction> {
    return this.api.create(`${core(p.namespace, 'pods', p.name)}/eviction`, p.body);
  }
  async listNamespacedPod(p: { namespace: string; labelSelector?: string; limit?: number }): Promise<V1PodList> {
    return this.api.get(core(p.namespace, 'pods'), undefined, { labelSelector: p.labelSelector, limit: p.limit });
  }
  async readNamespacedPodLog(
    p: Named & { container?: string; tailLines?: number; limitBytes?: number },
  ): Promise<string> {
    const { namespace, name, ...query } = p;
    return this.api.text(`${core(namespace, 'pods', name)}/log`, { query });
  }
}

export class AppsClient extends JsonClient {
  async readNamespacedDeployment(p: Named): Promise<V1Deployment> {
    return this.api.get(group('apps/v1', p.namespace, 'deployments', p.name));
  }
  async patchNamespacedDeployment(p: Named & { body: object }, strategy: PatchStrategy): Promise<V1Deployment> {
    return this.api.patch(group('apps/v1', p.namespace, 'deployments', p.name), p.body, strategy);
  }
  async listNamespacedReplicaSet(p: { namespace: string; labelSelector?: string }): Promise<{ items: V1ReplicaSet[] }> {
    return this.api.get(group('apps/v1', p.namespace, 'replicasets'), undefined, { labelSelector: p.labelSelector });
  }
  async createNamespacedReplicaSet(p: { namespace: string; body: V1ReplicaSet }): Promise<V1ReplicaSet> {
    return this.api.create(group('apps/v1', p.namespace, 'replicasets'), p.body);
  }
  async patchNamespacedReplicaSet(p: Named & { body: object }, strategy: PatchStrategy): Promise<V1ReplicaSet> {
    return this.api.patch(group('apps/v1', p.namespace, 'replicasets', p.name), p.body, strategy);
  }
  async deleteNamespacedReplicaSet(p: Named & { body: DeleteOptions }): Promise<V1Status> {
    return this.api.delete(group('apps/v1', p.namespace, 'replicasets', p.name), p.body);
  }
}

export class PolicyClient extends JsonClient {
  async createNamespacedPodDisruptionBudget(p: {
    namespace: string;
    body: V1PodDisruptionBudget;
  }): Promise<V1PodDisruptionBudget> {
    return this.api.create(group('policy/v1', p.namespace, 'poddisruptionbudgets'), p.body);
  }
  async patchNamespacedPodDisruptionBudget(
    p: Named & { body: object },
    strategy: PatchStrategy,
  ): Promise<V1PodDisruptionBudget> {
    return this.api.patch(group('policy/v1', p.namespace, 'poddisruptionbudgets', p.name), p.body, strategy);
  }
  async deleteNamespacedPodDisruptionBudget(p: Named & { body: DeleteOptions }): Promise<V1Status> {
    return this.api.delete(group('policy/v1', p.namespace, 'poddisruptionbudgets', p.name), p.body);
  }
}

/** A custom resource: its group, version and plural name, as client-node's CustomObjectsApi takes them. */
interface CustomTarget {
  group: string;
  version: string;
  namespace: string;
  plural: string;
}

const custom = (t: CustomTarget, name?: string) =>
  group(`${seg(t.group, 'group')}/${seg(t.version, 'version')}`, t.namespace, t.plural, name);

export class CustomObjectsClient extends JsonClient {
  async getNamespacedCustomObject(p: CustomTarget & { name: string }): Promise<object> {
    return this.api.get(custom(p, p.name));
  }
  async listClusterCustomObject(p: Omit<CustomTarget, 'namespace'>): Promise<object> {
    return this.api.get(`/apis/${seg(p.group, 'group')}/${seg(p.version, 'version')}/${p.plural}`);
  }
  async listNamespacedCustomObject(p: CustomTarget & { labelSelector?: string }): Promise<object> {
    return this.api.get(custom(p), undefined, { labelSelector: p.labelSelector });
  }
  async createNamespacedCustomObject(p: CustomTarget & { body: object }): Promise<object> {
    return this.api.create(custom(p), p.body);
  }
  async patchNamespacedCustomObject(
    p: CustomTarget & { name: string; body: object },
    strategy: PatchStrategy,
  ): Promise<object> {
    return this.api.patch(custom(p, p.name), p.body, strategy);
  }
  async patchNamespacedCustomObjectStatus(
    p: CustomTarget & { name: string; body: object },
    strategy: PatchStrategy,
  ): Promise<object> {
    return this.api.patch(`${custom(p, p.name)}/status`, p.body, strategy);
  }
  async replaceNamespacedCustomObjectStatus(p: CustomTarget & { name: string; body: object }): Promise<object> {
    return this.api.replace(`${custom(p, p.name)}/status`, p.body);
  }
}

export class BatchClient extends JsonClient {
  async createNamespacedJob(p: { namespace: string; body: V1Job }): Promise<V1Job> {
    return this.api.create(group('batch/v1', p.namespace, 'jobs'), p.body);
  }
  async readNamespacedJob(p: Named): Promise<V1Job> {
    return this.api.get(group('batch/v1', p.namespace, 'jobs', p.name));
  }
  /** The propagation policy goes in the query as well as the body, as the typed client sent it. */
  async deleteNamespacedJob(p: Named & { propagationPolicy?: string; body: DeleteOptions }): Promise<V1Status> {
    return this.api.delete(group('batch/v1', p.namespace, 'jobs', p.name), p.body, {
      query: { propagationPolicy: p.propagationPolicy },
    });
  }
}

/** A Lease as the API server sends it: its MicroTime fields are strings ("2026-11-30T17:34:05.123456Z"). */
export type Lease = Omit<V1Lease, 'spec'> & {
  spec?: Omit<V1LeaseSpec, 'renewTime' | 'acquireTime'> & { renewTime?: string; acquireTime?: string };
};

export class CoordinationClient extends JsonClient {
  async readNamespacedLease(p: Named, signal?: AbortSignal): Promise<Lease> {
    return this.api.get(group('coordination.k8s.io/v1', p.namespace, 'leases', p.name), signal);
  }
  async createNamespacedLease(p: { namespace: string; body: Lease }, signal?: AbortSignal): Promise<Lease> {
    return this.api.create(group('coordination.k8s.io/v1', p.namespace, 'leases'), p.body, withSignal(signal));
  }
  async replaceNamespacedLease(p: Named & { body: Lease }, signal?: AbortSignal): Promise<Lease> {
    return this.api.replace(group('coordination.k8s.io/v1', p.namespace, 'leases', p.name), p.body, withSignal(signal));
  }
}

/** TokenReview and SubjectAccessReview: the dashboard asks the API server who a token is and what it may do. */
export class ReviewClient extends JsonClient {
  async createTokenReview(p: { body: V1TokenReview }): Promise<V1TokenReview> {
    return this.api.create('/apis/authentication.k8s.io/v1/tokenreviews', p.body);
  }
  async createSubjectAccessReview(p: { body: V1SubjectAccessReview }): Promise<V1SubjectAccessReview> {
    return this.api.create('/apis/authorization.k8s.io/v1/subjectaccessreviews', p.body);
  }
}

/** The JSON API of `kc`: its authentication, middleware and HTTP library (an instrumented one counts and fences). */
export const jsonApi = (kc: KubeConfig): KubeJsonApi => kc.makeApiClient(KubeJsonApi);
