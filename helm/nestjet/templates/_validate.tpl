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
