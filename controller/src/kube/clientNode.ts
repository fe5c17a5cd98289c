/**
 * The parts of @kubernetes/client-node that the controller runs, each from the module that defines it. Not the
 * package's index: that one loads every generated model and API class (Node 24: 129 MiB of RSS for the index, 81
 * for KubeConfig alone, 42 for Node itself), and the controller uses none of them. KubeConfig (kubeconfig files,
 * in-cluster config, exec and OIDC credentials, TLS) still loads the generated index through config.js; the process
 * entry (main.ts) sends that import to a small module first (clientNodeHook.ts). Types may still come from the
 * package's index (`import type` is erased); eslint refuses any other import of it.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export {
  HttpMethod,
  RequestContext,
  ResponseContext,
  wrapHttpLibrary,
  IsomorphicFetchHttpLibrary,
} from '@kubernetes/client-node/dist/gen/http/http.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { setHeaderMiddleware } from '@kubernetes/client-node/dist/middleware.js';
export { Observable } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
