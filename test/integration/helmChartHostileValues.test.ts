/**
 * The Helm chart under values a platform team gets wrong or a tenant chooses on purpose (review of issue 16's
 * chart). Each story holds the chart to one promise: what helm accepts, the API server and the controller accept
 * too (a value the schema takes and the controller refuses is a crash loop found only after `helm upgrade`); the
 * extra flags and variables add settings but cannot undo the chart's safety (one leader, on the Lease its Role
 * grants, in its own namespace); no token ends up in plain text in the Deployment; two installs do not take each
 * other's cluster-wide objects; an uninstall or upgrade does not delete what it did not create.
 *
 * Each story accepts either fix: helm refusing the value with its name, or a render that keeps the promise.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigHost, type ControllerConfig } from '../../controller/src/config.ts';
import { chartDir, helm, valuesFile } from './helmChart.ts';
import { parseObjects, type KubeObject } from './installation.ts';
import { containerOf, one, ofKind, rulesOf } from './renderedManifests.ts';

type Values = Record<string, unknown>;

/** helm template of the chart: the objects, or helm's refusal. */
async function attempt(values: Values, namespace = 'default') {
  const r = await helm(['template', 'sluice', chartDir, '-f', valuesFile(values), '--namespace', namespace]);
  return r.code === 0 ? { objects: parseObjects(r.stdout), stdout: r.stdout } : { refused: r.stderr };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

/**
 * The environment the kubelet gives the controller's container: for a name listed twice the last entry wins
 * (the API server only warns), fieldRefs resolve to the pod's name and namespace, Secrets to a placeholder.
 */
function podEnvironment(env: EnvVar[], pod: { name: string; namespace: string }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    out[e.name] =
      e.value ??
      (field === 'metadata.name'
        ? pod.name
        : field === 'metadata.namespace'
          ? pod.namespace
          : e.valueFrom?.secretKeyRef !== undefined
            ? 'token-from-a-secret'
            : '');
  }
  return out;
}

/** What the controller of the rendered Deployment starts with: its flags after $(VAR) expansion, and its env. */
function startedConfig(objects: KubeObject[]): { config: ControllerConfig; env: EnvVar[]; replicas: number } {
  const deployment = one(objects, 'Deployment');
  const pod = { name: 'sluice-5d8c7-abcde', namespace: deployment.metadata.namespace! };
  const container = containerOf(deployment);
  const env = (container.env ?? []) as EnvVar[];
  const vars = podEnvironment(env, pod);
  const args = (container.args ?? []).map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => vars[v] ?? ''));
  // In a pod, the controller reads its namespace from the service account's mount (machineHost).
  const host: ConfigHost = { podNamespace: () => pod.namespace, hostname: () => pod.name, randomSuffix: () => 'x1' };
  const outcome = loadConfig(args, vars, host);
  if (outcome.kind !== 'run') throw new Error('the controller printed its help');
  return { config: outcome.config, env, replicas: (deployment.spec as { replicas: number }).replicas };
}

const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

describe('the Helm chart, given values the controller or the API server would refuse', () => {
  // Defect: values.schema.json takes any nameSuffix of [-a-z0-9.]*, of any length. A Service name is a DNS-1035
  // label (no dot, at most 63) and every name must end with a letter or digit, so `helm install` renders fine
  // and then fails half-way at the API server (or, with --atomic, rolls back) instead of naming the value.
  it.each<[string, string]>([
    ['a dot (nameSuffix: .team)', '.team'],
    ['a trailing dash (nameSuffix: -)', '-'],
    ['58 characters, so the Service name is 64', `-${'a'.repeat(57)}`],
  ])('given a name suffix with %s, then helm refuses it naming nameSuffix, or every name is valid', async (_, s) => {
    const r = await attempt({ nameSuffix: s });
    if ('refused' in r) {
      expect(r.refused).toMatch(/nameSuffix/);
      return;
    }
    for (const o of r.objects) {
      if (o.kind === 'CustomResourceDefinition') continue;
      expect(o.metadata.name, `${o.kind} name`).toMatch(o.kind === 'Service' ? dnsLabel1035 : dnsSubdomain);
    }
  });

  // Defect: the schema accepts values that the controller's own settings refuse at start (ConfigError, exit 1). The
  // install renders, helm upgrade --wait times out on pods in CrashLoopBackOff, and the message is in a pod's log
  // rather than in helm's answer naming the value.
  it.each<[string, Values, RegExp]>([
    // The control: values the controller takes pass this story as it stands.
    [
      'valid Unleash and analysis settings (control)',
      {
        unleash: { url: 'http://unleash:4242', project: 'shop' },
        analysisAllowedHosts: ['prometheus.monitoring:9090'],
      },
      /unleash|analysisAllowedHosts/,
    ],
    ['an Unleash URL with a query', { unleash: { url: 'http://unleash:4242/?project=shop' } }, /unleash\/url/],
    ['an Unleash project with a space', { unleash: { project: 'my shop' } }, /unleash\/project/],
    [
      'a tenancy entry for a namespace name that cannot exist',
      { unleash: { tenancy: { namespaces: { Shop: { projects: ['shop'], environments: ['production'] } } } } },
      /tenancy/,
    ],
    [
      'a tenancy entry with an empty project name',
      { unleash: { tenancy: { namespaces: { shop: { projects: [''], environments: ['production'] } } } } },
      /tenancy/,
    ],
    [
      'an analysis host written as a URL',
      { analysisAllowedHosts: ['http://prometheus.monitoring:9090'] },
      /analysisAllowedHosts/,
    ],
    ['the admin token as an extra flag', { extraArgs: ['--unleash-admin-token=s3cret'] }, /extraArgs/],
  ])('given %s, then helm refuses it naming the value, or the controller starts', async (_, values, path) => {
    const r = await attempt(values);
    if ('refused' in r) {
      expect(r.refused).toMatch(path);
      return;
    }
    expect(() => startedConfig(r.objects)).not.toThrow();
  });
});

