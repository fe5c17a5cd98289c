/**
 * A child span of the current reconcile's for each Kubernetes write the reconciler's client sends: method, resource,
 * namespace, name and response code, with the fence's refusal or the API server's error as its status. The HTTP
 * layer (apiMetrics.ts) is the one place that sees every write of every client the executor and the routers use,
 * which is why the reconcile's span reaches it as the current span rather than as an argument.
 */
import type { ResponseContext } from '@kubernetes/client-node';
import type { Span } from '../trace/span.ts';
import type { Tracer } from '../trace/tracer.ts';

/** The namespace and name a request's path names, if any: /api(s)/.../namespaces/{ns}/{plural}/{name}/... */
export function objectOfPath(url: string): { namespace: string | undefined; name: string | undefined } {
  let parts = new URL(url, 'https://api-server.invalid').pathname.split('/').filter((p) => p !== '');
  parts = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : [];
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  return { namespace, name: parts[1] === undefined ? undefined : decodeURIComponent(parts[1]) };
}

export async function traceKubeWrite(
  tracer: Tracer,
  parent: Span,
  request: { method: string; url: string; verb: string; resource: string },
  send: () => Promise<ResponseContext>,
): Promise<ResponseContext> {
  const { namespace, name } = objectOfPath(request.url);
  const span = tracer.startSpan(`kube ${request.verb} ${request.resource}`, {
    kind: 'client',
    parent,
    attributes: {
      'http.request.method': request.method,
      'sluice.kube.verb': request.verb,
      'k8s.resource': request.resource,
      'k8s.namespace.name': namespace,
      'sluice.kube.name': name,
    },
  });
  try {
    const response = await send();
    span.setAttribute('http.response.status_code', response.httpStatusCode);
    if (response.httpStatusCode >= 400) span.fail(`HTTP ${response.httpStatusCode}`);
    else span.succeed();
    return response;
  } catch (err) {
    span.fail(err); // not sent (the fence, the rate limiter given up on) or no answer
    throw err;
  } finally {
    span.end();
  }
}
