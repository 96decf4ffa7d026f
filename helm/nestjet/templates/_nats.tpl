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
