/**
 * The metric providers the controller runs, built once: they share the process's one answer budget (every analysis
 * of every Rollout, whichever provider reads), the host allowlist, the log and the tracer.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ControllerConfig } from '../config.ts';
import { kubeJobApi } from '../kube/jobClient.ts';
import { ownServiceAccount } from '../kube/ownServiceAccount.ts';
import type { Tracer } from '../trace/tracer.ts';
import { AnswerBudget } from './answerBudget.ts';
import { influxdbMetricProvider } from './influxdb.ts';
import { jobMetricProvider } from './job.ts';
import { PrometheusProvider } from './prometheus.ts';
import { prometheusMetricProvider } from './prometheusMetric.ts';
import type { ProviderSet } from './provider.ts';
import { webMetricProvider } from './web.ts';

export interface ProviderWiring {
  config: Pick<ControllerConfig, 'analysisAnswerBudget' | 'analysisAllowedHosts'>;
  /** The fenced client: a Job's create and delete are writes, sent only while this replica leads. */
  kc: KubeConfig;
  /** The background's reads (a Job's polls and logs), on their own rate limit. */
  readsKc: KubeConfig;
  log: Logger;
  tracer: Tracer;
}

export function metricProviders({ config, kc, readsKc, log, tracer }: ProviderWiring): ProviderSet {
  const budget = new AnswerBudget(config.analysisAnswerBudget);
  const allowedHosts = config.analysisAllowedHosts;
  const debug = (details: object, message: string) => log.debug(details, message);
  return {
    prometheus: prometheusMetricProvider(
      new PrometheusProvider({ userAgent: 'sluice', budget, allowedHosts, debug, tracer }),
    ),
    influxdb: influxdbMetricProvider({ userAgent: 'sluice', allowedHosts, budget, debug, tracer }),
    web: webMetricProvider({ budget, allowedHosts, debug, tracer }),
    // No Job runs as the controller's own ServiceAccount (the namespaced install shares the tenant's namespace).
    job: jobMetricProvider(kubeJobApi(kc, readsKc), {
      warn: (details, message) => log.warn(details, message),
      tracer,
      controllerServiceAccount: ownServiceAccount(kc),
    }),
  };
}
