/** Reading the objects that `kubectl kustomize` renders from manifests/: by kind, and the Deployment's pod. */
import type { KubeObject, Rule } from './installation.ts';

export const ofKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
export const one = (objects: KubeObject[], kind: string): KubeObject => {
  const found = ofKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
};

export interface Container {
  command?: string[];
  args?: string[];
  image: string;
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}
export interface PodSpec {
  serviceAccountName: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: Container[];
}
export const podSpecOf = (deployment: KubeObject) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;
export const containerOf = (deployment: KubeObject) => podSpecOf(deployment).containers[0]!;
export const rulesOf = (role: KubeObject) => role.rules as Rule[];
