/**
 * Sluice's JSON calls send what client-node's typed clients sent: the same verb, URL (path and query), patch
 * Content-Type and body, through the same Configuration; a refusal is the same ApiException (code, body, headers).
 * Each case makes the call both ways against one recording HTTP library and compares the requests.
 */
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy as TypedPatch,
  PolicyV1Api,
  SelfDecodingBody,
  V1MicroTime,
  setHeaderOptions,
  type RequestContext,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { microTime } from './leaderElection.ts';
import {
  ApiException,
  ResponseContext,
  ServerConfiguration,
  createConfiguration,
  wrapHttpLibrary,
} from './clientNode.ts';
import {
  AppsClient,
  BatchClient,
  CoordinationClient,
  CoreClient,
  CustomObjectsClient,
  PatchStrategy,
  PolicyClient,
  ReviewClient,
} from './resourceClients.ts';
import { KubeJsonApi } from './kubeJsonApi.ts';

interface Sent {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

/** The URL with its query parameters in name order: their order means nothing to the API server. */
function sortedQuery(url: string): string {
  const u = new URL(url);
  u.searchParams.sort();
  return u.href;
}

/** A Configuration whose HTTP library records each request and answers `status` with `answer`. */
function recording(status = 200, answer = '{"metadata":{"resourceVersion":"5"}}') {
  const sent: Sent[] = [];
  const config = createConfiguration({
    baseServer: new ServerConfiguration('https://kube.test', {}),
    authMethods: {},
    httpApi: wrapHttpLibrary({
      send(req: RequestContext) {
        const body = req.getBody();
        sent.push({
          method: req.getHttpMethod(),
          url: sortedQuery(req.getUrl()),
          contentType: req.getHeaders()['Content-Type'],
          body: typeof body === 'string' ? JSON.parse(body) : body,
        });
        return Promise.resolve(
          new ResponseContext(
            status,
            { 'content-type': 'application/json', 'x-seen': 'yes' },
            new SelfDecodingBody(Promise.resolve(Buffer.from(answer))),
          ),
        );
      },
    }),
  });
  return { config, sent };
}

const merge = setHeaderOptions('Content-Type', TypedPatch.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', TypedPatch.JsonPatch);
const rollout = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts', namespace: 'shop', name: 'web' };
const at = new Date('2026-11-30T17:34:05.123Z');

type Config = ReturnType<typeof recording>['config'];
type Call = (config: Config) => Promise<unknown>;

/** Each write and read the controller and the plugin make: [what, the typed client's call, Sluice's]. */
const cases: [string, Call, Call][] = [
  [
    'merge-patch a Service',
    (c) => new CoreV1Api(c).patchNamespacedService({ namespace: 'shop', name: 'web', body: { a: 1 } }, merge),
    (c) =>
      new CoreClient(new KubeJsonApi(c)).patchNamespacedService(
        { namespace: 'shop', name: 'web', body: { a: 1 } },
        PatchStrategy.MergePatch,
      ),
  ],
  [
    'JSON-patch a Rollout',
    (c) =>
      new CustomObjectsApi(c).patchNamespacedCustomObject(
        { ...rollout, body: [{ op: 'remove', path: '/x' }] },
        jsonPatch,
      ),
    (c) =>
      new CustomObjectsClient(new KubeJsonApi(c)).patchNamespacedCustomObject(
        { ...rollout, body: [{ op: 'remove', path: '/x' }] },
        PatchStrategy.JsonPatch,
      ),
  ],
  [
    "merge-patch a Rollout's status",
    (c) => new CustomObjectsApi(c).patchNamespacedCustomObjectStatus({ ...rollout, body: { status: {} } }, merge),
    (c) =>
      new CustomObjectsClient(new KubeJsonApi(c)).patchNamespacedCustomObjectStatus(
        { ...rollout, body: { status: {} } },
        PatchStrategy.MergePatch,
      ),
  ],
  [
    "replace a Rollout's status",
    (c) => new CustomObjectsApi(c).replaceNamespacedCustomObjectStatus({ ...rollout, body: { status: { x: 1 } } }),
    (c) =>
      new CustomObjectsClient(new KubeJsonApi(c)).replaceNamespacedCustomObjectStatus({
        ...rollout,
        body: { status: { x: 1 } },
      }),
  ],
  [
    'create a router object',
    (c) => new CustomObjectsApi(c).createNamespacedCustomObject({ ...rollout, body: { metadata: { name: 'r' } } }),
    (c) =>
      new CustomObjectsClient(new KubeJsonApi(c)).createNamespacedCustomObject({
        ...rollout,
        body: { metadata: { name: 'r' } },
      }),
  ],
  [
    'list Rollouts of every namespace',
    (c) =>
      new CustomObjectsApi(c).listClusterCustomObject({ group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' }),
    (c) =>
      new CustomObjectsClient(new KubeJsonApi(c)).listClusterCustomObject({
        group: 'sluice.dev',
        version: 'v1alpha1',
        plural: 'rollouts',
      }),
  ],
  [
    'create a ReplicaSet',
    (c) =>
      new AppsV1Api(c).createNamespacedReplicaSet({
        namespace: 'shop',
        body: { metadata: { name: 'web-a' }, spec: { replicas: 2, selector: {} } },
      }),
    (c) =>
      new AppsClient(new KubeJsonApi(c)).createNamespacedReplicaSet({
        namespace: 'shop',
        body: { metadata: { name: 'web-a' }, spec: { replicas: 2, selector: {} } },
      }),
  ],
  [
    'delete a ReplicaSet with preconditions',
    (c) =>
      new AppsV1Api(c).deleteNamespacedReplicaSet({
        namespace: 'shop',
        name: 'web-a',
        body: { preconditions: { uid: 'u', resourceVersion: '3' }, propagationPolicy: 'Background' },
      }),
    (c) =>
      new AppsClient(new KubeJsonApi(c)).deleteNamespacedReplicaSet({
        namespace: 'shop',
        name: 'web-a',
        body: { preconditions: { uid: 'u', resourceVersion: '3' }, propagationPolicy: 'Background' },
      }),
  ],
  [
    'merge-patch a PodDisruptionBudget',
    (c) =>
      new PolicyV1Api(c).patchNamespacedPodDisruptionBudget(
        { namespace: 'shop', name: 'web', body: { spec: { minAvailable: null } } },
        merge,
      ),
    (c) =>
      new PolicyClient(new KubeJsonApi(c)).patchNamespacedPodDisruptionBudget(
        { namespace: 'shop', name: 'web', body: { spec: { minAvailable: null } } },
        PatchStrategy.MergePatch,
      ),
  ],
  [
    'evict a pod',
    (c) =>
      new CoreV1Api(c).createNamespacedPodEviction({
        namespace: 'shop',
        name: 'p',
        body: { metadata: { name: 'p', namespace: 'shop' }, deleteOptions: { preconditions: { uid: 'u' } } },
      }),
    (c) =>
      new CoreClient(new KubeJsonApi(c)).createNamespacedPodEviction({
        namespace: 'shop',
        name: 'p',
        body: { metadata: { name: 'p', namespace: 'shop' }, deleteOptions: { preconditions: { uid: 'u' } } },
      }),
  ],
  [
    'create an Event (its Dates as ISO strings)',
    (c) =>
      new CoreV1Api(c).createNamespacedEvent({
        namespace: 'shop',
        body: { metadata: { name: 'e' }, involvedObject: {}, firstTimestamp: at, lastTimestamp: at },
      }),
    (c) =>
      new CoreClient(new KubeJsonApi(c)).createNamespacedEvent({
        namespace: 'shop',
        body: { metadata: { name: 'e' }, involvedObject: {}, firstTimestamp: at, lastTimestamp: at },
      }),
  ],
  [
    "list a Job's pods, read a log",
    async (c) => {
      await new CoreV1Api(c).listNamespacedPod({ namespace: 'shop', labelSelector: 'a=b', limit: 50 });
      return new CoreV1Api(c).readNamespacedPodLog({
        namespace: 'shop',
        name: 'p',
        container: 'c',
        tailLines: 5,
        limitBytes: 100,
      });
    },
    async (c) => {
      const core = new CoreClient(new KubeJsonApi(c));
      await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'a=b', limit: 50 });
      return core.readNamespacedPodLog({ namespace: 'shop', name: 'p', container: 'c', tailLines: 5, limitBytes: 100 });
    },
  ],
  [
    'create and delete a Job',
    async (c) => {
      await new BatchV1Api(c).createNamespacedJob({ namespace: 'shop', body: { metadata: { name: 'j' } } });
      return new BatchV1Api(c).deleteNamespacedJob({
        namespace: 'shop',
        name: 'j',
        propagationPolicy: 'Background',
        body: { preconditions: { uid: 'u' } },
      });
    },
    async (c) => {
      const batch = new BatchClient(new KubeJsonApi(c));
      await batch.createNamespacedJob({ namespace: 'shop', body: { metadata: { name: 'j' } } });
      return batch.deleteNamespacedJob({
        namespace: 'shop',
        name: 'j',
        propagationPolicy: 'Background',
        body: { preconditions: { uid: 'u' } },
      });
    },
  ],
  [
    'create a Lease (MicroTime with six digits)',
    (c) =>
      new CoordinationV1Api(c).createNamespacedLease({
        namespace: 'kube-system',
        body: { metadata: { name: 'l' }, spec: { holderIdentity: 'me', renewTime: new V1MicroTime(at.getTime()) } },
      }),
    (c) =>
      new CoordinationClient(new KubeJsonApi(c)).createNamespacedLease({
        namespace: 'kube-system',
        body: { metadata: { name: 'l' }, spec: { holderIdentity: 'me', renewTime: microTime(at) } },
      }),
  ],
  [
    'review a token and an access',
    async (c) => {
      await new AuthenticationV1Api(c).createTokenReview({ body: { spec: { token: 't', audiences: ['a'] } } });
      return new AuthorizationV1Api(c).createSubjectAccessReview({
        body: { spec: { user: 'u', resourceAttributes: { verb: 'patch' } } },
      });
    },
    async (c) => {
      const reviews = new ReviewClient(new KubeJsonApi(c));
      await reviews.createTokenReview({ body: { spec: { token: 't', audiences: ['a'] } } });
      return reviews.createSubjectAccessReview({
        body: { spec: { user: 'u', resourceAttributes: { verb: 'patch' } } },
      });
    },
  ],
];

describe("Sluice's JSON calls and client-node's typed clients", () => {
  it.each(cases)('%s: the same request', async (_what, typed, ours) => {
    const before = recording();
    await typed(before.config);
    const after = recording();
    await ours(after.config);
    expect(after.sent).toEqual(before.sent);
    expect(after.sent.length).toBeGreaterThan(0);
  });

  it('a refusal is the same ApiException: code, the Status as text, the headers', async () => {
    const status = JSON.stringify({
      kind: 'Status',
      code: 409,
      reason: 'Conflict',
      message: 'the object has been modified',
    });
    const caught = async (call: Call) => {
      const { config } = recording(409, status);
      return call(config).then(
        () => expect.unreachable('no error'),
        (err: unknown) => err as ApiException<unknown>,
      );
    };
    const typed = await caught(cases[3]![1]);
    const ours = await caught(cases[3]![2]);
    expect(ours).toBeInstanceOf(ApiException);
    expect(typed).toBeInstanceOf(ApiException);
    expect({ code: ours.code, body: ours.body, headers: ours.headers }).toEqual({
      code: typed.code,
      body: typed.body,
      headers: typed.headers,
    });
    expect(ours.body).toBe(status);
  });

  it('answers are the JSON the API server sent, timestamps as strings, where the typed client made Dates', async () => {
    const service = '{"metadata":{"name":"web","creationTimestamp":"2026-11-30T17:34:05Z"}}';
    const named = { namespace: 'shop', name: 'web' };
    const typed = await new CoreV1Api(recording(200, service).config).readNamespacedService(named);
    const ours = await new CoreClient(new KubeJsonApi(recording(200, service).config)).readNamespacedService(named);
    expect(typed.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(ours).toEqual(JSON.parse(service));
  });
});
