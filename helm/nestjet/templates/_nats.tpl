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

{{/* Selector labels of the bundled NATS server pods (the official chart's "nats.selectorLabels"). */}}
{{- define "nestjet.natsServerSelector" -}}
app.kubernetes.io/name: {{ default "nats" .Values.nats.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: nats
{{- end }}

{{/* "true" when the bundled NATS client port has TLS. */}}
{{- define "nestjet.bundledNatsTls" -}}
{{- if and .Values.nats.enabled (dig "config" "nats" "tls" "enabled" false .Values.nats) }}true{{ end }}
{{- end }}

{{/* Comma-separated client URLs the apps connect to. */}}
{{- define "nestjet.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{ ternary "tls" "nats" (eq (include "nestjet.bundledNatsTls" .) "true") }}://{{ include "nestjet.natsFullname" . }}.{{ .Release.Namespace }}.svc.cluster.local:4222
{{- else -}}
{{ join "," .Values.externalNats.urls }}
{{- end }}
{{- end }}

{{/* Client port of every NATS URL, one per line (egress rules). */}}
{{- define "nestjet.natsPorts" -}}
{{- if .Values.nats.enabled }}
{{- dig "config" "nats" "port" 4222 .Values.nats }}
{{- else }}
{{- range .Values.externalNats.urls }}
{{ include "nestjet.urlPort" (dict "url" . "defaults" (dict "nats" 4222 "tls" 4222 "ws" 80 "wss" 443)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Port of a URL: include "nestjet.urlPort" (dict "url" "https://x:8443/y" "defaults" (dict "https" 443)) */}}
{{- define "nestjet.urlPort" -}}
{{- $u := urlParse .url }}
{{- $hostPort := splitList ":" $u.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else }}{{ get .defaults $u.scheme }}{{ end }}
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
How pods authenticate to NATS: userPassword (always with bundled NATS), creds,
token or none.
*/}}
{{- define "nestjet.natsAuthType" -}}
{{- if .Values.nats.enabled }}userPassword{{ else }}{{ .Values.externalNats.auth.type }}{{ end }}
{{- end }}

{{/*
The NATS users, keys of files/nats-permissions.json: one per component and one per consumer group,
consumer-<group> (files/consumer-groups.json), each group's whether or not this release runs it, so
the bundled server knows them all.
*/}}
{{- define "nestjet.natsUsers" -}}
{{- $groups := list }}
{{- range $group, $_ := include "nestjet.consumerGroupsFile" . | fromJson }}
{{- $groups = append $groups (printf "consumer-%s" $group) }}
{{- end }}
{{- toJson (concat (list "producer") $groups (list "dlq" "provisioner" "operator")) }}
{{- end }}

{{/* Env var of the bundled NATS server with a user's password: NATS_CONSUMER_ORDERS_PASSWORD for consumer-orders. */}}
{{- define "nestjet.natsPasswordEnv" -}}
{{- printf "NATS_%s_PASSWORD" (upper . | replace "-" "_") }}
{{- end }}

{{/*
Secret with a NATS user's credential: include "nestjet.natsUserSecret" (list $ "producer").
Bundled NATS: <nats>-<user>, the name the server's env refers to (values.yaml,
nats.container.env). External NATS: externalNats.auth.<user>.existingSecret.
*/}}
{{- define "nestjet.natsUserSecret" -}}
{{- $ctx := index . 0 }}
{{- if $ctx.Values.nats.enabled }}
{{- printf "%s-%s" (include "nestjet.natsFullname" $ctx) (index . 1) }}
{{- else }}
{{- (get $ctx.Values.externalNats.auth (index . 1) | default dict).existingSecret }}
{{- end }}
{{- end }}

{{/* Secret keys of the credential: bundled Secrets use user/password. */}}
{{- define "nestjet.natsSecretKeys" -}}
{{- if .Values.nats.enabled }}
{{- toJson (dict "user" "user" "password" "password") }}
{{- else }}
{{- with .Values.externalNats.auth }}
{{- toJson (dict "user" .userKey "password" .passwordKey "creds" .credsKey "token" .tokenKey) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The NATS connections of one pod: the main one as `user`, and the dead-letter one
(DLQ_NATS_*) as the dlq user when `dlq` is true. natsEnv, natsVolumes and
natsVolumeMounts take the same dict: (dict "ctx" $ "user" "producer" "dlq" true)
*/}}
{{- define "nestjet.natsConnections" -}}
{{- $list := list (dict "user" .user "prefix" "" "dir" "/etc/nestjet/nats" "volume" "nats-creds") }}
{{- if .dlq }}
{{- $list = append $list (dict "user" "dlq" "prefix" "DLQ_" "dir" "/etc/nestjet/nats-dlq" "volume" "nats-dlq-creds") }}
{{- end }}
{{- toJson $list }}
{{- end }}

{{/* Env of one pod's NATS connections: credentials and TLS. */}}
{{- define "nestjet.natsEnv" -}}
{{- $ctx := .ctx }}
{{- $type := include "nestjet.natsAuthType" $ctx }}
{{- $keys := include "nestjet.natsSecretKeys" $ctx | fromJson }}
{{- range (include "nestjet.natsConnections" . | fromJsonArray) }}
{{- $secret := include "nestjet.natsUserSecret" (list $ctx .user) }}
{{- if eq $type "userPassword" }}
- name: {{ .prefix }}NATS_USER
  valueFrom: {secretKeyRef: {name: {{ $secret | quote }}, key: {{ $keys.user | quote }}}}
- name: {{ .prefix }}NATS_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ $secret | quote }}, key: {{ $keys.password | quote }}}}
{{- else if eq $type "creds" }}
- name: {{ .prefix }}NATS_CREDS_FILE
  value: {{ printf "%s/%s" .dir $keys.creds | quote }}
{{- else if and (eq $type "token") (eq .prefix "") }}
{{- /* No DLQ_NATS_TOKEN exists: the dead-letter connection falls back to this one. */}}
- name: NATS_TOKEN
  valueFrom: {secretKeyRef: {name: {{ $secret | quote }}, key: {{ $keys.token | quote }}}}
{{- end }}
{{- end }}
{{- if include "nestjet.natsCaSecret" $ctx }}
- name: NATS_TLS_CA
  value: /etc/nestjet/nats-tls/{{ include "nestjet.natsCaKey" $ctx }}
{{- end }}
{{- end }}