describe('the Helm chart, given extra flags and variables that would undo its safety', () => {
  // Defect: extraArgs come after the chart's own flags and "a repeated flag's last value wins" (config.ts), and
  // extraEnv after its variables, where the kubelet also keeps the last. So extraArgs/extraEnv can switch off what
  // the chart's safety rests on: --leader-elect=false with 2 replicas is two controllers reconciling the same
  // Rollouts at once (dueling ReplicaSet scales and route weights); a POD_NAME of their own gives both replicas one
  // identity in the Lease, so both believe they lead; a Lease name, Lease namespace or instance id other than the
  // one the leader-election Role grants is a controller that is Ready but never leads (403 on every renewal), so no
  // Rollout progresses or aborts; --namespace= turns a namespace-scope controller cluster-wide on a Role's rights.
  it.each<[string, Values, string?]>([
    // The controls: the chart's own settings keep every promise below, in either scope.
    ['no extra flags (control)', {}],
    ['an instance id and a log level (control)', { instanceId: 'team-b', extraArgs: ['--log-level=debug'] }],
    ['the namespace scope (control)', { scope: 'namespace' }, 'shop'],
    ['--leader-elect=false with 2 replicas', { extraArgs: ['--leader-elect=false'] }],
    ['a fixed POD_NAME', { extraEnv: [{ name: 'POD_NAME', value: 'sluice' }] }],
    ['a Lease name of its own', { extraArgs: ['--leader-election-id=sluice-leader'] }],
    ['a Lease in another namespace', { extraArgs: ['--leader-election-namespace=kube-system'] }],
    ['an instance id as an extra flag', { extraArgs: ['--instance-id=team-b'] }],
    ['the namespace scope widened by --namespace=', { scope: 'namespace', extraArgs: ['--namespace='] }, 'shop'],
  ])(
    'given %s, then helm refuses it, or the controller still elects one leader on its granted Lease',
    async (_, values, ns) => {
      const r = await attempt(values, ns);
      if ('refused' in r) {
        expect(r.refused).toMatch(/extraArgs|extraEnv/);
        return;
      }
      const { config, env, replicas } = startedConfig(r.objects);
      if (replicas > 1) expect(config.leaderElect, 'leader election with several replicas').toBe(true);
      const identity = env.filter((e) => e.name === 'POD_NAME').at(-1);
      expect(identity?.valueFrom?.fieldRef?.fieldPath, "each replica's own name in the Lease").toBe('metadata.name');
      const leaseRole = ofKind(r.objects, 'Role').find((o) => o.metadata.name.startsWith('sluice-leader-election'))!;
      expect(config.leaderElectionNamespace, 'the Lease where its Role is').toBe(leaseRole.metadata.namespace);
      expect(rulesOf(leaseRole)[1]!.resourceNames, 'the Lease its Role grants').toEqual([config.leaderElectionId]);
      if (values['scope'] === 'namespace') expect(config.namespace, 'the namespace its Role covers').toBe(ns);
    },
  );
});

