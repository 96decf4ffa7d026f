{{/*
Pod spec shared by producer and consumer:
include "nestjet.podSpec" (dict "ctx" $ "component" "consumer" "values" .Values.consumer "script" "..."
  "env" (list ...) "dlq" <also connect as the dlq NATS user> "volumes" (list ...) "volumeMounts" (list ...)
  "user" <NATS user, default: the component> "waitForTopology" <init container that waits for the provision>)
The pod connects to NATS as the NATS user named like its component unless "user" says otherwise.
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
    {{- include "nestjet.containerEnv" . | nindent 4 }}
    {{- include "nestjet.probes" $ctx | nindent 4 }}
    {{- with $v.preStopSleepSeconds }}
    lifecycle:
      preStop:
        exec:
          command: ["sleep", {{ . | quote }}]
    {{- end }}
    securityContext:
      {{- toYaml $ctx.Values.containerSecurityContext | nindent 6 }}
    resources:
      {{- toYaml $v.resources | nindent 6 }}
    {{- include "nestjet.containerMounts" . | nindent 4 }}
{{- if .waitForTopology }}
initContainers:
  # Holds the worker until the provision has created its streams and durables.
  - name: wait-for-topology
    image: {{ include "nestjet.image" $ctx }}
    imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
    args: ["dist/apps/consumer/src/wait-for-topology.js"]
    {{- include "nestjet.containerEnv" . | nindent 4 }}
    securityContext:
      {{- toYaml $ctx.Values.containerSecurityContext | nindent 6 }}
    resources:
      {{- toYaml $v.resources | nindent 6 }}
    {{- include "nestjet.containerMounts" . | nindent 4 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- $nats := dict "ctx" $ctx "user" (.user | default .component) "dlq" .dlq }}
  {{- with (include "nestjet.natsVolumes" $nats) }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with .volumes }}
  {{- toYaml . | nindent 2 }}
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

{{/* envFrom and env of an app container (podSpec's dict). */}}
{{- define "nestjet.containerEnv" -}}
{{- $ctx := .ctx }}
{{- $v := .values }}
{{- $nats := dict "ctx" $ctx "user" (.user | default .component) "dlq" .dlq -}}
envFrom:
  - configMapRef:
      name: {{ include "nestjet.fullname" $ctx }}
env:
  - name: PORT
    value: {{ $v.port | quote }}
  {{- toYaml .env | nindent 2 }}
  {{- with (include "nestjet.natsEnv" $nats) }}
  {{- . | trim | nindent 2 }}
  {{- end }}
  {{- include "nestjet.otelEnv" (list $ctx .component) | trim | nindent 2 }}
  {{- with $v.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* volumeMounts of an app container (podSpec's dict). */}}
{{- define "nestjet.containerMounts" -}}
{{- $nats := dict "ctx" .ctx "user" (.user | default .component) "dlq" .dlq -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- with (include "nestjet.natsVolumeMounts" $nats) }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with .volumeMounts }}
  {{- toYaml . | nindent 2 }}
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
