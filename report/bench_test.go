package report

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

// benchReport is a report of 3,000 findings over 1,000 namespaces: three
// per control plane, as a Space with a broken shared setup gives.
func benchReport() Report {
	s := snapshot.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	s.Profiles = []snapshot.Profile{{Name: "spaces-backup"}}
	controls := []Control{{ID: "WI-K8S-003", Severity: High, Title: "t"}, {ID: "WI-K8S-005", Severity: High, Title: "t"}, {ID: "WI-K8S-010", Severity: Critical, Title: "t"}}
	var fs []Finding
	for i := range 1000 {
		ns := fmt.Sprintf("mxp-%08d-system", i)
		s.Profiles[0].Targets = append(s.Profiles[0].Targets, ns)
		for _, c := range controls {
			f := Finding{ControlID: c.ID, Status: Fail, Severity: c.Severity, Message: "a message of a typical length about what is wrong with this object", Cloud: "aws", Profile: "spaces-backup",
				Resource: Resource{Kind: "ServiceAccount", Namespace: ns, Name: "mxp-controller", File: "serviceaccounts.yaml", Line: i + 1},
				Fix:      &Fix{Action: Restart, Kind: "Deployment", Namespace: ns, Name: "mxp-controller"}}
			f.Key = FindingKey(c.ID, f.Resource, "")
			f.Fingerprint = Fingerprint(f.Key)
			fs = append(fs, f)
		}
	}
	return New(Tool{Name: "wiscan", Version: "v1.0.0"}, time.Now(), s, controls, fs, nil)
}

// BenchmarkWriters renders a 3,000-finding report in every format.
func BenchmarkWriters(b *testing.B) {
	r := benchReport()
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			w := f.New(io.Discard, Options{FailOn: High, FailOnUnknown: true, Width: 100})
			for b.Loop() {
				if err := w.Write(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
