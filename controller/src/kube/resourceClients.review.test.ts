/**
 * Hostile review of issue 20 (plain JSON calls over KubeJsonApi instead of client-node's typed clients): what the
 * JSON client does with path segments that are not names, and with an answer that is not JSON.
 */
import { SelfDecodingBody, type RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ResponseContext, ServerConfiguration, createConfiguration, wrapHttpLibrary } from './clientNode.ts';
import { KubeJsonApi } from './kubeJsonApi.ts';
import { AppsClient, CoreClient, CustomObjectsClient, PatchStrategy } from './resourceClients.ts';

/** A KubeJsonApi whose HTTP library records each request URL and answers `status` with `answer` as `contentType`. */
function recording(status = 200, answer = '{}', contentType = 'application/json') {
  const sent: { method: string; path: string }[] = [];
  const config = createConfiguration({
    baseServer: new ServerConfiguration('https://kube.test', {}),
    authMethods: {},
    httpApi: wrapHttpLibrary({
      send(req: RequestContext) {
        sent.push({ method: req.getHttpMethod(), path: new URL(req.getUrl()).pathname });
        return Promise.resolve(
          new ResponseContext(
            status,
            { 'content-type': contentType },
            new SelfDecodingBody(Promise.resolve(Buffer.from(answer))),
          ),
        );
      },
    }),
  });
  return { api: new KubeJsonApi(config), sent };
}

describe('a name that is not a path segment', () => {
  // review: resourceClients.ts builds paths with encodeURIComponent, which leaves '.' and '..' as they are, and the
  // WHATWG URL parser then resolves them as dot segments: patchNamespacedService({ name: '..' }) sends
  // PATCH /api/v1/namespaces/shop (the Namespace object, with the controller's credentials), name '.' or '' turns a
  // read of one Secret into a LIST of every Secret of the namespace, and namespace '..' drops the namespace from the
  // path. Kubernetes never names an object '', '.' or '..' (apimachinery IsValidPathSegmentName), so such a call can
  // only reach another resource than the one its method names. Today the CRD patterns keep such names out of the
  // Rollout's references, but the JSON client is the last place that decides what URL a write goes to: it must
  // refuse them (client-node's typed clients did the same, which is why nothing stopped it in the port).
  it.each([
    ['..', 'shop'],
    ['.', 'shop'],
    ['', 'shop'],
    ['web', '..'],
    ['web', '.'],
  ])('name %j in namespace %j: refused before any request, never sent to another path', async (name, namespace) => {
    const { api, sent } = recording();
    const core = new CoreClient(api);
    const apps = new AppsClient(api);
    const custom = new CustomObjectsClient(api);
    const calls = [
      () => core.patchNamespacedService({ namespace, name, body: { a: 1 } }, PatchStrategy.MergePatch),
      () => core.readNamespacedSecret({ namespace, name }),
      () => apps.patchNamespacedDeployment({ namespace, name, body: { a: 1 } }, PatchStrategy.MergePatch),
      () =>
        custom.patchNamespacedCustomObject(
          { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts', namespace, name, body: {} },
          PatchStrategy.MergePatch,
        ),
    ];
    for (const call of calls) await expect(call()).rejects.toThrow(/name|namespace/i);
    expect(sent).toEqual([]);
  });
});

describe('a 2xx answer that is not JSON', () => {
  // review: KubeJsonApi #json runs JSON.parse on any 2xx body, so an HTML page from a proxy in front of the API
  // server (an expired session of Rancher's or Teleport's kube proxy answers 200 with its login page), or an empty
  // or truncated body, fails with a bare SyntaxError ("Unexpected token '<', "<!DOCTYPE "... is not valid JSON").
  // Nothing says which request or that the server answered at all: the dashboard reports such a write as "the API
  // server could not be reached" (the write may have landed, and the user clicks promote again), and the
  // controller's logs and WriteFailed conditions give the on-call engineer no path, status or content type to
  // follow. The error should name the request, the HTTP status and what came instead of JSON.
  it('an HTML page answered 200 fails naming the method, the path, the status and the content type', async () => {
    const { api } = recording(200, '<!DOCTYPE html><html><body>Sign in</body></html>', 'text/html');
    const error = await new CoreClient(api)
      .patchNamespacedService({ namespace: 'shop', name: 'web', body: {} }, PatchStrategy.MergePatch)
      .then(
        () => expect.unreachable('an HTML page is not a Service'),
        (err: unknown) => err as Error,
      );
    expect(error.message).toContain('PATCH /api/v1/namespaces/shop/services/web');
    expect(error.message).toContain('200');
    expect(error.message).toContain('text/html');
  });

  it('an empty 201 fails naming the request and that the body was empty', async () => {
    const { api } = recording(201, '');
    const error = await new CoreClient(api)
      .createNamespacedEvent({ namespace: 'shop', body: { metadata: { name: 'e' }, involvedObject: {} } })
      .then(
        () => expect.unreachable('an empty answer is not an Event'),
        (err: unknown) => err as Error,
      );
    expect(error.message).toContain('POST /api/v1/namespaces/shop/events');
    expect(error.message).toMatch(/201/);
    expect(error.message).toMatch(/empty/i);
  });
});