{{/*
Name of the bundled NATS's TLS Secret (nats.config.nats.tls.secretName). The
default is the official chart's `$tplYaml` form '{{ include "nats.fullname" $ }}-tls',
resolved here with nestjet.natsFullname (the same name) because this chart
renders without the subchart's templates too.
*/}}
{{- define "nestjet.natsTlsSecret" -}}
{{- $name := dig "config" "nats" "tls" "secretName" "" .Values.nats }}
{{- if kindIs "map" $name }}
{{- $expr := get $name "$tplYaml" | default "" | trim }}
{{- if not (regexMatch `^\{\{-? *include "nats.fullname" \$ *-?\}\}[a-z0-9-]*$` $expr) }}
{{- fail (printf "nats.config.nats.tls.secretName: only a plain name or {$tplYaml: '<include of nats.fullname>-<suffix>'} is understood, not %s" (toJson $name)) }}
{{- end }}
{{- printf "%s%s" (include "nestjet.natsFullname" .) (regexReplaceAll `^.*\}\}` $expr "") }}
{{- else }}
{{- $name }}
{{- end }}
{{- end }}

{{/* "true" when the NATS cluster (routes) of the bundled NATS is on. */}}
{{- define "nestjet.bundledNatsCluster" -}}
{{- if and .Values.nats.enabled (dig "config" "cluster" "enabled" false .Values.nats) }}true{{ end }}
{{- end }}

{{/* "true" when the bundled NATS needs its certificate: TLS on the client port or on the routes. */}}
{{- define "nestjet.bundledNatsCertificate" -}}
{{- if or (include "nestjet.bundledNatsTls" .) (and (include "nestjet.bundledNatsCluster" .) (dig "config" "cluster" "tls" "enabled" false .Values.nats)) }}true{{ end }}
{{- end }}

