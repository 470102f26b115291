// Package evidence builds a snapshot from files exported with kubectl (and,
// as the cloud collectors join, with the cloud CLIs) instead of live APIs.
// Files are recognised by their content, not their names; every object
// remembers the file and line it came from.
package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// Name is the collector's name in snapshots.
const Name = "evidence"

// ErrUnreadable marks an evidence directory that cannot be read at all.
var ErrUnreadable = errors.New("evidence directory unreadable")

// maxFileSize bounds one evidence file.
const maxFileSize = 256 << 20

// Collector reads an evidence directory (or a single file).
type Collector struct {
	Dir      string
	Progress collectors.Progress
	Log      *slog.Logger
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return Name }

// coreKinds are the kinds whose absence from a bundle is a gap.
var coreKinds = []string{"ServiceAccount", "Deployment", "Pod", "Secret"}

// Collect reads every file below Dir. A malformed file becomes a gap naming
// the file and line; the other files are still read.
func (c *Collector) Collect(ctx context.Context, s *snapshot.Snapshot) error {
	start := time.Now()
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	files, err := list(c.Dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	s.Source = snapshot.Source{Mode: "evidence", Evidence: c.Dir}
	r := &reader{s: s, log: log, seen: map[string]int{}, aws: newAWSReader()}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.file(c.Dir, f)
		c.Progress.Report(fmt.Sprintf("read %d/%d evidence files", i+1, len(files)))
	}
	kube.DeriveNamespaces(&s.Kubernetes)
	r.aws.finish(r)
	r.notProvided()
	if err := profiles.Target(s); err != nil {
		return err
	}
	s.Stats = append(s.Stats, snapshot.CollectorStats{
		Collector:       Name,
		DurationSeconds: time.Since(start).Seconds(),
		Objects:         r.seen,
	})
	return nil
}

// list returns the regular files below dir (or dir itself if it is a file),
// sorted, skipping hidden files and directories.
func list(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{dir}, nil
	}
	var out []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

type reader struct {
	s    *snapshot.Snapshot
	log  *slog.Logger
	seen map[string]int
	aws  *awsReader
}

func (r *reader) malformed(file string, line int, msg string) {
	r.log.Warn("malformed evidence", "file", file, "line", line, "error", msg)
	r.s.AddError(snapshot.CollectionError{
		Collector: Name, Reason: "malformed",
		Message: fmt.Sprintf("%s:%d: %s", file, line, msg),
		Source:  &snapshot.Location{File: file, Line: line},
	})
}

// file reads one evidence file.
func (r *reader) file(root, path string) {
	name := relative(root, path)
	b, err := readFile(path)
	if err != nil {
		r.malformed(name, 0, err.Error())
		return
	}
	if bytes.IndexByte(b, 0) >= 0 {
		r.log.Debug("skipped binary file", "file", name)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if looksLikeData(name, b) {
				r.malformed(name, yamlLine(err), yamlReason(err))
			} else {
				r.log.Debug("skipped file that is not YAML or JSON", "file", name)
			}
			return
		}
		if len(doc.Content) == 0 {
			continue
		}
		r.document(name, doc.Content[0])
	}
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxFileSize>>20)
	}
	return b, nil
}

func relative(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil && rel != "." {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

// looksLikeData tells a malformed data file from a file that was never meant
// to be data (a README beside the exports).
func looksLikeData(name string, b []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	t := bytes.TrimSpace(b)
	return bytes.HasPrefix(t, []byte("{")) || bytes.HasPrefix(t, []byte("apiVersion:")) || bytes.HasPrefix(t, []byte("---"))
}

var lineRE = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// yamlReason keeps the parser's reason and drops anything that could quote
// the file's content.
func yamlReason(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = lineRE.ReplaceAllString(msg, "")
	msg = strings.TrimLeft(msg, ": ")
	if i := strings.IndexAny(msg, "`'\""); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	if msg == "" {
		msg = "cannot parse"
	}
	return "invalid YAML or JSON: " + msg
}

// document handles one YAML document: a single object or a list of them.
func (r *reader) document(file string, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	kind, apiVersion := scalar(n, "kind"), scalar(n, "apiVersion")
	if kind == "" && apiVersion == "" && r.awsDocument(file, n) {
		return
	}
	if kind == "" || apiVersion == "" {
		r.log.Debug("skipped unrecognised document", "file", file, "line", n.Line)
		return
	}
	if items := field(n, "items"); items != nil && strings.HasSuffix(kind, "List") {
		itemKind := strings.TrimSuffix(kind, "List")
		for _, it := range items.Content {
			r.object(file, it, apiVersion, itemKind)
		}
		return
	}
	r.object(file, n, "", "")
}

// object stores one object; apiVersion and kind fill in what list items of
// a typed list leave out.
func (r *reader) object(file string, n *yaml.Node, apiVersion, kind string) {
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		r.malformed(file, n.Line, yamlReason(err))
		return
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetAPIVersion() == "" && apiVersion != "" {
		u.SetAPIVersion(apiVersion)
	}
	if u.GetKind() == "" && kind != "" {
		u.SetKind(kind)
	}
	gvk := u.GroupVersionKind()
	if !kube.Supported(gvk) {
		r.log.Debug("skipped kind", "file", file, "line", n.Line, "kind", gvk.Kind)
		return
	}
	loc := &snapshot.Location{File: file, Line: n.Line}
	if err := kube.Add(r.s, u, loc); err != nil {
		r.malformed(file, n.Line, err.Error())
		return
	}
	r.seen[gvk.Kind]++
}

func field(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node, key string) string {
	if v := field(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// notProvided records a gap for each kind the controls need that the bundle
// does not contain, so that a control on it is unknown rather than passed.
func (r *reader) notProvided() {
	kinds := append([]string{}, coreKinds...)
	for _, p := range r.s.Profiles {
		if p.BackupConfig != "" {
			kinds = append(kinds, p.BackupConfig)
		}
		if p.Namespaces.Selector != "" {
			kinds = append(kinds, "Namespace")
		}
	}
	done := map[string]bool{}
	for _, k := range kinds {
		if done[k] || r.seen[k] > 0 {
			continue
		}
		done[k] = true
		r.s.AddError(snapshot.CollectionError{
			Collector: Name, Kind: k, Reason: "not-provided",
			Message: fmt.Sprintf("the evidence holds no %s objects; export them with kubectl get %s -A -o yaml", k, strings.ToLower(k)+"s"),
		})
	}
}

// awsDocument hands a document without kind and apiVersion to the AWS
// reader, in the JSON types the policy parser expects.
func (r *reader) awsDocument(file string, n *yaml.Node) bool {
	var v any
	if err := n.Decode(&v); err != nil {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil {
		return false
	}
	lines := func(key string, i int) int {
		if l := field(n, key); l != nil && l.Kind == yaml.SequenceNode && i < len(l.Content) {
			return l.Content[i].Line
		}
		return 0
	}
	if !r.aws.document(file, n.Line, m, lines) {
		return false
	}
	r.seen["AWS"]++
	return true
}
