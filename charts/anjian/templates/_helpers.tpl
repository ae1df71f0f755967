{{/* Chart name, cut to fit Kubernetes' 63-character names. */}}
{{- define "anjian.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-wide name prefix; the release name alone when it already says "anjian". */}}
{{- define "anjian.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects. Call with (dict "root" $ "name" $name). */}}
{{- define "anjian.componentName" -}}
{{- printf "%s-%s" (include "anjian.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "anjian.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "anjian.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: anjian
anjian.io/tenant: {{ .Values.tenant | quote }}
{{- end -}}

{{/* Selector labels of one component. Call with (dict "root" $ "name" $name). */}}
{{- define "anjian.selectorLabels" -}}
app.kubernetes.io/name: {{ include "anjian.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* A component's replicas: 1 unless set, and 0 stays 0 (`default` would turn it into 1). */}}
{{- define "anjian.replicas" -}}
{{- if hasKey . "replicas" -}}{{ .replicas }}{{- else -}}1{{- end -}}
{{- end -}}

{{- define "anjian.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "anjian.databaseSecret" -}}
{{- default (printf "%s-database" (include "anjian.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{- define "anjian.natsSecret" -}}
{{- default (printf "%s-nats" (include "anjian.fullname" .)) .Values.nats.existingSecret -}}
{{- end -}}

{{- define "anjian.authSecret" -}}
{{- default (printf "%s-auth" (include "anjian.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "anjian.personKeySecret" -}}
{{- default (printf "%s-person-key" (include "anjian.fullname" .)) .Values.personKey.existingSecret -}}
{{- end -}}

{{- define "anjian.publicQuerySecret" -}}
{{- default (printf "%s-public-tokens" (include "anjian.fullname" .)) .Values.publicQuery.existingSecret -}}
{{- end -}}

{{/* Whether the gateway's public query has tokens (or a Secret that may hold them). */}}
{{- define "anjian.publicQuery" -}}
{{- if or .Values.publicQuery.existingSecret .Values.publicQuery.tokens -}}true{{- end -}}
{{- end -}}

{{/* Whether a component is enabled. Call with (dict "root" $ "name" $name). */}}
{{- define "anjian.enabled" -}}
{{- $c := index .root.Values.components .name | default dict -}}
{{- if $c.enabled -}}true{{- end -}}
{{- end -}}

{{/* Whether NATS credentials are configured at all. */}}
{{- define "anjian.natsAuth" -}}
{{- if or .Values.nats.existingSecret .Values.nats.user -}}true{{- end -}}
{{- end -}}

{{/*
Collect every values mistake into one message, so a user fixes them all in one go
instead of meeting them one install at a time.
*/}}
{{- define "anjian.validate" -}}
{{- $errors := list -}}
{{- if and (not .Values.database.existingSecret) (not .Values.database.url) -}}
{{- $errors = append $errors "set database.existingSecret or database.url" -}}
{{- end -}}
{{- if and (not .Values.auth.existingSecret) (not .Values.auth.tokenSecret) -}}
{{- $errors = append $errors "set auth.existingSecret or auth.tokenSecret" -}}
{{- end -}}
{{- $personKey := .Values.personKey -}}
{{- if and (include "anjian.enabled" (dict "root" . "name" "credit")) (not $personKey.existingSecret) -}}
{{- if not $personKey.salt -}}
{{- $errors = append $errors "components.credit is enabled: set personKey.existingSecret or personKey.salt (16 characters or more)" -}}
{{- else if not (regexMatch "(?s)^.{16,}$" (trim $personKey.salt)) -}}
{{- $errors = append $errors "personKey.salt is shorter than 16 characters (spaces around it not counted)" -}}
{{- else -}}
{{- /* A new salt would orphan every key made with the old one; lookup is empty in `helm template`. */}}
{{- $secret := include "anjian.personKeySecret" . -}}
{{- $kept := dig "data" "salt" "" (lookup "v1" "Secret" .Release.Namespace $secret) | b64dec -}}
{{- if and $kept (ne $kept $personKey.salt) -}}
{{- $errors = append $errors (printf "personKey.salt differs from the salt in Secret %s: keys made with the old salt would stop matching; keep the old salt" $secret) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $code, $_ := .Values.publicQuery.tokens -}}
{{- if ne $code $.Values.tenant -}}
{{- $errors = append $errors (printf "publicQuery.tokens: this release serves %s only; drop %s" $.Values.tenant $code) -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.otel.exporter "otlp") (not .Values.otel.endpoint) -}}
{{- $errors = append $errors "otel.exporter is otlp: set otel.endpoint" -}}
{{- end -}}
{{- $enabled := 0 -}}
{{- range $name, $c := .Values.components -}}
{{- if $c.enabled -}}
{{- $enabled = add1 $enabled -}}
{{- if and (eq $c.protocol "grpc") (not $c.grpcService) -}}
{{- $errors = append $errors (printf "components.%s: a grpc component needs grpcService" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq $enabled 0 -}}
{{- $errors = append $errors "enable at least one entry of components" -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\nvalues need fixing:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}

{{/*
Environment shared by every component: the kernel's settings and where the other
components listen. Call with (dict "root" $ "name" $name "c" $component).
*/}}
{{- define "anjian.env" -}}
{{- $root := .root -}}
- name: ANJIAN_TENANTS
  value: {{ $root.Values.tenant | quote }}
{{- /* Only components that hold state see the database, the bus and the token key. */}}
{{- if ne .c.backends false }}
- name: ANJIAN_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ include "anjian.databaseSecret" $root }}, key: url}
- name: ANJIAN_DATABASE_CREATE
  value: {{ $root.Values.database.create | quote }}
- name: ANJIAN_NATS_URL
  value: {{ $root.Values.nats.url | quote }}
{{- if include "anjian.natsAuth" $root }}
- name: ANJIAN_NATS_USER
  valueFrom:
    secretKeyRef: {name: {{ include "anjian.natsSecret" $root }}, key: user}
- name: ANJIAN_NATS_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "anjian.natsSecret" $root }}, key: password}
{{- end }}
- name: ANJIAN_TOKEN_SECRET
  valueFrom:
    secretKeyRef: {name: {{ include "anjian.authSecret" $root }}, key: secret}
{{- end }}
{{- /* Each of these secrets goes to the one component that reads it. */}}
{{- if eq .name "credit" }}
- name: ANJIAN_PERSON_KEY_SALT
  valueFrom:
    secretKeyRef: {name: {{ include "anjian.personKeySecret" $root }}, key: salt}
{{- end }}
{{- if and (eq .name "gateway") (include "anjian.publicQuery" $root) }}
{{- /* Optional: without the Secret the gateway starts and says it has no public query. */}}
- name: ANJIAN_PUBLIC_TOKENS
  valueFrom:
    secretKeyRef: {name: {{ include "anjian.publicQuerySecret" $root }}, key: tokens, optional: true}
{{- end }}
- name: ANJIAN_OTEL_EXPORTER
  value: {{ $root.Values.otel.exporter | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $root.Values.otel.endpoint | quote }}
- name: ANJIAN_OTEL_SAMPLING_RATIO
  value: {{ $root.Values.otel.samplingRatio | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "anjian-%s" .name | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "anjian.tenant=%s,k8s.namespace.name=%s" $root.Values.tenant $root.Release.Namespace | quote }}
- name: ANJIAN_SHUTDOWN_GRACE_SECONDS
  value: {{ $root.Values.shutdownGraceSeconds | quote }}
- name: ANJIAN_LOG_FORMAT
  value: {{ $root.Values.logFormat | quote }}
{{- if eq .c.protocol "grpc" }}
{{- /* The kernel binds 127.0.0.1 by default; in a pod the kubelet probes the pod IP. */}}
- name: ANJIAN_GRPC_HOST
  value: "0.0.0.0"
- name: ANJIAN_GRPC_PORT
  value: {{ .c.port | quote }}
{{- else }}
- name: ANJIAN_HTTP_HOST
  value: "0.0.0.0"
- name: ANJIAN_HTTP_PORT
  value: {{ .c.port | quote }}
{{- end }}
{{- range $other, $oc := $root.Values.components }}
{{- if and $oc.enabled (eq $oc.protocol "grpc") (ne $other $.name) }}
- name: {{ printf "ANJIAN_%s_ADDRESS" (upper $other) }}
  value: {{ printf "%s:%v" (include "anjian.componentName" (dict "root" $root "name" $other)) $oc.port | quote }}
{{- end }}
{{- end }}
{{- range $k, $v := merge (dict) (.c.env | default dict) $root.Values.extraEnv }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}
