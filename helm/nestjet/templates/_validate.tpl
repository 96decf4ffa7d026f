{{/*
Checks across values that JSON schema cannot express. Every failed check adds a
message; the chart then fails once and lists them all (the validateValues pattern
of the bitnami charts), so one `helm template` shows everything to fix.
*/}}
{{- define "nestjet.validate" -}}
{{- $messages := list }}
{{- $messages = concat $messages (include "nestjet.validateConsumerGroups" . | fromJsonArray) }}
{{- $p := .Values.producer }}
{{- if le (int $p.terminationGracePeriodSeconds) (int $p.preStopSleepSeconds) }}
{{- $messages = append $messages (printf "producer.terminationGracePeriodSeconds (%d) must be longer than producer.preStopSleepSeconds (%d): the pod would be killed before it stops serving" (int $p.terminationGracePeriodSeconds) (int $p.preStopSleepSeconds)) }}
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
{{- $messages = concat $messages (include "nestjet.validateNatsAuth" . | fromJsonArray) }}
{{- $messages = concat $messages (include "nestjet.validateRestAuth" . | fromJsonArray) }}
{{- if or (lt (int .Values.topology.orderingPartitions) 1) (gt (int .Values.topology.orderingPartitions) 256) }}
{{- $messages = append $messages "topology.orderingPartitions must be 1 to 256" }}
{{- end }}
{{- if $messages }}
{{- fail (printf "\nVALUES VALIDATION:\n%s" (join "\n" $messages)) }}
{{- end }}
{{- end }}

{{/* The consumer groups' Deployments (consumer.*, consumer.groups.<group>.*): a JSON list of messages. */}}
{{- define "nestjet.validateConsumerGroups" -}}
{{- $messages := list }}
{{- $c := .Values.consumer }}
{{- if hasKey $c "durables" }}
{{- $messages = append $messages (printf "consumer.durables was removed: each consumer group of the topology (files/consumer-groups.json: %s) runs in its own Deployment <fullname>-consumer-<group> as the NATS user consumer-<group>, with that group's consumers. Remove consumer.durables; to leave a group to another deployment set consumer.groups.<group>.enabled=false" (include "nestjet.consumerGroupsFile" . | fromJson | toJson)) }}
{{- end }}
{{- $known := keys (include "nestjet.consumerGroupsFile" . | fromJson) | sortAlpha }}
{{- range $name, $_ := $c.groups | default dict }}
{{- if not (has $name $known) }}
{{- $messages = append $messages (printf "consumer.groups.%s: no such consumer group in the topology (files/consumer-groups.json has %s)" $name (join ", " $known)) }}
{{- end }}
{{- end }}
{{- $streams := .Values.topology.consumerStreams | default dict }}
{{- $ordered := .Values.topology.orderedConsumers | default list }}
{{- $partitions := int .Values.topology.orderingPartitions }}
{{- range $group := include "nestjet.consumerGroupNames" . | fromJsonArray }}
{{- $v := include "nestjet.consumerGroupValues" (list $ $group) | fromJson }}
{{- $path := dict }}
{{- range list "keda.enabled" "hpa.enabled" "terminationGracePeriodSeconds" "shutdownTimeoutMs" "keda.minReplicaCount" "keda.maxReplicaCount" }}
{{- $_ := set $path . (include "nestjet.consumerValuePath" (list $ $group .)) }}
{{- end }}
{{- /* A message about shared values names no group, so it is listed once (uniq below). */}}
{{- $which := "" }}
{{- if and $v.keda.enabled $v.hpa.enabled }}
{{- $which = ternary "" (printf " (group %s)" $group) (and (hasPrefix "consumer.keda" (get $path "keda.enabled")) (hasPrefix "consumer.hpa" (get $path "hpa.enabled"))) }}
{{- $messages = append $messages (printf "%s and %s are mutually exclusive: two autoscalers would fight over the consumer's replicas%s" (get $path "keda.enabled") (get $path "hpa.enabled") $which) }}
{{- end }}
{{- if le (int $v.terminationGracePeriodSeconds) (div (int $v.shutdownTimeoutMs) 1000) }}
{{- $messages = append $messages (printf "%s (%d) must be longer than %s (%d ms): Kubernetes would SIGKILL pods in the middle of their drain" (get $path "terminationGracePeriodSeconds") (int $v.terminationGracePeriodSeconds) (get $path "shutdownTimeoutMs") (int $v.shutdownTimeoutMs)) }}
{{- end }}
{{- if and $v.keda.enabled (gt (int $v.keda.minReplicaCount) (int $v.keda.maxReplicaCount)) }}
{{- $messages = append $messages (printf "%s must not exceed %s" (get $path "keda.minReplicaCount") (get $path "keda.maxReplicaCount")) }}
{{- end }}
{{- $consumers := include "nestjet.consumerGroupConsumers" (list $ $group) | fromJsonArray }}
{{- $unordered := list }}
{{- range $consumers }}
{{- if not (has . $ordered) }}{{ $unordered = append $unordered . }}{{ end }}
{{- if empty (index $streams .) }}
{{- $messages = append $messages (printf "the consumer group %s runs %s but topology.consumerStreams has no stream for it: set topology.consumerStreams.%s to the stream this consumer reads" $group . .) }}
{{- end }}
{{- end }}
{{- if and $v.keda.enabled (empty $unordered) (gt (int $v.keda.maxReplicaCount) $partitions) }}
{{- $messages = append $messages (printf "%s %d exceeds topology.orderingPartitions %d: the consumers of the group %s (%s) are all ordered, and a partition is worked by one pod at a time" (get $path "keda.maxReplicaCount") (int $v.keda.maxReplicaCount) $partitions $group (join ", " $consumers)) }}
{{- end }}
{{- end }}
{{- $messages = uniq $messages }}
{{- toJson $messages }}
{{- end }}

