package report

import (
	"fmt"
	"strings"
)

// DocsURL is where the control pages are published; alerts link to
// DocsURL + "/<control ID>.md" as their runbook.
const DocsURL = "https://github.com/wiscan/wiscan/blob/main/docs/controls"

// areas name what part of the setup a control's package checks.
var areas = map[string]string{
	"k8s": "the Kubernetes side, on every cloud", "aws": "AWS (EKS: IRSA and Pod Identity)",
	"azure": "Azure (AKS workload identity)", "gcp": "Google Cloud (GKE workload identity)",
	"scan": "the scan itself", "waivers": "the waivers and baseline",
}

// ControlDoc is a control's documentation page, in Markdown: what it
// checks and why, how to fix it, where a failure's details are.
func ControlDoc(c Control) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n\n", c.ID, c.Title)
	fmt.Fprintf(&b, "Severity **%s** · checks %s · policy `%s`\n\n", c.Severity, checks(c), c.Package)
	fmt.Fprintf(&b, "## What it checks, and why\n\n%s\n\n", c.Description)
	if c.Remediation != "" {
		fmt.Fprintf(&b, "## How to fix it\n\n%s\n\n", c.Remediation)
	}
	b.WriteString("## Where the details are\n\n" +
		"Each finding names its resource (with the evidence file and line in evidence mode), what is wrong, and a fix:\n\n" +
		"- in the scan's table: `kubectl logs job/<the CronJob's last Job> -n <its namespace>` for the chart's scheduled scan;\n" +
		"- in the PolicyReports, when the scan applies them (`--apply-policyreports`, the chart's `policyReports.apply`): `kubectl get policyreport wiscan -n <control plane namespace> -o yaml`, the results whose `policy` is " + c.ID + ";\n" +
		"- in the JSON report (`wiscan scan -o json=report.json`), whose `fix` a plan turns into commands (`wiscan plan report.json`);\n" +
		"- in the metrics: `wiscan_findings{control=\"" + c.ID + "\"}` and `wiscan_control_result{control=\"" + c.ID + "\"}`.\n\n" +
		"An `unknown` result names what could not be read: grant the scanner the read-only access the README lists, or export the missing piece into the evidence.\n")
	if len(c.RelatedResources) > 0 {
		b.WriteString("\n## See also\n\n")
		for _, r := range c.RelatedResources {
			fmt.Fprintf(&b, "- <%s>\n", r)
		}
	}
	return b.String()
}

func checks(c Control) string {
	parts := strings.Split(c.Package, ".")
	if len(parts) > 1 {
		if a, ok := areas[parts[1]]; ok {
			return a
		}
	}
	return "your own policy"
}

// ControlsIndex is the page that lists every control's page.
func ControlsIndex(cs []Control) string {
	var b strings.Builder
	b.WriteString("# wiscan's controls\n\nOne page a control, made from its policy's METADATA (`go run ./hack/controldocs`); alerts link here as their runbook.\n\n| ID | severity | title |\n|---|---|---|\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "| [%s](%s.md) | %s | %s |\n", c.ID, c.ID, c.Severity, c.Title)
	}
	return b.String()
}
