{{/*
Helpers shared by the templates. The objects are those of manifests/ (the kustomize install), with its names and
labels, so that the chart and `kubectl apply -k` install the same thing; the why of each object and each rule is
in the comments of its file there.
*/}}

{{/* The controller's namespace: the value, else sluice-system (cluster scope) or the release's (namespace scope). */}}
{{- define "sluice.namespace" -}}
{{- .Values.namespace | default (eq .Values.scope "cluster" | ternary "sluice-system" .Release.Namespace) -}}
{{- end }}

{{/* An object's name with the install's nameSuffix: (dict "root" $ "name" "sluice-routers"). */}}
{{- define "sluice.name" -}}
{{- printf "%s%s" .name .root.Values.nameSuffix -}}
{{- end }}

{{/* The labels of every object but the Namespace; the controller's own objects add their component. */}}
{{- define "sluice.labels" -}}
app.kubernetes.io/name: sluice
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* What selects the controller's pods: its Deployment, Service, PodDisruptionBudget and NetworkPolicy. */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: sluice
app.kubernetes.io/component: controller
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
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
{{ include "sluice.metadata" (dict "root" .root "name" .name "namespaced" $namespaced) }}
rules:
{{ .rules | trim | indent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}Binding
{{ include "sluice.metadata" (dict "root" .root "name" .name "namespaced" $namespaced) }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .kind }}
  name: {{ include "sluice.name" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "sluice.name" (dict "root" .root "name" "sluice") }}
    namespace: {{ include "sluice.namespace" .root }}
{{- end }}

{{/* Role in the namespace scope, ClusterRole in the cluster scope: the kind of the controller's main grants. */}}
{{- define "sluice.roleKind" -}}
{{- eq .Values.scope "cluster" | ternary "ClusterRole" "Role" -}}
{{- end }}
