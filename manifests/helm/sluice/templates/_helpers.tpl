{{/*
Helpers shared by the templates. The objects are those of manifests/ (the kustomize install), with its names and
labels, so that the chart and `kubectl apply -k` install the same thing; the why of each object and each rule is
in the comments of its file there.
*/}}

{{/* The controller's namespace: the value, else sluice-system (cluster scope) or the release's (namespace scope). */}}
{{- define "sluice.namespace" -}}
{{- .Values.namespace | default (eq .Values.scope "cluster" | ternary "sluice-system" .Release.Namespace) -}}
{{- end }}

{{/*
An object's name with the install's nameSuffix: (dict "root" $ "name" "sluice-routers"), and "clusterScoped" true
for a ClusterRole or ClusterRoleBinding. In the namespace scope every team installs its own controller, so without
a suffix those take the namespace's name as theirs: two installs with fixed names would fail on helm's ownership
check, or with --take-ownership rebind the first team's ClusterRoleBinding to the second team's ServiceAccount.
*/}}
{{- define "sluice.name" -}}
{{- $suffix := .root.Values.nameSuffix -}}
{{- if and .clusterScoped (eq .root.Values.scope "namespace") (not $suffix) -}}
{{- $suffix = printf "-%s" (include "sluice.namespace" .root) -}}
{{- end -}}
{{- printf "%s%s" .name $suffix -}}
{{- end }}

{{/* The labels of every object but the Namespace; the controller's own objects add their component. */}}
{{- define "sluice.labels" -}}
app.kubernetes.io/name: sluice
app.kubernetes.io/part-of: sluice
{{- end }}

