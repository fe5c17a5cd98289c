/**
 * The PromQL of Flagger's two builtin checks (request-success-rate as a percentage, request-duration in
 * milliseconds), per mesh, rewritten for Sluice's objects. Flagger selects its canary by `{{ target }}`, the
 * Deployment only the canary runs (its stable pods belong to <target>-primary). Sluice's stable and canary pods both
 * come from ReplicaSets <rollout>-<revision> of one Rollout, so a workload label would measure both: the mesh
 * queries select the canary by the Service only the canary stands behind ({{args.canaryService}}: <rollout>-canary,
 * or a blue-green's preview Service), and the Kubernetes provider's (no mesh, so no per-Service series) by the pod
 * names of the new revision's ReplicaSet. The window (Flagger's metric interval) is written in: Sluice takes
 * placeholders only inside string literals.
 */

export interface BuiltinQueries {
  /** What the queries read, for the note that asks the user to check them. */
  source: string;
  /** How they pick the new revision, for the same note. */
  selects: (canaryService: string) => string;
  /** The template arguments the queries use (flaggerMetrics.ts knows where each value comes from). */
  args: readonly string[];
  successRate: (window: string) => string;
  duration: (window: string) => string;
}

const meshArgs = ['namespace', 'canaryService'] as const;
const byService = (canaryService: string) => `selecting the canary by Service ${canaryService}`;

// Istio: no reporter filter. Flagger reads reporter="destination" by workload; by Service name, the series that
// name the canary Service are what counts, and double counting by both proxies changes neither a ratio nor a
// quantile.
const istioSelector =
  'destination_service_namespace="{{args.namespace}}", destination_service_name="{{args.canaryService}}"';
const istio: BuiltinQueries = {
  selects: byService,
  args: meshArgs,
  source: 'Istio standard metrics (istio_requests_total, istio_request_duration_milliseconds_bucket)',
  successRate: (w) =>
    `sum(rate(istio_requests_total{${istioSelector}, response_code!~"5.*"}[${w}]))\n` +
    `/ sum(rate(istio_requests_total{${istioSelector}}[${w}])) * 100`,
  duration: (w) =>
    `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${istioSelector}}[${w}])) by (le))`,
};

// ingress-nginx labels each request with the backend Service; Flagger's mean upstream latency is read from the
// request-duration histogram's sum and count (the upstream-latency summary is gone from current ingress-nginx).
const nginxSelector = 'namespace="{{args.namespace}}", service="{{args.canaryService}}"';
const nginx: BuiltinQueries = {
  selects: byService,
  args: meshArgs,
  source:
    'ingress-nginx metrics (nginx_ingress_controller_requests, nginx_ingress_controller_request_duration_seconds)',
  successRate: (w) =>
    `sum(rate(nginx_ingress_controller_requests{${nginxSelector}, status!~"5.*"}[${w}]))\n` +
    `/ sum(rate(nginx_ingress_controller_requests{${nginxSelector}}[${w}])) * 100`,
  duration: (w) =>
    `sum(rate(nginx_ingress_controller_request_duration_seconds_sum{${nginxSelector}}[${w}]))\n` +
    `/ sum(rate(nginx_ingress_controller_request_duration_seconds_count{${nginxSelector}}[${w}])) * 1000`,
};

// Linkerd: the clients' outbound side names the Service the TrafficSplit sent each request to.
const linkerdSelector =
  'direction="outbound", dst_namespace="{{args.namespace}}", dst_service="{{args.canaryService}}"';
const linkerd: BuiltinQueries = {
  selects: byService,
  args: meshArgs,
  source: 'Linkerd proxy metrics (response_total, response_latency_ms_bucket)',
  successRate: (w) =>
    `sum(rate(response_total{${linkerdSelector}, classification!="failure"}[${w}]))\n` +
    `/ sum(rate(response_total{${linkerdSelector}}[${w}])) * 100`,
  duration: (w) => `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{${linkerdSelector}}[${w}])) by (le))`,
};

// Gateway API: Flagger has no observer of its own for it. These are Envoy's cluster metrics as Flagger's Contour
// observer reads them (cluster <namespace>_<service>_<port>), which fits Envoy-based gateways only.
const envoySelector = 'envoy_cluster_name=~"{{args.namespace}}_{{args.canaryService}}_[0-9a-zA-Z-]+"';
const envoy: BuiltinQueries = {
  selects: byService,
  args: meshArgs,
  source:
    "Envoy cluster metrics (envoy_cluster_upstream_rq, envoy_cluster_upstream_rq_time_bucket), as Flagger's Contour observer reads them; Flagger has no builtin queries for Gateway API, so these fit Envoy-based gateways only",
  successRate: (w) =>
    `sum(rate(envoy_cluster_upstream_rq{${envoySelector}, envoy_response_code!~"5.*"}[${w}]))\n` +
    `/ sum(rate(envoy_cluster_upstream_rq{${envoySelector}}[${w}])) * 100`,
  duration: (w) =>
    `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{${envoySelector}}[${w}])) by (le))`,
};

// Kubernetes (Flagger's blue-green without a mesh): the application's own HTTP histogram, as Flagger's HTTP observer
// reads it, by pod name. Sluice's pods are <rollout>-<revision>-<random>, of the ReplicaSet <rollout>-<revision>; the
// revision under analysis is the Rollout's status.canaryRevision.
const podSelector =
  'kubernetes_namespace="{{args.namespace}}", kubernetes_pod_name=~"{{args.name}}-{{args.revision}}-[0-9a-z]+"';
const kubernetes: BuiltinQueries = {
  source:
    "the application's http_request_duration_seconds histogram, by the kubernetes_namespace and kubernetes_pod_name labels, as Flagger's kubernetes provider reads it",
  selects: () => "selecting the new revision's pods by name (<rollout>-<status.canaryRevision>-...)",
  args: ['namespace', 'name', 'revision'],
  successRate: (w) =>
    `sum(rate(http_request_duration_seconds_count{${podSelector}, status!~"5.*"}[${w}]))\n` +
    `/ sum(rate(http_request_duration_seconds_count{${podSelector}}[${w}])) * 100`,
  duration: (w) =>
    `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${podSelector}}[${w}])) by (le)) * 1000`,
};

/** The builtin queries for a Flagger provider; undefined when Sluice has none for it. */
export function builtinQueries(provider: string | undefined): BuiltinQueries | undefined {
  if (provider === undefined) return undefined;
  if (provider === 'kubernetes') return kubernetes;
  if (provider === 'istio') return istio;
  if (provider === 'nginx') return nginx;
  if (provider === 'linkerd' || provider.startsWith('smi')) return linkerd;
  if (provider.startsWith('gatewayapi')) return envoy;
  return undefined;
}