{{/*
Where a group's value comes from: consumer.groups.<group>.<key> when the group overrides it, else consumer.<key>.
include "nestjet.consumerValuePath" (list $ "ledger" "keda.maxReplicaCount")
*/}}
{{- define "nestjet.consumerValuePath" -}}
{{- $node := get ((index . 0).Values.consumer.groups | default dict) (index . 1) | default dict }}
{{- $overridden := true }}
{{- range splitList "." (index . 2) }}
{{- if and $overridden (kindIs "map" $node) (hasKey $node .) }}{{ $node = get $node . }}{{ else }}{{ $overridden = false }}{{ end }}
{{- end }}
{{- ternary (printf "consumer.groups.%s.%s" (index . 1) (index . 2)) (printf "consumer.%s" (index . 2)) $overridden }}
{{- end }}

{{/* NATS users, credentials and TLS: a JSON list of messages. */}}
{{- define "nestjet.validateNatsAuth" -}}
{{- $messages := list }}
{{- $auth := .Values.externalNats.auth }}
{{- if hasKey $auth "existingSecret" }}
{{- $messages = append $messages "externalNats.auth.existingSecret was removed: one credential shared by every component let the producer delete streams. Give each component its own NATS user and Secret: externalNats.auth.{producer,consumer-<group>,dlq,provisioner,operator}.existingSecret (permissions: helm/nestjet/files/nats-permissions.json, a server config: k8s/nats-values.yaml)" }}
{{- end }}
{{- if not .Values.nats.enabled }}
{{- if ne $auth.type "none" }}
{{- $needed := list (list "producer" true) (list "dlq" (or .Values.producer.adminApi.enabled .Values.consumer.dlqRouter.enabled)) (list "provisioner" .Values.provision.enabled) (list "operator" .Values.tests.enabled) }}
{{- range include "nestjet.consumerGroupNames" . | fromJsonArray }}
{{- $needed = append $needed (list (printf "consumer-%s" .) true) }}
{{- end }}
{{- range $needed }}
{{- if and (index . 1) (empty (get $auth (index . 0) | default dict).existingSecret) }}
{{- $messages = append $messages (printf "externalNats.auth.type=%s needs externalNats.auth.%s.existingSecret (the %s NATS user's Secret)" $auth.type (index . 0) (index . 0)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if hasKey $auth "consumer" }}
{{- $messages = append $messages (printf "externalNats.auth.consumer was removed with the all-groups consumer user: each consumer group's Deployment connects as its own user consumer-<group> (only its durables, markers and failure records). Create one Secret per group and set externalNats.auth.consumer-<group>.existingSecret for %s (permissions: helm/nestjet/files/nats-permissions.json, a server config: k8s/nats-values.yaml)" (include "nestjet.consumerGroupNames" . | fromJsonArray | join ", ")) }}
{{- end }}
{{- if .Values.nats.enabled }}
{{- $env := dig "container" "env" (dict) .Values.nats }}
{{- range include "nestjet.natsUsers" . | fromJsonArray }}
{{- $var := include "nestjet.natsPasswordEnv" . }}
{{- if not (hasKey $env $var) }}
{{- $messages = append $messages (printf "nats.container.env.%s is missing: the bundled NATS server reads the password of the user %s from it. Add {valueFrom: {secretKeyRef: {name: <nats>-%s, key: password}}} as values.yaml does for the other users" $var . .) }}
{{- end }}
{{- end }}
{{- $tls := dig "config" "nats" "tls" (dict) .Values.nats }}
{{- if and $tls.enabled (empty $tls.secretName) }}
{{- $messages = append $messages "nats.config.nats.tls.enabled needs nats.config.nats.tls.secretName (the Secret natsTls.certManager writes, or your own with tls.crt, tls.key and ca.crt)" }}
{{- end }}
{{- if and .Values.natsTls.certManager.enabled (not (include "nestjet.bundledNatsCertificate" .)) }}
{{- $messages = append $messages "natsTls.certManager.enabled needs nats.config.nats.tls.enabled=true (or route TLS): the certificate would be issued but not used" }}
{{- end }}
{{- end }}
{{- if and .Values.natsTls.certManager.enabled (not .Values.nats.enabled) }}
{{- $messages = append $messages "natsTls.certManager.enabled applies to the bundled NATS only (nats.enabled=true); for external NATS set externalNats.tls.ca" }}
{{- end }}
{{- if and .Values.natsTls.certManager.enabled (empty .Values.natsTls.certManager.issuerRef.name) }}
{{- $messages = append $messages "natsTls.certManager.enabled needs natsTls.certManager.issuerRef.name" }}
{{- end }}
{{- if and .Values.nats.enabled (not .Values.natsTls.generate) (not .Values.natsTls.certManager.enabled) (include "nestjet.bundledNatsCertificate" .) (kindIs "map" (dig "config" "nats" "tls" "secretName" "" .Values.nats)) }}
{{- $messages = append $messages (printf "natsTls.generate=false and no cert-manager: create the Secret %s (tls.crt, tls.key, ca.crt; docs/kubernetes.md) and set nats.config.nats.tls.secretName, nats.config.cluster.tls.secretName and nats.tlsCA.secretName to its name" (include "nestjet.natsTlsSecret" .)) }}
{{- end }}
{{- if and (include "nestjet.bundledNatsCluster" .) (not (dig "config" "cluster" "tls" "enabled" false .Values.nats)) }}
{{- $messages = append $messages "nats.config.cluster.tls.enabled=false: the routes between NATS servers would carry every message and the route password in clear; keep route TLS on" }}
{{- end }}
{{- if and (include "nestjet.natsPlaintextSecret" .) (not .Values.natsAllowPlaintextAuth) }}
{{- $messages = append $messages (printf "natsAllowPlaintextAuth=false but NATS (%s) is plaintext and pods authenticate with a %s: turn on TLS (nats.config.nats.tls or tls:// in externalNats.urls) or allow it" (include "nestjet.natsUrl" .) (ternary "token" "password" (eq (include "nestjet.natsAuthType" .) "token"))) }}
{{- end }}
{{- toJson $messages }}
{{- end }}

{{/* REST authentication of the producer: a JSON list of messages. */}}
{{- define "nestjet.validateRestAuth" -}}
{{- $messages := list }}
{{- $a := .Values.producer.auth }}
{{- $admin := .Values.producer.adminApi }}
{{- if or (hasKey $admin "existingSecret") (hasKey $admin "tokenKey") }}
{{- $messages = append $messages "producer.adminApi.existingSecret/tokenKey were removed with ADMIN_TOKEN: /v1/dlq now takes the producer's API keys or JWTs with the scopes dlq:read, dlq:replay, dlq:purge. Put a key with those scopes into producer.auth.apiKeys.existingSecret (a JSON array [{\"id\", \"hash\": \"sha256:<hex>\", \"scopes\": [...]}]) or use the generated key (producer.auth.apiKeys.generate), then remove these two values" }}
{{- end }}
{{- if ne $a.mode "none" }}
{{- if not (or $a.apiKeys.existingSecret $a.apiKeys.generate $a.jwt.jwksUrl) }}
{{- $messages = append $messages "producer.auth.mode=keys but no credential is configured: set producer.auth.apiKeys.existingSecret, producer.auth.apiKeys.generate=true or producer.auth.jwt.jwksUrl (or producer.auth.mode=none to run without authentication)" }}
{{- end }}
{{- if and $a.jwt.jwksUrl (not (and $a.jwt.issuer $a.jwt.audience)) }}
{{- $messages = append $messages "producer.auth.jwt.jwksUrl needs producer.auth.jwt.issuer and producer.auth.jwt.audience: a token signed by that key set for another issuer or audience must not be accepted" }}
{{- end }}
{{- if and .Values.producer.ingress.enabled (not .Values.producer.trustProxy) (not .Values.networkPolicy.enabled) }}
{{- $messages = append $messages "producer.ingress.enabled with networkPolicy.enabled=false: set producer.trustProxy to the Ingress controller's addresses/CIDRs. The default (the private ranges) is safe only while the NetworkPolicy keeps every other pod away from the producer; without it any pod could forge X-Forwarded-For" }}
{{- end }}
{{- if and .Values.producer.adminApi.standalone (not .Values.producer.adminApi.enabled) }}
{{- $messages = append $messages "producer.adminApi.standalone needs producer.adminApi.enabled=true" }}
{{- end }}
{{- if and .Values.producer.adminApi.enabled .Values.producer.adminApi.standalone .Values.producer.ingress.routes.console }}
{{- $messages = append $messages "producer.ingress.routes.console with producer.adminApi.standalone: the console is served by <fullname>-admin, which is never behind the public Ingress; reach it with kubectl port-forward (or an internal Ingress allowed in networkPolicy.adminFrom) and set routes.console=false" }}
{{- end }}
{{- if and .Values.producer.adminApi.standalone (include "nestjet.generatesApiKey" .) (not $a.apiKeys.admin.generate) (not $a.jwt.jwksUrl) }}
{{- $messages = append $messages "producer.adminApi.standalone with the generated keys but producer.auth.apiKeys.admin.generate=false: the admin Deployment would accept no credential; generate the admin key, bring keys in producer.auth.apiKeys.existingSecret, or use JWTs" }}
{{- end }}
{{- if and .Values.tests.enabled (not (include "nestjet.testCredential" .)) }}
{{- $messages = append $messages "tests.enabled: the helm test needs an API key: set tests.auth.existingSecret (a Secret with a key allowed to publish tests.topic), or producer.auth.apiKeys.generate=true, or tests.enabled=false" }}
{{- end }}
{{- end }}
{{- toJson $messages }}
{{- end }}
