{{/* The alerting rules on the pushed metrics, one group. Each alert is per
series, so the Pushgateway's grouping labels (cluster=...) stay on it. */}}
{{- define "wiscan.alertGroups" -}}
- name: wiscan
  rules:
  - alert: WiscanCriticalFinding
    expr: wiscan_findings{status="fail", severity="critical"} > 0
    labels:
      severity: critical
    annotations:
      summary: {{`"{{ $labels.control }} fails: critical workload identity finding"`}}
      description: {{`"The last wiscan scan found {{ $value }} critical finding(s) of {{ $labels.control }}{{ with $labels.cloud }} on {{ . }}{{ end }}{{ with $labels.profile }} for profile {{ . }}{{ end }}. Static credentials or a trust policy open to other workloads may be in use; the scan's log (the CronJob's last Job) names the resources."`}}
      runbook_url: {{`"https://github.com/wiscan/wiscan/blob/main/docs/controls/{{ $labels.control }}.md"`}}
  - alert: WiscanHighFinding
    expr: wiscan_findings{status="fail", severity="high"} > 0
    labels:
      severity: warning
    annotations:
      summary: {{`"{{ $labels.control }} fails: high workload identity finding"`}}
      description: {{`"The last wiscan scan found {{ $value }} high finding(s) of {{ $labels.control }}{{ with $labels.cloud }} on {{ . }}{{ end }}{{ with $labels.profile }} for profile {{ . }}{{ end }}: backups may be failing. The scan's log (the CronJob's last Job) names the resources."`}}
      runbook_url: {{`"https://github.com/wiscan/wiscan/blob/main/docs/controls/{{ $labels.control }}.md"`}}
  - alert: WiscanControlUnverified
    expr: wiscan_control_result{result="unknown", severity=~"critical|high"} == 1
    for: 1h
    labels:
      severity: warning
    annotations:
      summary: {{`"{{ $labels.control }} cannot be verified"`}}
      description: {{`"wiscan could not read what {{ $labels.control }} needs for over an hour (access denied, API disabled, or no cloud identity); the scan's log (the CronJob's last Job) names what is missing."`}}
      runbook_url: {{`"https://github.com/wiscan/wiscan/blob/main/docs/controls/{{ $labels.control }}.md"`}}
  - alert: WiscanScanStale
    expr: time() - wiscan_last_scan_timestamp_seconds > {{ .Values.prometheusRule.staleAfterSeconds }}
    labels:
      severity: warning
    annotations:
      summary: "wiscan has not reported for a while"
      description: {{`"The last wiscan report is {{ $value | humanizeDuration }} old: scans fail before their report (see the CronJob's failed Jobs) or stopped running."`}}
      runbook_url: "https://github.com/wiscan/wiscan/blob/main/docs/alerts.md#wiscanscanstale"
  - alert: WiscanScanMissing
    expr: absent(wiscan_last_scan_timestamp_seconds)
    for: {{ .Values.prometheusRule.staleAfterSeconds }}s
    labels:
      severity: warning
    annotations:
      summary: "No wiscan report has been pushed"
      description: "No wiscan metrics reach Prometheus: check the CronJob, its pushgateway.url, and that Prometheus scrapes the Pushgateway with honor_labels."
      runbook_url: "https://github.com/wiscan/wiscan/blob/main/docs/alerts.md#wiscanscanmissing"
{{- end -}}
