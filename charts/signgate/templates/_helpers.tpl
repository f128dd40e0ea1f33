{{- define "signgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "signgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "signgate.labels" -}}
app.kubernetes.io/name: {{ include "signgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "signgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "signgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "signgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "signgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "signgate.tlsSecretName" -}}
{{- if eq .Values.tls.mode "provided" -}}
{{- required "tls.existingSecret is required when tls.mode is provided" .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "signgate.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "signgate.registrySecretName" -}}
{{- printf "%s-registry" (include "signgate.fullname" .) -}}
{{- end -}}

{{/* The Secret with the key that seals shared verdicts: sharedCache.keySecret.name, else the one the chart generates. */}}
{{- define "signgate.sharedCache.keySecretName" -}}
{{- default (printf "%s-shared-cache-key" (include "signgate.fullname" .)) .Values.sharedCache.keySecret.name -}}
{{- end -}}

{{/* Secrets in the release namespace the provider reads: registry credentials and rbac.secretNames. */}}
{{- define "signgate.readableSecrets" -}}
{{- $names := list -}}
{{- if .Values.config.registryCredentials.dockerConfigJson -}}
{{- $names = append $names (include "signgate.registrySecretName" .) -}}
{{- end -}}
{{- range .Values.config.registryCredentials.existingSecrets -}}
{{- $names = append $names . -}}
{{- end -}}
{{- range .Values.rbac.secretNames -}}
{{- $names = append $names . -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}
