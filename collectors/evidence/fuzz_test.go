package evidence

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// FuzzLoad reads one arbitrary file as evidence. Seeds are the shipped
// bundle's real kubectl and AWS CLI outputs. Loading never panics, and no
// gap message quotes a token of the input that looks like a secret.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/evidence/broken-space/*")
	more, _ := filepath.Glob("../../testdata/evidence/broken-space/aws/*")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil { //nolint:gosec // G304: a file the test itself wrote or ships
			f.Add(b)
		}
	}
	f.Add([]byte("[{\"apiVersion\": \"v1\", \"kind\": \"Secret\"}]"))
	f.Add([]byte("\xFF\xFEa\x00p\x00i\x00"))
	// One folder per fuzzing process, its file rewritten for each input:
	// a folder made and removed per input costs more than the loading.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "f"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := snapshot.New(time.Unix(0, 0))
		p, _ := profiles.Get(profiles.Default)
		s.Profiles = []snapshot.Profile{p}
		// A loop that never ends is a failure with its input saved, not a
		// stalled fuzzer.
		watchdog := time.AfterFunc(5*time.Second, func() {
			buf := make([]byte, 1<<16)
			panic("evidence loading did not end within 5 s:\n" + string(buf[:runtime.Stack(buf, true)]))
		})
		err := (&Collector{Dir: dir}).Collect(context.Background(), s)
		watchdog.Stop()
		if err != nil {
			t.Fatalf("collect: %v", err)
		}
		for _, tok := range strings.Fields(string(data)) {
			tok = strings.Trim(tok, `"',:{}[]`)
			if !secrets.HighEntropy(tok) {
				continue
			}
			for _, e := range s.Errors {
				if strings.Contains(e.Message, tok) {
					t.Fatalf("gap message quotes the input: %q", e.Message)
				}
			}
		}
	})
}
