{{- /* Names and labels of the signing service (signer-*.yaml). Its pods carry app.kubernetes.io/name
<chart>-signer, so the provider's selector, Service and PodDisruptionBudget never pick them up. */ -}}
{{- define "signgate.signer.fullname" -}}
{{- printf "%s-signer" (include "signgate.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "signgate.signer.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-signer" (include "signgate.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: signer
{{- end -}}

{{- define "signgate.signer.labels" -}}
{{ include "signgate.signer.selectorLabels" . }}
app.kubernetes.io/part-of: {{ include "signgate.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "signgate.signer.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "signgate.signer.fullname" .)) .Values.signer.tls.existingSecret -}}
{{- end -}}

{{- define "signgate.signer.tokenSecretName" -}}
{{- default (printf "%s-token" (include "signgate.signer.fullname" .)) .Values.signer.token.existingSecret -}}
{{- end -}}

{{- define "signgate.signer.rulesConfigMapName" -}}
{{- default (printf "%s-rules" (include "signgate.signer.fullname" .)) .Values.signer.existingRulesConfigMap -}}
{{- end -}}