describe('the Helm chart, given a token where values.yaml says "only ever from a Secret"', () => {
  // Defect: the tokens are meant to come only from a Secret (values.yaml: "a flag would show them in the process
  // list"), but extraEnv takes a plain `value`, extraArgs takes --unleash-client-token=<token> (the controller
  // accepts that flag), and unleash.url takes a query string. Each puts the token in the Deployment (readable by
  // whoever may read Deployments in the namespace), in the release record (`helm get values`) and, for flags, in
  // the process list, with no error anywhere.
  it.each<[string, Values]>([
    ['the admin token as a plain variable', { extraEnv: [{ name: 'SLUICE_UNLEASH_ADMIN_TOKEN', value: 's3cret' }] }],
    ['the client token as an extra flag', { extraArgs: ['--unleash-client-token=s3cret'] }],
    ['a token in the Unleash URL', { unleash: { url: 'http://unleash:4242/api?token=s3cret' } }],
  ])('given %s, then helm refuses it, or the token is nowhere in the rendered objects', async (_, values) => {
    const r = await attempt(values);
    if ('refused' in r) return;
    expect(r.stdout).not.toContain('s3cret');
  });
});

describe('the Helm chart, installed twice or uninstalled', () => {
  // Defect: in the namespace scope every team installs its own controller (`helm install -n shop`), but the
  // cluster-wide objects of that scope (ClusterRole and ClusterRoleBinding sluice-clusteranalysistemplates-reader,
  // and sluice-dashboard-actions) have fixed names unless nameSuffix is set by hand. The second team's install
  // fails on helm's ownership check, and with --take-ownership it rebinds the ClusterRoleBinding to its own
  // ServiceAccount, so the first team's controller loses its rights to read ClusterAnalysisTemplates (403).
  it('given the namespace scope in shop and in cart with default values, then their cluster-wide objects have different names', async () => {
    const values = { scope: 'namespace', dashboard: { actions: true } };
    const [shop, cart] = [await attempt(values, 'shop'), await attempt(values, 'cart')];
    if ('refused' in shop || 'refused' in cart) return; // refusing a namespace install without a suffix also fixes it
    const clusterWide = (objects: KubeObject[]) =>
      objects
        .filter((o) => o.metadata.namespace === undefined && o.kind !== 'CustomResourceDefinition')
        .map((o) => `${o.kind}/${o.metadata.name}`);
    const shared = clusterWide(shop.objects).filter((k) => clusterWide(cart.objects).includes(k));
    expect(shared).toEqual([]);
  });

  // Defect: nameSuffix and instanceId are how two installs share a cluster (values.yaml), but every install's pods
  // carry the same two labels and its Service, PodDisruptionBudget, NetworkPolicy and Deployment select by exactly
  // those. Two installs in one namespace (the default sluice-system, the second with createNamespace: false) then
  // select each other's pods: install a's Service sends its dashboard users (and their promote and abort clicks) to
  // install b's controller half the time, and each controller pod falls under two PodDisruptionBudgets, which the
  // eviction API refuses outright, so `kubectl drain` of a node running one hangs until someone deletes the pod.
  it("given two installs in sluice-system with their own suffix and instance id, then neither selects the other one's pods", async () => {
    const a = await attempt({ nameSuffix: '-a', instanceId: 'a' });
    const b = await attempt({ nameSuffix: '-b', instanceId: 'b', createNamespace: false });
    if ('refused' in a || 'refused' in b) throw new Error('both installs are documented as valid');
    const podLabels = (objects: KubeObject[]) =>
      (one(objects, 'Deployment').spec as { template: { metadata: { labels: Record<string, string> } } }).template
        .metadata.labels;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const selectors = (objects: KubeObject[]) => ({
      Service: (one(objects, 'Service').spec as { selector: Record<string, string> }).selector,
      PodDisruptionBudget: (
        one(objects, 'PodDisruptionBudget').spec as { selector: { matchLabels: Record<string, string> } }
      ).selector.matchLabels,
      Deployment: (one(objects, 'Deployment').spec as { selector: { matchLabels: Record<string, string> } }).selector
        .matchLabels,
    });
    for (const [kind, selector] of Object.entries(selectors(a.objects)))
      expect(selects(selector, podLabels(b.objects)), `install a's ${kind} selects install b's pods`).toBe(false);
  });

  // Defect: the chart creates sluice-system as a release object, so `helm uninstall` deletes the namespace and
  // everything in it, including the Secret the guide tells users to create there (sluice-unleash, the Unleash
  // admin token); and `helm upgrade --set createNamespace=false` (values.yaml: "false for a namespace that exists
  // already") deletes the namespace with the controller in it. helm's resource-policy keep leaves it in place.
  it('given default values, then the Namespace the chart creates is kept by helm uninstall and upgrade', async () => {
    const r = await attempt({});
    if ('refused' in r) throw new Error(r.refused);
    const namespace = one(r.objects, 'Namespace') as KubeObject & {
      metadata: { annotations?: Record<string, string> };
    };
    expect(namespace.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });
});
