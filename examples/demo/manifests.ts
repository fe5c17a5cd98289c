/** The demo's objects: the checkout Deployment, its HTTPRoute, the error-rate analysis and the Rollout. */
export const app = 'checkout';

export function deployment(version: string, errorRate: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          containers: [
            {
              name: 'checkout',
              image: `example.invalid/checkout:${version}`,
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'VERSION', value: version },
                { name: 'ERROR_RATE', value: String(errorRate) },
                { name: 'LATENCY_MS', value: '15' },
              ],
            },
          ],
        },
      },
    },
  };
}

export const httpRoute = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: app },
  spec: {
    rules: [
      {
        backendRefs: [
          { name: `${app}-stable`, port: 80, weight: 100 },
          { name: `${app}-canary`, port: 80, weight: 0 },
        ],
      },
    ],
  },
};

/** Share of 5xx answers of the canary through the gateway, over a short window that suits a 1 s scrape. */
export function errorRateTemplate(prometheusUrl: string) {
  const rate = (extra: string) =>
    `sum(rate(http_requests_total{service="{{args.service}}",track="canary"${extra}}[3s]))`;
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'error-rate' },
    spec: {
      args: [{ name: 'service' }],
      metrics: [
        {
          name: 'error-rate',
          interval: '1s',
          failureLimit: 0,
          inconclusiveLimit: 1000,
          consecutiveErrorLimit: 5,
          successCondition: 'result < 0.05',
          failureCondition: 'result >= 0.10',
          provider: {
            prometheus: { address: prometheusUrl, timeout: '2s', query: `${rate(',code=~"5.."')} / ${rate('')}` },
          },
        },
      ],
    },
  };
}

export const rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: app },
  spec: {
    workloadRef: { name: app },
    service: { port: 80, targetPort: 'http' },
    trafficRouting: { gatewayAPI: { httpRoute: app } },
    strategy: {
      canary: {
        steps: [{ setWeight: 20 }, { pause: { duration: '4s' } }, { setWeight: 50 }, { pause: { duration: '4s' } }],
        analysis: {
          templates: [{ templateName: 'error-rate' }],
          args: [{ name: 'service', value: app }],
          startingStep: 0,
        },
        abortScaleDownDelaySeconds: 5,
      },
    },
  },
};
