{{/* The Secret holding the provider's registry-events bearer token (events.enabled). */}}
{{- define "signgate.events.tokenSecretName" -}}
{{- default (printf "%s-events-token" (include "signgate.fullname" .)) .Values.events.token.existingSecret -}}
{{- end -}}
