/**
 * TypeScript types of the Sluice API, derived from the TypeBox schemas so that the CRDs and the code cannot
 * disagree. Fields with a schema default are optional here (a user may omit them), although objects read back
 * from the API server always carry them.
 */
import type { Static } from 'typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type {
  analysisTemplateSpec,
  metric,
  metricCompare,
  prometheusProvider,
  templateArg,
  webProvider,
} from './analysis.schema.ts';
import type { blueGreenStrategy } from './blueGreen.schema.ts';
import type { influxdbProvider } from './influxdbProvider.schema.ts';
import type { notificationChannelSpec, notificationEvents, notificationSubscription } from './notification.schema.ts';
import type { condition, secretKeySelector } from './common.schema.ts';
import type {
  analysisArg,
  analysisStep,
  analysisTemplateRef,
  backgroundAnalysis,
  canaryStep,
  canaryStrategy,
  pauseStep,
  rolloutSpec,
  setFlagStep,
  trafficRouting,
} from './rollout.schema.ts';
import type {
  analysisRun,
  measurement,
  metricResult,
  rolloutPhase,
  rolloutStatus,
  touchedFlag,
} from './rolloutStatus.schema.ts';

export const apiGroup = 'sluice.dev';
export const apiVersionName = 'v1alpha1';
export const apiVersion = `${apiGroup}/${apiVersionName}`;

export type RolloutSpec = Static<typeof rolloutSpec>;
export type CanaryStrategy = Static<typeof canaryStrategy>;
export type BlueGreenStrategy = Static<typeof blueGreenStrategy>;
export type CanaryStep = Static<typeof canaryStep>;
export type PauseStep = Static<typeof pauseStep>;
export type AnalysisStep = Static<typeof analysisStep>;
export type SetFlagStep = Static<typeof setFlagStep>;
export type BackgroundAnalysis = Static<typeof backgroundAnalysis>;
export type AnalysisTemplateRef = Static<typeof analysisTemplateRef>;
export type AnalysisArg = Static<typeof analysisArg>;
export type TrafficRouting = Static<typeof trafficRouting>;

export type RolloutStatus = Static<typeof rolloutStatus>;
export type RolloutPhase = Static<typeof rolloutPhase>;
export type AnalysisRunStatus = Static<typeof analysisRun>;
export type MetricResult = Static<typeof metricResult>;
export type Measurement = Static<typeof measurement>;
export type TouchedFlag = Static<typeof touchedFlag>;
export type Condition = Static<typeof condition>;

export type AnalysisTemplateSpec = Static<typeof analysisTemplateSpec>;
export type Metric = Static<typeof metric>;
export type MetricCompare = Static<typeof metricCompare>;
export type PrometheusProvider = Static<typeof prometheusProvider>;
export type WebProvider = Static<typeof webProvider>;
export type InfluxdbProvider = Static<typeof influxdbProvider>;
export type TemplateArg = Static<typeof templateArg>;
export type SecretKeySelector = Static<typeof secretKeySelector>;

export interface Rollout {
  apiVersion: typeof apiVersion;
  kind: 'Rollout';
  metadata: V1ObjectMeta;
  spec: RolloutSpec;
  status?: RolloutStatus;
}

export interface AnalysisTemplate {
  apiVersion: typeof apiVersion;
  kind: 'AnalysisTemplate';
  metadata: V1ObjectMeta;
  spec: AnalysisTemplateSpec;
}

export interface ClusterAnalysisTemplate {
  apiVersion: typeof apiVersion;
  kind: 'ClusterAnalysisTemplate';
  metadata: V1ObjectMeta;
  spec: AnalysisTemplateSpec;
}

export type NotificationChannelSpec = Static<typeof notificationChannelSpec>;
export type NotificationSubscription = Static<typeof notificationSubscription>;
export type NotificationEvent = (typeof notificationEvents)[number];

export interface NotificationChannel {
  apiVersion: typeof apiVersion;
  kind: 'NotificationChannel';
  metadata: V1ObjectMeta;
  spec: NotificationChannelSpec;
}