{{/*
What selects the controller's pods: its Deployment, Service, PodDisruptionBudget and NetworkPolicy. The instance
label is this install's Deployment name (sluice<suffix>), as manifests/instance-label.yaml sets it in a kustomize
overlay: without it two installs in one namespace select each other's pods (a Service sending dashboard users to
the other controller, each pod under two PodDisruptionBudgets, which makes evictions fail).
*/}}
{{- /*
The Deployment's own selector. It is immutable, so without a suffix it stays what 0.1 installed (the default install
upgrades in place); with one it adds the instance label, as manifests/instance-label.yaml does in an overlay.
*/ -}}
{{- define "sluice.deploymentSelector" -}}
{{- if .Values.nameSuffix -}}
{{ include "sluice.selectorLabels" . }}
{{- else -}}
app.kubernetes.io/name: sluice
app.kubernetes.io/component: controller
{{- end }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: sluice
app.kubernetes.io/component: controller
app.kubernetes.io/instance: {{ include "sluice.name" (dict "root" . "name" "sluice") }}
{{- end }}

{{/*
metadata: of an object, (dict "root" $ "name" "sluice" "namespaced" true "component" true): the suffixed name,
the controller's namespace for a namespaced kind, and the labels (with app.kubernetes.io/component: controller for
the controller's own objects).
*/}}
{{- define "sluice.metadata" -}}
metadata:
  name: {{ include "sluice.name" . }}
  {{- if .namespaced }}
  namespace: {{ include "sluice.namespace" .root }}
  {{- end }}
  labels:
    {{- include "sluice.labels" .root | nindent 4 }}
    {{- if .component }}
    app.kubernetes.io/component: controller
    {{- end }}
{{- end }}

{{/*
A grant: a Role or ClusterRole with the given rules (YAML text), and its binding to the controller's
ServiceAccount. (dict "root" $ "kind" "ClusterRole" "name" "sluice-routers" "rules" $rulesText)
*/}}
{{- define "sluice.grant" -}}
{{- $namespaced := eq .kind "Role" -}}
{{- $object := dict "root" .root "name" .name "namespaced" $namespaced "clusterScoped" (not $namespaced) -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
{{ include "sluice.metadata" $object }}
rules:
{{ .rules | trim | indent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}Binding
{{ include "sluice.metadata" $object }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .kind }}
  name: {{ include "sluice.name" $object }}
subjects:
  - kind: ServiceAccount
    name: {{ include "sluice.name" (dict "root" .root "name" "sluice") }}
    namespace: {{ include "sluice.namespace" .root }}
{{- end }}

{{/* Role in the namespace scope, ClusterRole in the cluster scope: the kind of the controller's main grants. */}}
{{- define "sluice.roleKind" -}}
{{- eq .Values.scope "cluster" | ternary "ClusterRole" "Role" -}}
{{- end }}

{{/*
The flags and variables that extraArgs and extraEnv may not set, refused by name before anything renders. The
controller takes a repeated flag's last value, and the kubelet a repeated variable's last entry, so without this an
extra setting would silently undo one the chart's safety rests on: one leader (--leader-elect), on the Lease its
Role grants (--leader-election-id, --leader-election-namespace, --instance-id), each replica under its own name
(POD_NAME), in its own namespace (--namespace, POD_NAMESPACE); or set what a value of the chart sets, past the
schema's checks; or put a token in plain text in the Deployment and the process list.
*/}}
{{- define "sluice.checkExtras" -}}
{{- $owned := dict
  "--leader-elect" "the chart always elects a leader"
  "--leader-election-id" "the Lease is the one its Role grants: set instanceId"
  "--leader-election-namespace" "the Lease is in the controller's namespace: set namespace"
  "--instance-id" "set instanceId, which also names the Lease its Role grants"
  "--namespace" "set scope"
  "--pod-name" "each replica's identity in the Lease is its pod's name"
  "--dashboard-actions" "set dashboard.actions, which also grants the rights the actions need"
  "--analysis-allowed-hosts" "set analysisAllowedHosts"
  "--unleash-url" "set unleash.url"
  "--unleash-project" "set unleash.project"
  "--unleash-environment" "set unleash.environment"
  "--unleash-tenancy" "set unleash.tenancy"
  "--unleash-admin-token" "a token only ever comes from a Secret: set unleash.adminTokenSecret"
  "--unleash-client-token" "a token only ever comes from a Secret: set unleash.clientTokenSecret"
-}}
{{- range .Values.extraArgs }}
{{- $flag := regexReplaceAll "=.*$" . "" }}
{{- with get $owned $flag }}
{{- fail (printf "extraArgs: %s is not accepted here: %s" $flag .) }}
{{- end }}
{{- end }}
{{- $ownedEnv := dict
  "SLUICE_LEADER_ELECT" "the chart always elects a leader"
  "SLUICE_LEADER_ELECTION_ID" "the Lease is the one its Role grants: set instanceId"
  "SLUICE_LEADER_ELECTION_NAMESPACE" "the Lease is in the controller's namespace: set namespace"
  "SLUICE_INSTANCE_ID" "set instanceId, which also names the Lease its Role grants"
  "SLUICE_NAMESPACE" "set scope"
  "POD_NAME" "each replica's identity in the Lease is its pod's name"
  "POD_NAMESPACE" "the chart sets it from the pod"
  "SLUICE_DASHBOARD_ACTIONS" "set dashboard.actions, which also grants the rights the actions need"
  "SLUICE_ANALYSIS_ALLOWED_HOSTS" "set analysisAllowedHosts"
  "SLUICE_UNLEASH_URL" "set unleash.url"
  "SLUICE_UNLEASH_PROJECT" "set unleash.project"
  "SLUICE_UNLEASH_ENVIRONMENT" "set unleash.environment"
  "SLUICE_UNLEASH_TENANCY" "set unleash.tenancy"
  "SLUICE_UNLEASH_ADMIN_TOKEN" "a token only ever comes from a Secret: set unleash.adminTokenSecret"
  "SLUICE_UNLEASH_CLIENT_TOKEN" "a token only ever comes from a Secret: set unleash.clientTokenSecret"
-}}
{{- range .Values.extraEnv }}
{{- $name := .name }}
{{- with get $ownedEnv $name }}
{{- fail (printf "extraEnv: %s is not accepted here: %s" $name .) }}
{{- end }}
{{- end }}
{{- end }}
