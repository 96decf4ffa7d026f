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
ORDERING_PARTITIONS: {{ .Values.topology.orderingPartitions | int64 | quote }}
ORDERED_PINNED_TIMEOUT_MS: {{ .Values.topology.orderedPinnedTimeoutMs | int64 | quote }}
DLQ_MAX_AGE_MS: {{ .Values.topology.dlqMaxAgeMs | int64 | quote }}
DLQ_MAX_BYTES: {{ .Values.topology.dlqMaxBytes | int64 | quote }}
DLQ_EXTRA_STREAMS: {{ join "," .Values.topology.dlqExtraStreams | quote }}
AUDIT_MAX_AGE_DAYS: {{ .Values.topology.auditMaxAgeDays | int64 | quote }}
AUDIT_MAX_BYTES: {{ .Values.topology.auditMaxBytes | int64 | quote }}
LOG_LEVEL: {{ .Values.logLevel | quote }}
AUTO_PROVISION: "false"
{{- if include "nestjet.natsPlaintextSecret" . }}
NATS_ALLOW_PLAINTEXT_AUTH: "true"
{{- end }}
{{- end }}

{{/*
"true" when pods would send a NATS password or token over a plaintext URL
(nats:// or ws://): the apps refuse that unless NATS_ALLOW_PLAINTEXT_AUTH is set,
which the chart does only with natsAllowPlaintextAuth (validated in _validate.tpl).
*/}}
{{- define "nestjet.natsPlaintextSecret" -}}
{{- $type := include "nestjet.natsAuthType" . }}
{{- if or (eq $type "userPassword") (eq $type "token") }}
{{- range splitList "," (include "nestjet.natsUrl" .) }}
{{- if or (hasPrefix "nats://" .) (hasPrefix "ws://" .) }}true{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Hook phases of the provision Job: with external NATS only. Bundled NATS is
created by the same release, so the Job is a regular object then (provision-hook.yaml).
*/}}
{{- define "nestjet.provisionHook" -}}
{{- if not .Values.nats.enabled -}}
pre-install,pre-upgrade
{{- end }}
{{- end }}

{{/*
TRUST_PROXY of the producer: producer.trustProxy, or with the Ingress on and
nothing set, the private address ranges. Without it every caller behind the
Ingress would share the controller's address, and one anonymous flood would
use up everyone's failed-auth and per-address budget. The private ranges are
safe only because the NetworkPolicy lets nothing but the Ingress controller
(and Prometheus, the helm test, networkPolicy.producerExtraFrom) reach the pods;
_validate.tpl refuses them without it.
*/}}
{{- define "nestjet.trustProxy" -}}
{{- with .Values.producer.trustProxy }}{{ . }}
{{- else }}{{ if .Values.producer.ingress.enabled }}{{ include "nestjet.privateRanges" . }}{{ end }}
{{- end }}
{{- end }}

{{- define "nestjet.privateRanges" -}}
10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7
{{- end }}
