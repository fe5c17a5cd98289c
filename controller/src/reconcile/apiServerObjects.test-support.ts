/**
 * Objects as the API server sends them to the informer: a Deployment applied with kubectl (managedFields of the
 * apply and of the controller-manager's status writes, the last-applied copy, defaulted fields, conditions), and
 * what Sluice and the cluster make of it (the ReplicaSets, Services, pods, budget and autoscaler). For the
 * projection's tests and for bench/cacheMemory.ts; `i` makes each object of a run distinct, as a cluster's are.
 */
import { revisionLabel, rolloutLabel } from '../workload/names.ts';

type Json = Record<string, unknown>;

const time = '2026-11-30T12:00:00Z';
const uid = (kind: string, i: number) => `${kind}-0000-4000-8000-${String(i).padStart(12, '0')}`;
const rv = (i: number) => String(100_000 + i);
const ns = (i: number) => `team-${i % 20}`;

/** The pod template a team writes: one container, probes, resources, an env var or two. */
export const podTemplate = (i: number): Json => ({
  metadata: { labels: { app: `svc-${i}`, team: `team-${i % 20}`, 'app.kubernetes.io/part-of': 'shop' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: `registry.example.com/shop/svc-${i % 50}:1.4.${i % 7}`,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability:4317' },
        ],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        readinessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
          periodSeconds: 5,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
  },
});

/** managedFields as a kubectl client-side apply and the controller-manager's status updates leave them. */
const managedFields = (manager: string, spec: Json, status: Json | undefined): Json[] => [
  {
    manager,
    operation: 'Update',
    apiVersion: 'apps/v1',
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': {
        'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
        'f:labels': { '.': {}, 'f:app': {}, 'f:team': {} },
      },
      'f:spec': spec,
    },
  },
  ...(status === undefined
    ? []
    : [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'apps/v1',
          time,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': status },
          subresource: 'status',
        },
      ]),
];

const templateFields: Json = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:team': {}, 'f:app.kubernetes.io/part-of': {} } },
  'f:spec': {
    'f:containers': {
      'k:{"name":"app"}': {
        '.': {},
        'f:env': { '.': {}, 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
        'f:image': {},
        'f:imagePullPolicy': {},
        'f:name': {},
        'f:ports': { '.': {}, 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
        'f:readinessProbe': { '.': {}, 'f:httpGet': { '.': {}, 'f:path': {}, 'f:port': {} } },
        'f:resources': { '.': {}, 'f:limits': { '.': {}, 'f:memory': {} }, 'f:requests': { '.': {} } },
      },
    },
    'f:dnsPolicy': {},
    'f:restartPolicy': {},
  },
};

const replicaStatusFields: Json = {
  'f:availableReplicas': {},
  'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } },
  'f:observedGeneration': {},
  'f:readyReplicas': {},
  'f:replicas': {},
};

const condition = (type: string, reason: string, message: string): Json => ({
  type,
  status: 'True',
  lastUpdateTime: time,
  lastTransitionTime: time,
  reason,
  message,
});

export function apiServerDeployment(i: number): Json {
  const spec = { replicas: 0, selector: { matchLabels: { app: `svc-${i}` } }, template: podTemplate(i) };
  const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `svc-${i}`, namespace: ns(i) }, spec };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `svc-${i}`,
      namespace: ns(i),
      uid: uid('deploy', i),
      resourceVersion: rv(i),
      generation: 3,
      creationTimestamp: time,
      labels: { app: `svc-${i}`, team: `team-${i % 20}` },
      annotations: {
        'deployment.kubernetes.io/revision': '1',
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) + '\n',
        'sluice.dev/recorded-replicas': '4',
      },
      managedFields: managedFields(
        'kubectl-client-side-apply',
        { 'f:replicas': {}, 'f:selector': {}, 'f:template': templateFields },
        replicaStatusFields,
      ),
    },
    spec: {
      ...spec,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 3,
      availableReplicas: 0,
      conditions: [
        condition('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
        condition(
          'Progressing',
          'NewReplicaSetAvailable',
          `ReplicaSet "svc-${i}-7d9f8b6c5d" has successfully progressed.`,
        ),
      ],
    },
  };
}

const ownedByRollout = (i: number): Json[] => [
  {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    name: `svc-${i}`,
    uid: uid('rollout', i),
    controller: true,
    blockOwnerDeletion: true,
  },
];

export function apiServerReplicaSet(i: number, revision = '5c8d7f9b64'): Json {
  const template = podTemplate(i);
  const labels = { [rolloutLabel]: `svc-${i}`, [revisionLabel]: revision };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `svc-${i}-${revision}`,
      namespace: ns(i),
      uid: uid('rs', i),
      resourceVersion: rv(i),
      generation: 2,
      creationTimestamp: time,
      labels,
      annotations: { 'sluice.dev/revision-number': '1' },
      ownerReferences: ownedByRollout(i),
      managedFields: managedFields(
        'sluice',
        { 'f:minReadySeconds': {}, 'f:replicas': {}, 'f:selector': {}, 'f:template': templateFields },
        { ...replicaStatusFields, 'f:fullyLabeledReplicas': {} },
      ),
    },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: `svc-${i}`, ...labels } },
      template: { ...template, metadata: { labels: { ...(template.metadata as { labels: Json }).labels, ...labels } } },
    },
    status: {
      replicas: 4,
      fullyLabeledReplicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
      observedGeneration: 2,
      conditions: [condition('ReplicaFailure', 'FailedCreate', 'pods "x" is forbidden: exceeded quota')],
    },
  };
}

