package evidence

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

const saYAML = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mxp-controller, namespace: " + ns + "}\n"

func utf16le(s string, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

// gapFor returns the gap whose source is file.
func gapFor(s *snapshot.Snapshot, file string) *snapshot.CollectionError {
	for i, e := range s.Errors {
		if e.Source != nil && e.Source.File == file {
			return &s.Errors[i]
		}
	}
	return nil
}

// Every encoding a Windows or Unix shell writes is read.
func TestEncodings(t *testing.T) {
	for name, body := range map[string]string{
		"utf8-bom":       "\xEF\xBB\xBF" + saYAML,
		"utf16le-bom":    utf16le(saYAML, true),
		"utf16le-no-bom": utf16le(saYAML, false),
	} {
		t.Run(name, func(t *testing.T) {
			s := collectDir(t, map[string]string{"sa": body})
			if _, ok := s.Kubernetes.ServiceAccounts[ns]["mxp-controller"]; !ok {
				t.Fatalf("service account not read; gaps %+v", s.Errors)
			}
			if g := gapFor(s, "sa"); g != nil {
				t.Errorf("gap %+v", g)
			}
		})
	}
}

// Each file that holds no evidence ends as a gap with its file and line,
// whatever its name; a credential in a malformed file is never silently
// skipped.
func TestEveryFileAccountedFor(t *testing.T) {
	cases := []struct {
		file, body, reason string
		line               int
	}{
		// YAML errors carry the parser's line (-1: any line).
		{"creds", "apiVersion: v1\nkind: Secret\nmetadata: {name: s\nstringData:\n", "malformed", -1},
		{"notes.md", "# notes\nsome: [text\n", "malformed", -1},
		{"binary.bin", "\x00\x01\x02apiVersion", "unrecognised", 0},
		{"empty.yaml", "  \n", "unrecognised", 0},
		{"scalar.json", `"just a string"`, "malformed", 1},
		{"other.json", `{"Foo": 1}`, "malformed", 1},
		{"truncated.json", `{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod"`, "malformed", 1},
		{"array-scalars.json", `[1, 2]`, "malformed", 1},
	}
	files := map[string]string{"sa.yaml": saYAML}
	for _, c := range cases {
		files[c.file] = c.body
	}
	s := collectDir(t, files)
	for _, c := range cases {
		g := gapFor(s, c.file)
		if g == nil {
			t.Errorf("%s: no gap; gaps %+v", c.file, s.Errors)
			continue
		}
		lineOK := g.Source.Line == c.line || (c.line == -1 && g.Source.Line > 0)
		if g.Reason != c.reason || !lineOK || !strings.HasPrefix(g.Message, c.file+":") {
			t.Errorf("%s: gap %s at line %d (%q), want %s at line %d", c.file, g.Reason, g.Source.Line, g.Message, c.reason, c.line)
		}
	}
}

// A JSON array of objects and kubectl's JSON list are read item by item,
// with each item's line.
func TestJSONStreams(t *testing.T) {
	s := collectDir(t, map[string]string{
		"array.json": "[\n" + `{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a", "namespace": "` + ns + `"}},` + "\n" +
			`{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "b", "namespace": "` + ns + `"}}` + "\n]",
		"list.json": "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\n      \"metadata\": {\"name\": \"p\", \"namespace\": \"" + ns + "\"},\n      \"spec\": {\"containers\": []}\n    }\n  ],\n  \"kind\": \"PodList\"\n}\n",
	})
	sas := s.Kubernetes.ServiceAccounts[ns]
	if sas["a"].Source == nil || sas["a"].Source.Line != 2 || sas["b"].Source == nil || sas["b"].Source.Line != 3 {
		t.Errorf("array items %+v, want lines 2 and 3", sas)
	}
	if p, ok := s.Kubernetes.Pods[ns]["p"]; !ok || p.Source.Line != 4 {
		t.Errorf("typed list item %+v, want line 4; gaps %+v", p, s.Errors)
	}
}

// Two different copies of one object are a conflict naming both files; a
// Secret keeps the credentials of both, so a finding cannot disappear.
func TestConflicts(t *testing.T) {
	secret := func(key, value string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: " + ns + "}\nstringData:\n  " + key + ": " + value + "\n"
	}
	s := collectDir(t, map[string]string{
		"a.yaml": secret("aws_access_key_id", "AKIA"+"IOSFODNN7EXAMPLE"),
		"b.yaml": secret("note", "nothing here"),
		"c.yaml": saYAML,
		"d.yaml": strings.Replace(saYAML, "metadata:", "metadata: {annotations: {eks.amazonaws.com/role-arn: x}}\nignored:", 1),
		"e.yaml": saYAML, // an identical copy is no conflict
	})
	sec := s.Kubernetes.Secrets[ns]["s"]
	if len(sec.Credentials) != 1 || len(sec.Keys) != 2 {
		t.Errorf("secret after conflict %+v, want both keys and the credential", sec)
	}
	var conflicts []snapshot.CollectionError
	for _, e := range s.Errors {
		if e.Reason == "conflict" {
			conflicts = append(conflicts, e)
		}
	}
	if len(conflicts) != 1 || !strings.Contains(conflicts[0].Message, "a.yaml:1 and b.yaml:1") {
		t.Fatalf("conflicts %+v, want one for the Secret naming a.yaml and b.yaml", conflicts)
	}
	if conflicts[0].Kind != "" {
		t.Errorf("the Secret conflict makes its controls unknown: %+v", conflicts[0])
	}
}

