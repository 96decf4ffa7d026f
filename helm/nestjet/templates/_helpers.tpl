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
Name of the bundled NATS release objects, mirroring the official chart's
"nats.fullname" (release name alone when it already contains "nats").
*/}}
{{- define "nestjet.natsFullname" -}}
{{- if .Values.nats.fullnameOverride }}
{{- .Values.nats.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "nats" .Values.nats.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Comma-separated client URLs the apps connect to. */}}
{{- define "nestjet.natsUrl" -}}
{{- if .Values.nats.enabled -}}
nats://{{ include "nestjet.natsFullname" . }}.{{ .Release.Namespace }}.svc.cluster.local:4222
{{- else -}}
{{ join "," .Values.externalNats.urls }}
{{- end }}
{{- end }}

{{/*
host:port of the NATS monitoring endpoint for KEDA. With the bundled cluster it is
the headless service: KEDA then reaches each server as <pod>.<headless-service>
(server_name is the pod name) to read the consumer from its leader.
*/}}
{{- define "nestjet.natsMonitoringEndpoint" -}}
{{- if .Values.nats.enabled -}}
{{ include "nestjet.natsFullname" . }}-headless.{{ .Release.Namespace }}.svc.cluster.local:{{ .Values.nats.config.monitor.port | default 8222 }}
{{- else -}}
{{ .Values.externalNats.monitoringEndpoint }}
{{- end }}
{{- end }}

{{/*
Hook phases of the provision Job. Bundled NATS is created by the same release,
so on first install it does not exist before post-install.
*/}}
{{- define "nestjet.provisionHook" -}}
{{- if .Values.nats.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end }}
{{- end }}

{{/* Checks across values that JSON schema cannot express; fail with a message. */}}
{{- define "nestjet.validate" -}}
{{- $c := .Values.consumer }}
{{- if and $c.keda.enabled $c.hpa.enabled }}
{{- fail "consumer.keda.enabled and consumer.hpa.enabled are mutually exclusive: two autoscalers would fight over the consumer's replicas" }}
{{- end }}
{{- if le (int $c.terminationGracePeriodSeconds) (div (int $c.shutdownTimeoutMs) 1000) }}
{{- fail (printf "consumer.terminationGracePeriodSeconds (%d) must be longer than consumer.shutdownTimeoutMs (%d ms): Kubernetes would SIGKILL pods in the middle of their drain" (int $c.terminationGracePeriodSeconds) (int $c.shutdownTimeoutMs)) }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled .Values.metrics.podMonitor.enabled }}
{{- fail "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled: pick one, both would scrape every pod twice" }}
{{- end }}
{{- if and .Values.nats.enabled .Values.nats.config.cluster.enabled (gt (int .Values.topology.streamReplicas) (int .Values.nats.config.cluster.replicas)) }}
{{- fail (printf "topology.streamReplicas (%d) exceeds nats.config.cluster.replicas (%d)" (int .Values.topology.streamReplicas) (int .Values.nats.config.cluster.replicas)) }}
{{- end }}
{{- if and .Values.nats.enabled (not .Values.nats.config.cluster.enabled) (gt (int .Values.topology.streamReplicas) 1) }}
{{- fail "topology.streamReplicas > 1 needs nats.config.cluster.enabled" }}
{{- end }}
{{- if and (not .Values.nats.enabled) (empty .Values.externalNats.urls) }}
{{- fail "externalNats.urls is empty: set it, or nats.enabled=true for the bundled NATS" }}
{{- end }}
{{- if and (not .Values.nats.enabled) (ne .Values.externalNats.auth.type "none") (empty .Values.externalNats.auth.existingSecret) }}
{{- fail (printf "externalNats.auth.type=%s needs externalNats.auth.existingSecret" .Values.externalNats.auth.type) }}
{{- end }}
{{- if and $c.keda.enabled (gt (int $c.keda.minReplicaCount) (int $c.keda.maxReplicaCount)) }}
{{- fail "consumer.keda.minReplicaCount must not exceed consumer.keda.maxReplicaCount" }}
{{- end }}
{{- end }}

{{/* Env of every process: NATS connection and topology (from the ConfigMap/Secret). */}}
{{- define "nestjet.natsEnv" -}}
{{- $auth := .Values.externalNats.auth }}
{{- if not .Values.nats.enabled }}
{{- if eq $auth.type "creds" }}
- name: NATS_CREDS_FILE
  value: /etc/nestjet/nats/{{ $auth.credsKey }}
{{- else if eq $auth.type "userPassword" }}
- name: NATS_USER
  valueFrom: {secretKeyRef: {name: {{ $auth.existingSecret | quote }}, key: {{ $auth.userKey | quote }}}}
