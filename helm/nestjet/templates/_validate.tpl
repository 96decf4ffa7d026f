{{/*
Checks across values that JSON schema cannot express. Every failed check adds a
message; the chart then fails once and lists them all (the validateValues pattern
of the bitnami charts), so one `helm template` shows everything to fix.
*/}}
{{- define "nestjet.validate" -}}
{{- $messages := list }}
{{- $c := .Values.consumer }}
{{- if and $c.keda.enabled $c.hpa.enabled }}
{{- $messages = append $messages "consumer.keda.enabled and consumer.hpa.enabled are mutually exclusive: two autoscalers would fight over the consumer's replicas" }}
{{- end }}
{{- if le (int $c.terminationGracePeriodSeconds) (div (int $c.shutdownTimeoutMs) 1000) }}
{{- $messages = append $messages (printf "consumer.terminationGracePeriodSeconds (%d) must be longer than consumer.shutdownTimeoutMs (%d ms): Kubernetes would SIGKILL pods in the middle of their drain" (int $c.terminationGracePeriodSeconds) (int $c.shutdownTimeoutMs)) }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled .Values.metrics.podMonitor.enabled }}
{{- $messages = append $messages "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled: pick one, both would scrape every pod twice" }}
{{- end }}
{{- if and .Values.nats.enabled .Values.nats.config.cluster.enabled (gt (int .Values.topology.streamReplicas) (int .Values.nats.config.cluster.replicas)) }}
{{- $messages = append $messages (printf "topology.streamReplicas (%d) exceeds nats.config.cluster.replicas (%d)" (int .Values.topology.streamReplicas) (int .Values.nats.config.cluster.replicas)) }}
{{- end }}
{{- if and .Values.nats.enabled (not .Values.nats.config.cluster.enabled) (gt (int .Values.topology.streamReplicas) 1) }}
{{- $messages = append $messages "topology.streamReplicas > 1 needs nats.config.cluster.enabled" }}
{{- end }}
{{- if and (not .Values.nats.enabled) (empty .Values.externalNats.urls) }}
{{- $messages = append $messages "externalNats.urls is empty: set it, or nats.enabled=true for the bundled NATS" }}
{{- end }}
{{- if and (not .Values.nats.enabled) (ne .Values.externalNats.auth.type "none") (empty .Values.externalNats.auth.existingSecret) }}
{{- $messages = append $messages (printf "externalNats.auth.type=%s needs externalNats.auth.existingSecret" .Values.externalNats.auth.type) }}
{{- end }}
{{- if and $c.keda.enabled (gt (int $c.keda.minReplicaCount) (int $c.keda.maxReplicaCount)) }}
{{- $messages = append $messages "consumer.keda.minReplicaCount must not exceed consumer.keda.maxReplicaCount" }}
{{- end }}
{{- $streams := .Values.topology.consumerStreams | default dict }}
{{- range $c.durables }}
{{- if empty (index $streams .) }}
{{- $messages = append $messages (printf "consumer.durables has %s but topology.consumerStreams has no stream for it: set topology.consumerStreams.%s to the stream this durable reads" . .) }}
{{- end }}
{{- end }}
{{- if $messages }}
{{- fail (printf "\nVALUES VALIDATION:\n%s" (join "\n" $messages)) }}
{{- end }}
{{- end }}