// A symbolic link named on the command line is followed; links and FIFOs
// inside the folder are reported and never opened (a FIFO would block).
func TestLinksAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sa.yaml"), []byte(saYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sa.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "bundle")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	s := snapshot.New(time.Now())
	p, _ := profiles.Get(profiles.Default)
	s.Profiles = []snapshot.Profile{p}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := (&Collector{Dir: link}).Collect(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Kubernetes.ServiceAccounts[ns]["mxp-controller"]; !ok {
		t.Error("the folder behind the link was not read")
	}
	for file, want := range map[string]string{"link.yaml": "symbolic link", "fifo": "FIFO"} {
		if g := gapFor(s, file); g == nil || !strings.Contains(g.Message, want) {
			t.Errorf("%s: gap %+v, want one saying %s", file, g, want)
		}
	}
	// A FIFO named as the evidence itself is refused up front.
	s2 := snapshot.New(time.Now())
	if err := (&Collector{Dir: filepath.Join(dir, "fifo")}).Collect(ctx, s2); err == nil {
		t.Error("a FIFO as the evidence was accepted")
	}
}

// A pod whose ReplicaSet is not tied to its Deployment by the hash label is
// attributed through the Deployment's selector; one that no selector
// matches is a gap, never dropped.
func TestPodAttribution(t *testing.T) {
	dep := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mxp-controller, namespace: " + ns + "}\nspec:\n  selector: {matchLabels: {app: mxp-controller}}\n  template: {spec: {containers: []}}\n"
	pod := func(name, app string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n  labels: {app: " + app + "}\n" +
			"  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: mxp-controller-abc, uid: u, controller: true}]\nspec: {containers: []}\n"
	}
	s := collectDir(t, map[string]string{"d.yaml": dep, "p1.yaml": pod("good", "mxp-controller"), "p2.yaml": pod("stray", "other")})
	if got := s.Kubernetes.Pods[ns]["good"].Workload; got == nil || got.Name != "mxp-controller" || got.Kind != "Deployment" {
		t.Errorf("pod matched by selector attributed to %+v", got)
	}
	var found bool
	for _, e := range s.Errors {
		if e.Reason == "unattributed" && e.Kind == "Pod" && e.Name == "stray" && e.Namespace == ns {
			found = true
		}
	}
	if !found {
		t.Errorf("no gap for the pod that cannot be attributed: %+v", s.Errors)
	}
}

// A key given twice is a gap naming the file, the line of the second
// occurrence and the key, in every syntax the evidence comes in; the object
// is not read, and the gap names its kind and namespace, so that the
// controls reading that kind there are unknown instead of passing on the
// object with its data emptied (a second, empty data hides a Secret's keys).
func TestDuplicateKeys(t *testing.T) {
	secretJSON := "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n" +
		"{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\", \"namespace\": \"" + ns + "\"},\n" +
		" \"data\": {\"aws_secret_access_key\": \"eA==\"},\n" +
		" \"data\": {}}\n]}\n"
	cases := []struct {
		file, body, kind, key string
		line                  int
	}{
		{"list.json", secretJSON, "Secret", `"data"`, 4},
		{"single.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"p\", \"namespace\": \"" + ns + "\",\n \"labels\": {\"a\": \"1\",\n \"a\": \"2\"}}}\n", "Pod", `"a"`, 4},
		{"top.json", "{\"apiVersion\": \"v1\", \"kind\": \"ServiceAccount\",\n \"metadata\": {\"name\": \"x\", \"namespace\": \"" + ns + "\"},\n \"metadata\": {\"name\": \"y\", \"namespace\": \"" + ns + "\"}}\n", "ServiceAccount", `"metadata"`, 3},
		{"secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: t, namespace: " + ns + "}\ndata:\n  k: eA==\ndata: {}\n", "Secret", `"data"`, 6},
		{"aws.json", "{\"Role\": {\"RoleName\": \"a\",\n \"RoleName\": \"b\"}}\n", "", `"RoleName"`, 2},
	}
	files := map[string]string{"sa.yaml": saYAML}
	for _, c := range cases {
		files[c.file] = c.body
	}
	s := collectDir(t, files)
	for _, c := range cases {
		g := gapFor(s, c.file)
		if g == nil {
			t.Errorf("%s: no gap; gaps %+v", c.file, s.Errors)
			continue
		}
		if g.Reason != "malformed" || g.Source.Line != c.line || g.Kind != c.kind || !strings.Contains(g.Message, c.key+" twice") {
			t.Errorf("%s: gap %+v, want malformed at line %d naming %s, kind %q", c.file, *g, c.line, c.key, c.kind)
		}
		if c.kind != "" && g.Namespace != ns {
			t.Errorf("%s: gap in namespace %q, want %s", c.file, g.Namespace, ns)
		}
	}
	if _, ok := s.Kubernetes.Secrets[ns]["s"]; ok {
		t.Error("the Secret given with two data keys was read")
	}
	if _, ok := s.Kubernetes.Pods[ns]["p"]; ok {
		t.Error("the pod given with two labels of one key was read")
	}
}

// An object of a kind the controls read that cannot be converted (a pod
// whose token expiry is not a number) is a gap for its kind and
// namespace, not a file gap that leaves the namespace's controls to pass.
func TestUnconvertibleObjectNamesItsKind(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: " + ns + "}\nspec:\n  containers: []\n  volumes:\n  - name: tok\n    projected:\n      sources:\n      - serviceAccountToken: {audience: sts.amazonaws.com, path: token, expirationSeconds: soon}\n"
	s := collectDir(t, map[string]string{"sa.yaml": saYAML, "pod.yaml": pod})
	g := gapFor(s, "pod.yaml")
	if g == nil || g.Kind != "Pod" || g.Namespace != ns || g.Name != "p" || g.Reason != "malformed" || g.Source.Line != 1 {
		t.Fatalf("gap %+v, want a malformed Pod %s/p at line 1", g, ns)
	}
}
