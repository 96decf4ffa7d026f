{{/*
Partials, one concern per file (the layout of the official nats chart):
  _helpers.tpl   names, labels, service account, image, NetworkPolicy peers
  _nats.tpl      where NATS is, its users, how a pod authenticates to it (env, volumes)
  _auth.tpl      REST authentication of the producer: API key file, generated key
  _config.tpl    settings shared by every process; hook phases of the provision Job
  _pod.tpl       pod spec of the producer and consumer Deployments (probes, OTel env)
  _validate.tpl  checks across values that values.schema.json cannot express
*/}}

{{/*
Names. Truncated at 63 characters because some name fields follow DNS rules.
*/}}
{{- define "nestjet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "nestjet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "nestjet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "nestjet.labels" -}}
helm.sh/chart: {{ include "nestjet.chart" . }}
app.kubernetes.io/name: {{ include "nestjet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nestjet
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component: include "nestjet.selectorLabels" (list $ "producer") */}}
{{- define "nestjet.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ include "nestjet.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "nestjet.componentLabels" -}}
{{ include "nestjet.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "nestjet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nestjet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "nestjet.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/*
One NetworkPolicyPeer from {namespaceSelector, podSelector} values (both must
match); both empty: every pod in every namespace.
*/}}
{{- define "nestjet.peer" -}}
{{- if or .namespaceSelector .podSelector }}
{{- with .namespaceSelector }}
namespaceSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .podSelector }}
podSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- else }}
namespaceSelector: {}
{{- end }}
{{- end }}

{{/*
"true" when the DLQ router runs in a Deployment of its own: whenever consumer.dlqRouter.enabled
(consumer.dlqRouter.standalone is no longer read).
*/}}
{{- define "nestjet.dlqRouterStandalone" -}}
{{- /* Always on its own when enabled: the router needs the dlq user, which consumer pods no longer hold. */}}
{{- .Values.consumer.dlqRouter.enabled }}
{{- end }}
