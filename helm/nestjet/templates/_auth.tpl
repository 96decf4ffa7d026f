{{/*
REST authentication of the producer (producer.auth): where its API key file comes
from and the key the chart generates.
*/}}

{{/* "true" when the chart generates the API key. */}}
{{- define "nestjet.generatesApiKey" -}}
{{- $a := .Values.producer.auth }}
{{- if and (ne $a.mode "none") $a.apiKeys.generate (not $a.apiKeys.existingSecret) }}true{{ end }}
{{- end }}

{{/* Secret holding the API key file (API_KEYS_FILE); empty: no key file. */}}
{{- define "nestjet.apiKeysSecret" -}}
{{- $a := .Values.producer.auth }}
{{- if $a.apiKeys.existingSecret }}
{{- $a.apiKeys.existingSecret }}
{{- else if include "nestjet.generatesApiKey" . }}
{{- include "nestjet.fullname" . }}-api-keys
{{- end }}
{{- end }}

{{/* Secret with the generated key in plain text (key `key`). */}}
{{- define "nestjet.generatedApiKeySecret" -}}
{{- include "nestjet.fullname" . }}-api-key
{{- end }}

{{/*
The generated key: the one already in the cluster (lookup; empty under
`helm template` and dry runs), else a new random one.
*/}}
{{- define "nestjet.generatedApiKey" -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "nestjet.generatedApiKeySecret" .) }}
{{- if and $existing $existing.data (hasKey $existing.data "key") }}
{{- index $existing.data "key" | b64dec }}
{{- else }}
{{- randAlphaNum 48 }}
{{- end }}
{{- end }}

{{/* API_KEYS_FILE content for a key: include "nestjet.apiKeysFile" (list $ <key>); only the key's SHA-256 is stored. */}}
{{- define "nestjet.apiKeysFileFor" -}}
{{- $a := (index . 0).Values.producer.auth.apiKeys }}
{{- list (dict "id" $a.id "hash" (printf "sha256:%s" (sha256sum (index . 1))) "scopes" $a.scopes) | toJson }}
{{- end }}

{{/* The generated API_KEYS_FILE (empty when the chart generates no key). */}}
{{- define "nestjet.generatedApiKeysFile" -}}
{{- if include "nestjet.generatesApiKey" . }}
{{- include "nestjet.apiKeysFileFor" (list . (include "nestjet.generatedApiKey" .)) }}
{{- end }}
{{- end }}

{{/* Secret and key of the credential the helm test publishes with (empty: none). */}}
{{- define "nestjet.testCredential" -}}
{{- if .Values.tests.auth.existingSecret }}
{{- toJson (dict "name" .Values.tests.auth.existingSecret "key" .Values.tests.auth.key) }}
{{- else if include "nestjet.generatesApiKey" . }}
{{- toJson (dict "name" (include "nestjet.generatedApiKeySecret" .) "key" "key") }}
{{- end }}
{{- end }}
