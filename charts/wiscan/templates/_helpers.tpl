{{/* The release's full name, at most 52 characters so that the CronJob's
Jobs (11 characters more) stay within 63. */}}
{{- define "wiscan.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "wiscan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wiscan.labels" -}}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
app.kubernetes.io/name: {{ include "wiscan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "wiscan.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wiscan.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "wiscan.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap's data: one file per custom profile. */}}
{{- define "wiscan.configData" -}}
{{- range $name, $profile := .Values.scan.customProfiles }}
{{ $name }}.yaml: |
{{ toYaml (merge (deepCopy $profile) (dict "apiVersion" "wiscan.io/v1alpha1" "kind" "Profile" "name" $name)) | indent 2 }}
{{- end }}
{{- end -}}

{{- define "wiscan.checkValues" -}}
{{- if and .Values.pushgateway.url .Values.pushgateway.urlSecret.name -}}
{{- fail "pushgateway.url and pushgateway.urlSecret.name: set one of them" -}}
{{- end -}}
{{- $limit := include "wiscan.memoryLimitMiB" . | int -}}
{{- if and (gt $limit 0) (ge (int .Values.scan.evalMemory) $limit) -}}
{{- fail (printf "scan.evalMemory (%d MiB) must stay below the container's memory limit (%d MiB): the evaluation's bound would let the kernel kill the Job before wiscan can stop it with a message" (int .Values.scan.evalMemory) $limit) -}}
{{- end -}}
{{- end -}}

{{/* The container's memory limit in MiB (Mi, Gi, M, G or bytes), 0 when
there is none. */}}
{{- define "wiscan.memoryLimitMiB" -}}
{{- $l := toString (dig "limits" "memory" "" .Values.resources) -}}
{{- if hasSuffix "Gi" $l -}}{{ mul (trimSuffix "Gi" $l | int) 1024 }}
{{- else if hasSuffix "Mi" $l -}}{{ trimSuffix "Mi" $l | int }}
{{- else if hasSuffix "G" $l -}}{{ div (mul (trimSuffix "G" $l | int) 1000000000) 1048576 }}
{{- else if hasSuffix "M" $l -}}{{ div (mul (trimSuffix "M" $l | int) 1000000) 1048576 }}
{{- else if regexMatch "^[0-9]+$" $l -}}{{ div ($l | int64) 1048576 }}
{{- else -}}0
{{- end -}}
{{- end -}}

{{/* wiscan scan's arguments. */}}
{{- define "wiscan.args" -}}
- scan
{{- range .Values.scan.profiles }}
- --profile={{ . }}
{{- end }}
{{- range $name, $_ := .Values.scan.customProfiles }}
- --profile-file=/etc/wiscan/profiles/{{ $name }}.yaml
{{- end }}
{{- with .Values.scan.cloud }}
- --cloud={{ . }}
{{- end }}
{{- if .Values.scan.skipCloud }}
- --skip-cloud
{{- end }}
{{- if not .Values.rbac.readSecrets }}
- --skip-secrets
{{- end }}
{{- range .Values.rbac.namespaces }}
- --namespace={{ . }}
{{- end }}
{{- with .Values.scan.aws.clusterName }}
- --cluster-name={{ . }}
{{- end }}
{{- with .Values.scan.aws.region }}
- --region={{ . }}
{{- end }}
{{- range .Values.scan.azure.subscriptions }}
- --azure-subscription={{ . }}
{{- end }}
{{- with .Values.scan.azure.resourceGroup }}
- --azure-resource-group={{ . }}
{{- end }}
{{- with .Values.scan.azure.cluster }}
- --azure-cluster={{ . }}
{{- end }}
{{- range .Values.scan.azure.storageAccounts }}
- --azure-storage-account={{ . }}
{{- end }}
{{- with .Values.scan.gcp.project }}
- --gcp-project={{ . }}
{{- end }}
{{- with .Values.scan.gcp.location }}
- --gcp-location={{ . }}
{{- end }}
{{- with .Values.scan.gcp.cluster }}
- --gcp-cluster={{ . }}
{{- end }}
{{- range .Values.scan.gcp.buckets }}
- --gcp-bucket={{ . }}
{{- end }}
- --fail-on={{ .Values.scan.failOn }}
- --timeout={{ .Values.scan.timeout }}
- --eval-memory={{ .Values.scan.evalMemory }}
- --log-level={{ .Values.scan.logLevel }}
- --output=table
{{- if or .Values.pushgateway.url .Values.pushgateway.urlSecret.name }}
{{- if .Values.pushgateway.urlSecret.name }}
- --pushgateway=$(WISCAN_PUSHGATEWAY_URL)
{{- else }}
- --pushgateway={{ .Values.pushgateway.url }}
{{- end }}
- --pushgateway-job={{ .Values.pushgateway.job }}
{{- range $k, $v := .Values.pushgateway.labels }}
- --pushgateway-label={{ $k }}={{ $v }}
{{- end }}
{{- end }}
{{- if .Values.policyReports.apply }}
- --apply-policyreports
- --policyreport-api={{ .Values.policyReports.api }}
{{- end }}
{{- range .Values.scan.extraArgs }}
- {{ . }}
{{- end }}
{{- end -}}
