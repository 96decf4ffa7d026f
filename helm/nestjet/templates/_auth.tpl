{{/*
REST authentication of the producer (producer.auth): where its API key file comes
from and the key the chart generates.
*/}}

{{/* "true" when the chart generates the API key. */}}
{{- define "nestjet.generatesApiKey" -}}
{{- $a := .Values.producer.auth }}
{{- if and (ne $a.mode "none") $a.apiKeys.generate (not $a.apiKeys.existingSecret) }}true{{ end }}
{{- end }}

{{/*
Secret holding the API key file (API_KEYS_FILE) of the producer pods, or with
(list $ "admin") of the admin Deployment's pods; empty: no key file.
*/}}
{{- define "nestjet.apiKeysSecret" -}}
{{- $ctx := . }}
{{- $admin := false }}
{{- if kindIs "slice" . }}{{ $ctx = index . 0 }}{{ $admin = eq (index . 1) "admin" }}{{ end }}
{{- $a := $ctx.Values.producer.auth }}
{{- if $a.apiKeys.existingSecret }}
{{- $a.apiKeys.existingSecret }}
{{- else if include "nestjet.generatesApiKey" $ctx }}
{{- include "nestjet.fullname" $ctx }}-{{ ternary "admin-api-keys" "api-keys" $admin }}
{{- end }}
{{- end }}

{{/* Secret with the generated key in plain text (key `key`). */}}
{{- define "nestjet.generatedApiKeySecret" -}}
{{- include "nestjet.fullname" . }}-api-key
{{- end }}

{{/* "true" when the chart also generates the admin key (producer.auth.apiKeys.admin). */}}
{{- define "nestjet.generatesAdminApiKey" -}}
{{- if and (include "nestjet.generatesApiKey" .) .Values.producer.auth.apiKeys.admin.generate .Values.producer.adminApi.enabled }}true{{ end }}
{{- end }}

{{/* Secret with the generated admin key in plain text (key `key`). */}}
{{- define "nestjet.generatedAdminApiKeySecret" -}}
{{- include "nestjet.fullname" . }}-admin-api-key
{{- end }}

{{/*
A generated key: the one already in the cluster (lookup; empty under `helm
template` and dry runs), else a new random one.
include "nestjet.generatedKey" (list $ <plain Secret name>)
*/}}
{{- define "nestjet.generatedKey" -}}
{{- $ctx := index . 0 }}
{{- $existing := lookup "v1" "Secret" $ctx.Release.Namespace (index . 1) }}
{{- if and $existing $existing.data (hasKey $existing.data "key") }}
{{- index $existing.data "key" | b64dec }}
{{- else }}
{{- randAlphaNum 48 }}
{{- end }}
{{- end }}

{{/*
The generated keys, one render's worth, as JSON {"publish": <key>, "admin": <key or "">}.
Call it once per template file: each call outside a live cluster draws new keys.
*/}}
{{- define "nestjet.generatedKeys" -}}
{{- $keys := dict "publish" "" "admin" "" }}
{{- if include "nestjet.generatesApiKey" . }}
{{- $_ := set $keys "publish" (include "nestjet.generatedKey" (list . (include "nestjet.generatedApiKeySecret" .))) }}
{{- end }}
{{- if include "nestjet.generatesAdminApiKey" . }}
{{- $_ := set $keys "admin" (include "nestjet.generatedKey" (list . (include "nestjet.generatedAdminApiKeySecret" .))) }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{/*
API_KEYS_FILE content: include "nestjet.apiKeysFileFor" (list $ <keys JSON> <with publish key> <with admin key>);
only each key's SHA-256 is stored. The publish key only publishes; the admin key
is in the file of the pods that serve the admin API only.
*/}}
{{- define "nestjet.apiKeysFileFor" -}}
{{- $a := (index . 0).Values.producer.auth.apiKeys }}
{{- $keys := index . 1 | fromJson }}
{{- $entries := list }}
{{- if and (index . 2) $keys.publish }}
{{- $entries = append $entries (dict "id" $a.id "hash" (printf "sha256:%s" (sha256sum $keys.publish)) "scopes" $a.scopes) }}
{{- end }}
{{- if and (index . 3) $keys.admin }}
{{- $entries = append $entries (dict "id" $a.admin.id "hash" (printf "sha256:%s" (sha256sum $keys.admin)) "scopes" $a.admin.scopes) }}
{{- end }}
{{- $entries | toJson }}
{{- end }}

{{/* Whether the public producer pods serve the admin API (not when it runs in <fullname>-admin). */}}
{{- define "nestjet.producerServesAdmin" -}}
{{- if and .Values.producer.adminApi.enabled (not .Values.producer.adminApi.standalone) }}true{{ end }}
{{- end }}

{{/* Secret and key of the credential the helm test publishes with (empty: none). */}}
{{- define "nestjet.testCredential" -}}
{{- if .Values.tests.auth.existingSecret }}
{{- toJson (dict "name" .Values.tests.auth.existingSecret "key" .Values.tests.auth.key) }}
{{- else if include "nestjet.generatesApiKey" . }}
{{- toJson (dict "name" (include "nestjet.generatedApiKeySecret" .) "key" "key") }}
{{- end }}
{{- end }}
