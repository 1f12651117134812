{{/* The four services that consume and keep a store; the console has neither. */}}
{{- define "concord.backends" -}}
intake routing mediation notification
{{- end -}}

{{- define "concord.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "concord.labels" -}}
app.kubernetes.io/name: concord-{{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/part-of: concord
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "concord.selector" -}}
app.kubernetes.io/name: concord-{{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "concord.image" -}}
{{- printf "%s/concord-%s:%s" .root.Values.image.registry .name (.root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* The catalog `concord-topics chart` generates: topics, users and their ACLs, consumers. */}}
{{- define "concord.catalog" -}}
{{- .Files.Get "files/kafka.json" -}}
{{- end -}}

{{/* A Kubernetes name for a Kafka topic (no underscores in resource names). */}}
{{- define "concord.topicResource" -}}
{{- replace "_" "-" . | lower | trunc 63 | trimSuffix "-" | trimSuffix "." -}}
{{- end -}}

{{/* The Kafka principal of a service: its Strimzi KafkaUser and that user's Secret. */}}
{{- define "concord.kafkaUser" -}}
concord-{{ . }}
{{- end -}}

{{/* The store's address for a service, its password taken from MONGO_PASSWORD. */}}
{{- define "concord.mongoUrl" -}}
{{- $v := .root.Values.mongodb -}}
{{- $db := printf "concord_%s" .name -}}
{{- if $v.create -}}
mongodb://{{ $db }}:$(MONGO_PASSWORD)@{{ $v.name }}-rs0.{{ .root.Release.Namespace }}.svc.cluster.local:27017/{{ $db }}?replicaSet=rs0&authSource={{ $db }}
{{- else -}}
{{- $hosts := required "mongodb.hosts is needed when mongodb.create is false" $v.hosts -}}
{{- $sep := "/?" -}}
{{- if contains "?" $hosts }}{{ $sep = "&" }}{{ else if contains "/" $hosts }}{{ $sep = "?" }}{{ end -}}
mongodb://{{ $db }}:$(MONGO_PASSWORD)@{{ $hosts }}{{ $sep }}authSource={{ $db }}
{{- end -}}
{{- end -}}

{{- define "concord.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.name }}
      key: {{ .key }}
{{- end -}}