- name: NATS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ $auth.existingSecret | quote }}, key: {{ $auth.passwordKey | quote }}}}
{{- else if eq $auth.type "token" }}
- name: NATS_TOKEN
  valueFrom: {secretKeyRef: {name: {{ $auth.existingSecret | quote }}, key: {{ $auth.tokenKey | quote }}}}
{{- end }}
{{- if .Values.externalNats.tls.ca.secretName }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/nestjet/nats-ca/{{ .Values.externalNats.tls.ca.key }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes for NATS credentials and CA; mounts in "nestjet.natsVolumeMounts". */}}
{{- define "nestjet.natsVolumes" -}}
{{- if not .Values.nats.enabled }}
{{- if eq .Values.externalNats.auth.type "creds" }}
- name: nats-creds
  secret:
    secretName: {{ .Values.externalNats.auth.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.externalNats.auth.credsKey }}
        path: {{ .Values.externalNats.auth.credsKey }}
{{- end }}
{{- if .Values.externalNats.tls.ca.secretName }}
- name: nats-ca
  secret:
    secretName: {{ .Values.externalNats.tls.ca.secretName }}
    defaultMode: 0444
    items:
      - key: {{ .Values.externalNats.tls.ca.key }}
        path: {{ .Values.externalNats.tls.ca.key }}
{{- end }}
{{- end }}
{{- end }}

{{- define "nestjet.natsVolumeMounts" -}}
{{- if not .Values.nats.enabled }}
{{- if eq .Values.externalNats.auth.type "creds" }}
- name: nats-creds
  mountPath: /etc/nestjet/nats
  readOnly: true
{{- end }}
{{- if .Values.externalNats.tls.ca.secretName }}
- name: nats-ca
  mountPath: /etc/nestjet/nats-ca
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* OpenTelemetry env for one service: include "nestjet.otelEnv" (list $ "producer") */}}
{{- define "nestjet.otelEnv" -}}
{{- $ctx := index . 0 }}
{{- $t := $ctx.Values.telemetry }}
- name: OTEL_SERVICE_NAME
  value: nestjet-{{ index . 1 }}
- name: POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: POD_NAMESPACE
  valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),service.version=%s%s" $ctx.Chart.AppVersion (ternary (printf ",%s" $t.resourceAttributes) "" (ne $t.resourceAttributes "")) | quote }}
{{- if $t.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $t.otlpEndpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $t.otlpProtocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $t.tracesSampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $t.tracesSamplerArg | quote }}
{{- else }}
- name: OTEL_SDK_DISABLED
  value: "true"
{{- end }}
{{- end }}

{{/* Probes on the app's HTTP port. */}}
{{- define "nestjet.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end }}

{{/* ConfigMap data shared by every process. */}}
{{- define "nestjet.sharedEnvData" -}}
NATS_URL: {{ include "nestjet.natsUrl" . | quote }}
STREAM_REPLICAS: {{ .Values.topology.streamReplicas | quote }}
STREAM_MAX_AGE_MS: {{ .Values.topology.streamMaxAgeMs | int64 | quote }}
STREAM_MAX_BYTES: {{ .Values.topology.streamMaxBytes | int64 | quote }}
STREAM_DUPLICATE_WINDOW_MS: {{ .Values.topology.streamDuplicateWindowMs | int64 | quote }}
CONSUMER_ACK_WAIT_MS: {{ .Values.topology.consumerAckWaitMs | int64 | quote }}
CONSUMER_MAX_DELIVER: {{ .Values.topology.consumerMaxDeliver | quote }}
CONSUMER_MAX_ACK_PENDING: {{ .Values.topology.consumerMaxAckPending | quote }}
CONSUMER_RETRY_DELAYS_MS: {{ join "," .Values.topology.consumerRetryDelaysMs | quote }}
LOG_LEVEL: {{ .Values.logLevel | quote }}
AUTO_PROVISION: "false"
{{- end }}

{{/*
Pod spec shared by producer and consumer:
include "nestjet.podSpec" (dict "ctx" $ "component" "consumer" "values" .Values.consumer "script" "..." "env" (list ...))
*/}}
{{- define "nestjet.podSpec" -}}
{{- $ctx := .ctx }}
{{- $v := .values }}
serviceAccountName: {{ include "nestjet.serviceAccountName" $ctx }}
automountServiceAccountToken: false
terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
{{- with $ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
securityContext:
  {{- toYaml $ctx.Values.podSecurityContext | nindent 2 }}
containers:
  - name: {{ .component }}
    image: {{ include "nestjet.image" $ctx }}
    imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
    # The image's ENTRYPOINT is tini + node; args picks the process.
    args: [{{ .script | quote }}]
    ports:
      - name: http
        containerPort: {{ $v.port }}
        protocol: TCP
    envFrom:
      - configMapRef:
          name: {{ include "nestjet.fullname" $ctx }}
    env:
      - name: PORT
        value: {{ $v.port | quote }}
      {{- toYaml .env | nindent 6 }}
      {{- with (include "nestjet.natsEnv" $ctx) }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- include "nestjet.otelEnv" (list $ctx .component) | nindent 6 }}
      {{- with $v.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- include "nestjet.probes" $ctx | nindent 4 }}
    securityContext:
      {{- toYaml $ctx.Values.containerSecurityContext | nindent 6 }}
    resources:
      {{- toYaml $v.resources | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- with (include "nestjet.natsVolumeMounts" $ctx) }}
      {{- . | nindent 6 }}
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- with (include "nestjet.natsVolumes" $ctx) }}
  {{- . | nindent 2 }}
  {{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
