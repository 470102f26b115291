{{/* The series this release pushes: its job and grouping labels (such as
cluster="prod"). Every alert selects them, so that each cluster's release
alerts on its own scans, once, and the missing-scan alert is per cluster. */}}
{{- define "wiscan.alertSelector" -}}
job={{ .Values.pushgateway.job | toJson }}
{{- range $k, $v := .Values.pushgateway.labels }},{{ $k }}={{ $v | toJson }}{{ end }}
{{- end -}}

{{/* Where a person finds the resources behind an alert. */}}
{{- define "wiscan.alertDetails" -}}
{{- if .Values.policyReports.apply -}}
{{- if eq .Values.policyReports.api "openreports.io" -}}
the control plane namespaces' reports (kubectl get reports.openreports.io -A -l app.kubernetes.io/managed-by=wiscan) and the scan's log (the CronJob's last Job) name
{{- else -}}
the control plane namespaces' PolicyReports (kubectl get policyreports -A -l app.kubernetes.io/managed-by=wiscan) and the scan's log (the CronJob's last Job) name
{{- end -}}
{{- else -}}
the scan's log (the CronJob's last Job) names
{{- end -}}
{{- end -}}

{{/* The alerting rules on the pushed metrics, one group. Each alert is per
series, so the Pushgateway's grouping labels (cluster=...) stay on it. */}}
{{- define "wiscan.alertGroups" -}}
{{- $sel := include "wiscan.alertSelector" . -}}
{{- $details := include "wiscan.alertDetails" . -}}
- name: wiscan
  rules:
  - alert: WiscanCriticalFinding
    expr: {{ printf "wiscan_findings{%s,status=\"fail\",severity=\"critical\"} > 0" $sel | toJson }}
    labels:
      severity: critical
    annotations:
      summary: {{`"{{ $labels.control }} fails: critical workload identity finding"`}}
      description: {{ printf "The last wiscan scan found {{ $value }} critical finding(s) of {{ $labels.control }}{{ with $labels.cloud }} on {{ . }}{{ end }}{{ with $labels.profile }} for profile {{ . }}{{ end }}. Static credentials or a trust policy open to other workloads may be in use; %s the resources." $details | toJson }}
      runbook_url: {{`"https://github.com/wiscan/wiscan/blob/main/docs/controls/{{ $labels.control }}.md"`}}
  - alert: WiscanHighFinding
    expr: {{ printf "wiscan_findings{%s,status=\"fail\",severity=\"high\"} > 0" $sel | toJson }}
    labels:
      severity: warning
    annotations:
      summary: {{`"{{ $labels.control }} fails: high workload identity finding"`}}
      description: {{ printf "The last wiscan scan found {{ $value }} high finding(s) of {{ $labels.control }}{{ with $labels.cloud }} on {{ . }}{{ end }}{{ with $labels.profile }} for profile {{ . }}{{ end }}: backups may be failing; %s the resources." $details | toJson }}
      runbook_url: {{`"https://github.com/wiscan/wiscan/blob/main/docs/controls/{{ $labels.control }}.md"`}}
  - alert: WiscanControlUnverified
    expr: {{ printf "wiscan_control_result{%s,result=\"unknown\",severity=~\"critical|high\"} == 1" $sel | toJson }}
    for: 1h
    labels:
      severity: warning
    annotations:
      summary: {{`"{{ $labels.control }} cannot be verified"`}}
      description: {{ printf "wiscan could not read what {{ $labels.control }} needs for over an hour (access denied, API disabled, or no cloud identity); %s what is missing." $details | toJson }}
      runbook_url: {{`"https://github.com/wiscan/wiscan/blob/main/docs/controls/{{ $labels.control }}.md"`}}
  - alert: WiscanScanStale
    expr: {{ printf "time() - wiscan_last_scan_timestamp_seconds{%s} > %v" $sel .Values.prometheusRule.staleAfterSeconds | toJson }}
    labels:
      severity: warning
    annotations:
      summary: "wiscan has not reported for a while"
      description: {{`"The last wiscan report{{ with $labels.cluster }} of cluster {{ . }}{{ end }} is {{ $value | humanizeDuration }} old: scans fail before their report (see the CronJob's failed Jobs) or stopped running."`}}
      runbook_url: "https://github.com/wiscan/wiscan/blob/main/docs/alerts.md#wiscanscanstale"
  - alert: WiscanScanMissing
    expr: {{ printf "absent(wiscan_last_scan_timestamp_seconds{%s})" $sel | toJson }}
    for: {{ .Values.prometheusRule.staleAfterSeconds }}s
    labels:
      severity: warning
    annotations:
      summary: "No wiscan report has been pushed"
      description: {{`"No wiscan metrics{{ with $labels.cluster }} of cluster {{ . }}{{ end }} reach Prometheus: check the CronJob, its pushgateway.url, and that Prometheus scrapes the Pushgateway with honor_labels."`}}
      runbook_url: "https://github.com/wiscan/wiscan/blob/main/docs/alerts.md#wiscanscanmissing"
  - alert: WiscanDeliveryFailed
    expr: {{ printf "wiscan_delivery_failed{%s} == 1" $sel | toJson }}
    labels:
      severity: warning
    annotations:
      summary: {{`"wiscan could not deliver its {{ $labels.output }} output"`}}
      description: {{`"The last wiscan scan{{ with $labels.cluster }} of cluster {{ . }}{{ end }} could not apply its {{ $labels.output }} output (the CRD is not installed, or the apply was refused), so those objects hold an earlier scan's results; the scan's log (the CronJob's last Job) says why."`}}
      runbook_url: "https://github.com/wiscan/wiscan/blob/main/docs/alerts.md#wiscandeliveryfailed"
{{- end -}}
