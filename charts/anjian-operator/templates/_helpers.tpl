{{- define "anjian-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "anjian-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: anjian
{{- end -}}

{{- define "anjian-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The ClusterRole that the operator binds to itself inside each tenant namespace. */}}
{{- define "anjian-operator.tenantRole" -}}
{{- printf "%s-tenant" (include "anjian-operator.fullname" .) -}}
{{- end -}}

{{- define "anjian-operator.adminSecret" -}}
{{- default (printf "%s-database" (include "anjian-operator.fullname" .)) .Values.database.adminSecret -}}
{{- end -}}

{{- define "anjian-operator.natsSecret" -}}
{{- default (printf "%s-nats" (include "anjian-operator.fullname" .)) .Values.nats.systemSecret -}}
{{- end -}}

{{/* The operator copies this Secret (key `secret`) into each tenant namespace. */}}
{{- define "anjian-operator.tokenSecret" -}}
{{- default "anjian-token" .Values.auth.existingSecret -}}
{{- end -}}

{{- define "anjian-operator.validate" -}}
{{- $errors := list -}}
{{- if and (not .Values.database.adminSecret) (not .Values.database.adminUrl) -}}
{{- $errors = append $errors "set database.adminSecret or database.adminUrl" -}}
{{- end -}}
{{- if and (not .Values.nats.systemSecret) (not .Values.nats.systemPassword) -}}
{{- $errors = append $errors "set nats.systemSecret or nats.systemPassword" -}}
{{- end -}}
{{- if and (not .Values.auth.existingSecret) (not .Values.auth.tokenSecret) -}}
{{- $errors = append $errors "set auth.existingSecret or auth.tokenSecret" -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\nvalues need fixing:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
