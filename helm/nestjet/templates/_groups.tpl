{{/*
Consumer groups: one consumer Deployment (and ScaledObject/HPA/PDB) per group, run as the group's
NATS user consumer-<group>. Which groups exist and which consumers each runs comes from the topology
(files/consumer-groups.json, written with files/nats-permissions.json by scripts/nats-permissions.mjs);
values only tune them: consumer.* for every group, consumer.groups.<group>.* on top.
*/}}

{{/* files/consumer-groups.json ({"<group>": ["<consumer>", ...]}), checked. */}}
{{- define "nestjet.consumerGroupsFile" -}}
{{- $groups := .Files.Get "files/consumer-groups.json" | fromJson }}
{{- if or (hasKey $groups "Error") (empty $groups) }}
{{- fail (printf "files/consumer-groups.json is missing or not valid JSON (regenerate it: node scripts/nats-permissions.mjs): %s" (get $groups "Error" | default "empty")) }}
{{- end }}
{{- toJson $groups }}
{{- end }}

{{/* Names of the groups this release runs (every group of the file unless consumer.groups.<group>.enabled=false), sorted. */}}
{{- define "nestjet.consumerGroupNames" -}}
{{- $names := list }}
{{- $overrides := .Values.consumer.groups | default dict }}
{{- range $name, $_ := include "nestjet.consumerGroupsFile" . | fromJson }}
{{- $o := get $overrides $name | default dict }}
{{- if or (not (hasKey $o "enabled")) $o.enabled }}
{{- $names = append $names $name }}
{{- end }}
{{- end }}
{{- toJson $names }}
{{- end }}

{{/* The group's consumers (names; an ordered consumer once): include "nestjet.consumerGroupConsumers" (list $ "orders") */}}
{{- define "nestjet.consumerGroupConsumers" -}}
{{- get (include "nestjet.consumerGroupsFile" (index . 0) | fromJson) (index . 1) | toJson }}
{{- end }}

{{/*
The group's durables with their streams, [{"durable", "stream"}]: an ordered consumer
(topology.orderedConsumers) has one durable per partition, <name>-p<n>.
*/}}
{{- define "nestjet.consumerGroupDurables" -}}
{{- $ctx := index . 0 }}
{{- $streams := $ctx.Values.topology.consumerStreams | default dict }}
{{- $out := list }}
{{- range $consumer := include "nestjet.consumerGroupConsumers" . | fromJsonArray }}
{{- if has $consumer ($ctx.Values.topology.orderedConsumers | default list) }}
{{- range $p := until (int $ctx.Values.topology.orderingPartitions) }}
{{- $out = append $out (dict "durable" (printf "%s-p%d" $consumer $p) "stream" (index $streams $consumer)) }}
{{- end }}
{{- else }}
{{- $out = append $out (dict "durable" $consumer "stream" (index $streams $consumer)) }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/*
Values of one group's Deployment: consumer.* with consumer.groups.<group>.* merged over it
(maps key by key, anything else replaced, null and 0 and false included):
include "nestjet.consumerGroupValues" (list $ "orders") | fromJson
*/}}
{{- define "nestjet.consumerGroupValues" -}}
{{- $ctx := index . 0 }}
{{- $shared := omit $ctx.Values.consumer "groups" "dlqRouter" "durables" }}
{{- $override := get ($ctx.Values.consumer.groups | default dict) (index . 1) | default dict }}
{{- include "nestjet.mergeValues" (list $shared (omit $override "enabled")) }}
{{- end }}

{{/* Deep merge of two value maps, the second winning; sprig's merge would skip null, 0 and false. */}}
{{- define "nestjet.mergeValues" -}}
{{- $out := deepCopy (index . 0) }}
{{- range $k, $v := index . 1 }}
{{- if and (kindIs "map" $v) (kindIs "map" (get $out $k)) }}
{{- $_ := set $out $k (include "nestjet.mergeValues" (list (get $out $k) $v) | fromJson) }}
{{- else }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* Name of a group's Deployment, ScaledObject, HPA and PDB: <fullname>-consumer-<group>. */}}
{{- define "nestjet.consumerGroupName" -}}
{{- printf "%s-consumer-%s" (include "nestjet.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of a group's pods: the consumer component's, plus the group. */}}
{{- define "nestjet.consumerGroupSelectorLabels" -}}
{{ include "nestjet.selectorLabels" (list (index . 0) "consumer") }}
nestjet.io/consumer-group: {{ index . 1 }}
{{- end }}

{{- define "nestjet.consumerGroupLabels" -}}
{{ include "nestjet.componentLabels" (list (index . 0) "consumer") }}
nestjet.io/consumer-group: {{ index . 1 }}
{{- end }}