export function apiServerService(i: number, role = 'stable'): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `svc-${i}-${role}`,
      namespace: ns(i),
      uid: uid('svc', i),
      resourceVersion: rv(i),
      creationTimestamp: time,
      labels: { [rolloutLabel]: `svc-${i}` },
      ownerReferences: ownedByRollout(i),
      managedFields: managedFields('sluice', { 'f:ports': {}, 'f:selector': {} }, undefined),
    },
    spec: {
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      selector: { [rolloutLabel]: `svc-${i}`, [revisionLabel]: '5c8d7f9b64' },
      clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
      clusterIPs: [`10.96.${(i >> 8) & 255}.${i & 255}`],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };
}

export function apiServerPod(i: number, replica = 0): Json {
  const template = podTemplate(i);
  const labels = {
    ...(template.metadata as { labels: Json }).labels,
    [rolloutLabel]: `svc-${i}`,
    [revisionLabel]: '5c8d7f9b64',
  };
  const name = `svc-${i}-5c8d7f9b64-${replica}x${String(i).padStart(4, '0')}`;
  const ready = { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: time };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `svc-${i}-5c8d7f9b64-`,
      namespace: ns(i),
      uid: uid(`pod${replica}`, i),
      resourceVersion: rv(i),
      creationTimestamp: time,
      labels,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `svc-${i}-5c8d7f9b64`, uid: uid('rs', i), controller: true },
      ],
      managedFields: managedFields('kube-controller-manager', { 'f:containers': {} }, { 'f:conditions': {} }),
    },
    spec: {
      ...(template.spec as Json),
      nodeName: `node-${i % 3}`,
      serviceAccountName: 'default',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [ready, { ...ready, type: 'ContainersReady' }, { ...ready, type: 'PodScheduled' }],
      hostIP: '172.18.0.2',
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
      startTime: time,
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: (template.spec as { containers: { image: string }[] }).containers[0]!.image,
          imageID: `registry.example.com/shop/svc-${i % 50}@sha256:${'ab'.repeat(32)}`,
          containerID: `containerd://${String(i).padStart(64, '0')}`,
          started: true,
          state: { running: { startedAt: time } },
        },
      ],
      qosClass: 'Burstable',
    },
  };
}

export function apiServerPodDisruptionBudget(i: number): Json {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: `svc-${i}`,
      namespace: ns(i),
      uid: uid('pdb', i),
      resourceVersion: rv(i),
      generation: 1,
      creationTimestamp: time,
      labels: { [rolloutLabel]: `svc-${i}` },
      ownerReferences: ownedByRollout(i),
      managedFields: managedFields('sluice', { 'f:maxUnavailable': {}, 'f:selector': {} }, { 'f:currentHealthy': {} }),
    },
    spec: { maxUnavailable: 1, selector: { matchLabels: { [rolloutLabel]: `svc-${i}` } } },
    status: {
      observedGeneration: 1,
      disruptionsAllowed: 1,
      currentHealthy: 4,
      desiredHealthy: 3,
      expectedPods: 4,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', lastTransitionTime: time }],
    },
  };
}

export function apiServerAutoscaler(i: number): Json {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: `svc-${i}`,
      namespace: ns(i),
      uid: uid('hpa', i),
      resourceVersion: rv(i),
      creationTimestamp: time,
      managedFields: managedFields('kubectl-client-side-apply', { 'f:metrics': {} }, { 'f:currentMetrics': {} }),
    },
    spec: {
      scaleTargetRef: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: `svc-${i}` },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    },
    status: {
      currentReplicas: 4,
      desiredReplicas: 4,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 35 } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', lastTransitionTime: time }],
    },
  };
}

export function apiServerRollout(i: number): Json {
  const spec = {
    workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `svc-${i}` },
    strategy: { canary: { steps: [{ setWeight: 25 }, { setWeight: 50 }, { setWeight: 75 }] } },
  };
  const applied = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: `svc-${i}`, namespace: ns(i) },
    spec,
  };
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: `svc-${i}`,
      namespace: ns(i),
      uid: uid('rollout', i),
      resourceVersion: rv(i),
      generation: 1,
      creationTimestamp: time,
      finalizers: ['sluice.dev/handover'],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) + '\n' },
      managedFields: managedFields(
        'kubectl-client-side-apply',
        { 'f:strategy': {}, 'f:workloadRef': {} },
        {
          'f:phase': {},
          'f:stableRevision': {},
        },
      ),
    },
    spec,
    status: {
      observedGeneration: 1,
      phase: 'Healthy',
      stableRevision: '5c8d7f9b64',
      canaryRevision: '5c8d7f9b64',
      currentStepIndex: 3,
      replicas: 4,
      readyReplicas: 4,
      weights: { canary: 0 },
      conditions: [condition('Progressing', 'RolloutCompleted', 'revision 5c8d7f9b64 is stable')],
    },
  };
}
