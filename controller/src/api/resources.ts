/**
 * The Sluice resources as the API server knows them: names, scope, schemas and `kubectl get` columns.
 * generateCrds.ts writes these to crds/; the controller uses the plurals to address them.
 */
import { analysisTemplateSpec } from './analysis.schema.ts';
import type { ResourceDefinition } from './crd.ts';
import { maxNameWithService, maxNameWithWorkload, nameWithServicePattern } from '../workload/names.ts';
import { notificationChannelSpec } from './notification.schema.ts';
import { rolloutSpec } from './rollout.schema.ts';
import { rolloutStatus } from './rolloutStatus.schema.ts';

export const rolloutResource: ResourceDefinition = {
  kind: 'Rollout',
  plural: 'rollouts',
  singular: 'rollout',
  scope: 'Namespaced',
  shortNames: ['ro'],
  categories: ['sluice'],
  description:
    'A Rollout releases a new version of a Deployment (or a feature flag) step by step: it shifts traffic to a canary, ' +
    'measures it with analysis, and promotes it or rolls it back on its own.',
  spec: rolloutSpec,
  status: rolloutStatus,
  // Names Sluice derives from the Rollout's (workload/names.ts), checked here so that a bad one is refused at once
  // instead of failing every create later. validate.ts checks the same for Rollouts created before these rules.
  rules: [
    {
      // The Services are named <rollout>-stable and <rollout>-canary; a Service name is a DNS-1035 label.
      rule: `!has(self.spec) || !has(self.spec.service) || self.metadata.name.matches('${nameWithServicePattern}')`,
      // No fieldPath: the API server accepts none outside the schema's own properties, so the message names the field.
      message: `metadata.name of a Rollout with spec.service must be at most ${maxNameWithService} lowercase letters, digits or dashes, starting with a letter: Sluice names its Services <name>-stable and <name>-canary`,
    },
    {
      rule: `!has(self.spec) || !has(self.spec.workloadRef) || self.metadata.name.size() <= ${maxNameWithWorkload}`,
      message: `metadata.name of a Rollout with spec.workloadRef must be at most ${maxNameWithWorkload} characters: Sluice labels the ReplicaSets and pods it creates sluice.dev/rollout=<name>, and a label value is at most ${maxNameWithWorkload}`,
    },
  ],
  // kubectl scale ro and a HorizontalPodAutoscaler size the Rollout through spec.replicas; status.selector finds
  // the pods of both revisions, which is what an autoscaler averages its metrics over.
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.status.selector',
  },
  printerColumns: [
    {
      name: 'Phase',
      type: 'string',
      jsonPath: '.status.phase',
      description: 'Progressing, Paused, Healthy or Degraded.',
    },
    {
      name: 'Step',
      type: 'integer',
      jsonPath: '.status.currentStepIndex',
      description: 'Index of the current step (0 is the first).',
    },
    {
      name: 'Canary-Weight',
      type: 'integer',
      jsonPath: '.status.weights.canary',
      description: 'Percentage of traffic on the canary.',
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'Time since the Rollout was created.',
    },
    // Blue-green only (empty for a canary), so shown with -o wide: the revisions the two Services select.
    {
      name: 'Active',
      type: 'string',
      jsonPath: '.status.blueGreen.activeRevision',
      description: 'Blue-green: the revision the active Service selects.',
      priority: 1,
    },
    {
      name: 'Preview',
      type: 'string',
      jsonPath: '.status.blueGreen.previewRevision',
      description: 'Blue-green: the revision the preview Service selects.',
      priority: 1,
    },
    {
      name: 'Message',
      type: 'string',
      jsonPath: '.status.message',
      description: 'What the rollout is doing or waiting for.',
      priority: 1,
    },
  ],
};

export const analysisTemplateResource: ResourceDefinition = {
  kind: 'AnalysisTemplate',
  plural: 'analysistemplates',
  singular: 'analysistemplate',
  scope: 'Namespaced',
  categories: ['sluice'],
  description:
    'An AnalysisTemplate says how to judge a canary: which metrics to measure in Prometheus, how often, and what counts as success.',
  spec: analysisTemplateSpec,
};

export const clusterAnalysisTemplateResource: ResourceDefinition = {
  kind: 'ClusterAnalysisTemplate',
  plural: 'clusteranalysistemplates',
  singular: 'clusteranalysistemplate',
  scope: 'Cluster',
  categories: ['sluice'],
  description:
    'A ClusterAnalysisTemplate is an AnalysisTemplate that Rollouts in every namespace can use (clusterScope: true in the reference).',
  spec: analysisTemplateSpec,
};

export const notificationChannelResource: ResourceDefinition = {
  kind: 'NotificationChannel',
  plural: 'notificationchannels',
  singular: 'notificationchannel',
  scope: 'Cluster',
  shortNames: ['nch'],
  categories: ['sluice'],
  description:
    "A NotificationChannel is where a platform admin lets Rollouts send their transitions (aborted, promoted, ...): a signed webhook, a Slack incoming webhook or CloudEvents. Rollouts subscribe in spec.notifications; the channel's namespaceSelector says which namespaces may.",
  spec: notificationChannelSpec,
  printerColumns: [
    { name: 'Webhook', type: 'string', jsonPath: '.spec.webhook.url', description: 'URL of a webhook sink.' },
    {
      name: 'CloudEvents',
      type: 'string',
      jsonPath: '.spec.cloudEvents.url',
      description: 'URL of a CloudEvents sink.',
    },
    {
      name: 'Slack-Secret',
      type: 'string',
      jsonPath: '.spec.slack.urlFrom.name',
      description: "Secret (in the controller's namespace) holding a Slack sink's incoming-webhook URL.",
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'Time since the channel was created.',
    },
  ],
};

export const resources = [
  rolloutResource,
  analysisTemplateResource,
  clusterAnalysisTemplateResource,
  notificationChannelResource,
];