{{/* Secret with the CA the apps trust for NATS (empty: system roots or no TLS). */}}
{{- define "nestjet.natsCaSecret" -}}
{{- if .Values.nats.enabled }}
{{- if include "nestjet.bundledNatsTls" . }}{{ include "nestjet.natsTlsSecret" . }}{{ end }}
{{- else }}
{{- .Values.externalNats.tls.ca.secretName }}
{{- end }}
{{- end }}

{{- define "nestjet.natsCaKey" -}}
{{- if .Values.nats.enabled }}{{ .Values.natsTls.caKey }}{{ else }}{{ .Values.externalNats.tls.ca.key }}{{ end }}
{{- end }}

{{/* Volumes for NATS creds files and the CA; mounts in "nestjet.natsVolumeMounts". Same dict as natsEnv. */}}
{{- define "nestjet.natsVolumes" -}}
{{- $ctx := .ctx }}
{{- if eq (include "nestjet.natsAuthType" $ctx) "creds" }}
{{- range (include "nestjet.natsConnections" . | fromJsonArray) }}
- name: {{ .volume }}
  secret:
    secretName: {{ include "nestjet.natsUserSecret" (list $ctx .user) }}
    defaultMode: 288  # 0440 (decimal: YAML 1.1 and 1.2 parsers read a leading 0 differently)
    items:
      - key: {{ $ctx.Values.externalNats.auth.credsKey }}
        path: {{ $ctx.Values.externalNats.auth.credsKey }}
{{- end }}
{{- end }}
{{- with include "nestjet.natsCaSecret" $ctx }}
- name: nats-tls
  secret:
    secretName: {{ . }}
    defaultMode: 292  # 0444
    items:
      - key: {{ include "nestjet.natsCaKey" $ctx }}
        path: {{ include "nestjet.natsCaKey" $ctx }}
{{- end }}
{{- end }}

{{- define "nestjet.natsVolumeMounts" -}}
{{- if eq (include "nestjet.natsAuthType" .ctx) "creds" }}
{{- range (include "nestjet.natsConnections" . | fromJsonArray) }}
- name: {{ .volume }}
  mountPath: {{ .dir }}
  readOnly: true
{{- end }}
{{- end }}
{{- if include "nestjet.natsCaSecret" .ctx }}
- name: nats-tls
  mountPath: /etc/nestjet/nats-tls
  readOnly: true
{{- end }}
{{- end }}

{{/*
The authorization block of the bundled NATS (authorization.conf, included by
nats.conf): one user per component with its permissions from
files/nats-permissions.json and its password from the server's environment
(NATS_<USER>_PASSWORD, dashes as underscores, set in values.yaml nats.container.env). JSON is valid
nats.conf, except Go's \u003e escapes of ">", "<" and "&": the server's parser
knows only \xXX, so they are written back as the characters.
*/}}
{{- define "nestjet.natsAuthorization" -}}
{{- $perms := include "nestjet.natsPermissions" . | fromJson }}
authorization {
  users: [
  {{- range (include "nestjet.natsUsers" . | fromJsonArray) }}
    {user: {{ . | quote }}, password: ${{ include "nestjet.natsPasswordEnv" . }}, permissions: {{ get $perms . | toJson | replace "\\u003e" ">" | replace "\\u003c" "<" | replace "\\u0026" "&" }}}
  {{- end }}
  ]
}
{{- end }}

{{/* files/nats-permissions.json, checked: every user present. */}}
{{- define "nestjet.natsPermissions" -}}
{{- $perms := .Files.Get "files/nats-permissions.json" | fromJson }}
{{- if hasKey $perms "Error" }}
{{- fail (printf "files/nats-permissions.json is not valid JSON: %s" (get $perms "Error")) }}
{{- end }}
{{- range (include "nestjet.natsUsers" . | fromJsonArray) }}
{{- if not (hasKey $perms .) }}
{{- fail (printf "files/nats-permissions.json has no permissions for the NATS user %s" .) }}
{{- end }}
{{- end }}
{{- toJson $perms }}
{{- end }}
