{{- define "kamaji.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "kamaji.labels" -}}
app.kubernetes.io/name: kamaji
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "kamaji.selectorLabels" -}}
app.kubernetes.io/name: kamaji
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller-manager
{{- end }}

{{- define "kamaji.webhookServiceName" -}}
{{ include "kamaji.fullname" . }}-webhook-service
{{- end }}

{{- define "kamaji.etcd.name" -}}
{{ include "kamaji.fullname" . }}-etcd
{{- end }}

{{- define "kamaji.etcd.selectorLabels" -}}
app.kubernetes.io/name: kamaji-etcd
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
