// Package evidence builds a snapshot from files exported with kubectl (and,
// as the cloud collectors join, with the cloud CLIs) instead of live APIs.
// Files are recognised by their content, not their names or encodings;
// every object remembers the file and line it came from, and every file
// ends as objects or as a gap naming it.
package evidence

import (
	"bytes"
	"cmp"
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
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wiscan/wiscan/collectors"
	awscollector "github.com/wiscan/wiscan/collectors/aws"
	azurecollector "github.com/wiscan/wiscan/collectors/azure"
	gcpcollector "github.com/wiscan/wiscan/collectors/gcp"
	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/input"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// Name is the collector's name in snapshots.
const Name = "evidence"

// ErrUnreadable marks an evidence directory that cannot be read at all.
var ErrUnreadable = errors.New("evidence directory unreadable")

// maxFileSize bounds one evidence file.
const maxFileSize = 1 << 30

// maxWholeFile bounds a file that is read whole (an AWS CLI output); object
// lists and arrays are streamed whatever their size.
const maxWholeFile = 256 << 20

// Collector reads an evidence directory (or a single file).
type Collector struct {
	Dir      string
	Progress collectors.Progress
	Log      *slog.Logger
	// Recognizers make the clouds' evidence readers for a scan; nil means
	// the built-in list (recognizers).
	Recognizers func() []collectors.Recognizer
	// SkipClouds are the clouds (aws, azure, gcp) whose exports are
	// recognised and counted but not read (--skip-cloud), as a live scan
	// does not read them.
	SkipClouds []string
	// SkipSecrets leaves the Secrets in the evidence unread (counted, not
	// kept), as a live scan with --skip-secrets lists none.
	SkipSecrets bool
}

// unread recognises a cloud's files, so that none is reported as
// unrecognised, and reads nothing from them.
type unread struct{ collectors.Recognizer }

func (unread) Finish(*snapshot.Snapshot, collectors.EvidenceGaps) {}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return Name }

// coreKinds are the kinds whose absence from a bundle is a gap.
var coreKinds = []string{"ServiceAccount", "Pod", "Secret"}

// Collect reads every file below Dir. A file that is not evidence, or is
// malformed, becomes a gap naming the file and line; the other files are
// still read. A symbolic link named as Dir is followed; links inside it
// are not (each is reported).
func (c *Collector) Collect(ctx context.Context, s *snapshot.Snapshot) error {
	start := time.Now()
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root, err := filepath.EvalSymlinks(c.Dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	files, skipped, err := list(root)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	s.Source = snapshot.Source{Mode: "evidence", Evidence: c.Dir, SkipSecrets: c.SkipSecrets}
	newRecognizers := c.Recognizers
	if newRecognizers == nil {
		newRecognizers = recognizers
	}
	clouds := newRecognizers()
	for i, rec := range clouds {
		if slices.ContainsFunc(c.SkipClouds, func(name string) bool { return strings.EqualFold(name, rec.Name()) }) {
			clouds[i] = unread{rec}
		}
	}
	r := &reader{s: s, log: log, seen: map[string]int{}, clouds: clouds, where: map[string]*snapshot.Location{}}
	for _, sk := range skipped {
		r.gapFile(relative(root, sk.path), 0, "unreadable", sk.reason)
	}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.file(ctx, root, f); err != nil {
			return err
		}
		c.Progress.Report(fmt.Sprintf("read %d/%d evidence files", i+1, len(files)))
	}
	// Workloads of kinds no profile names are read (and counted) but not
	// kept: a live scan does not list them either.
	read := kube.WorkloadKindsRead(s)
	for _, kind := range snapshot.WorkloadKinds {
		if !read[kind] {
			clear(s.Kubernetes.Workloads(kind))
		}
	}
	kube.DeriveNamespaces(&s.Kubernetes)
	if err := profiles.Target(s); err != nil {
		return err
	}
	kube.PruneNodes(s)
	for _, rec := range r.clouds {
		rec.Finish(s, gapSink{r})
	}
	r.notProvided()
	for _, g := range kube.Attribute(&s.Kubernetes, Name) {
		r.log.Warn("collection gap", "kind", g.Kind, "namespace", g.Namespace, "reason", g.Reason)
		s.AddError(g)
	}
	s.Stats = append(s.Stats, snapshot.CollectorStats{
		Collector:       Name,
		DurationSeconds: time.Since(start).Seconds(),
		Objects:         r.seen,
	})
	return nil
}

type skippedFile struct{ path, reason string }

// list returns the regular files below dir (or dir itself if it is a
// regular file), sorted, and what it will not read: links, FIFOs,
// sockets, devices and hidden folders, each with the reason. Nothing is
// opened here, so a FIFO cannot block the scan.
func list(dir string) ([]string, []skippedFile, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, err
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s is a %s, not a file or folder", dir, fileType(info.Mode()))
		}
		return []string{dir}, nil, nil
	}
	var out []string
	var skipped []skippedFile
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			skipped = append(skipped, skippedFile{p, "cannot be read: " + errors.Unwrap(err).Error()})
			return nil
		}
		switch {
		case p == dir:
		case d.IsDir() && strings.HasPrefix(d.Name(), "."):
			skipped = append(skipped, skippedFile{p, "a hidden folder, not read"})
			return filepath.SkipDir
		case d.Type().IsRegular():
			out = append(out, p)
		case !d.IsDir():
			skipped = append(skipped, skippedFile{p, "a " + fileType(d.Type()) + ", not read (only regular files are evidence; links inside the folder are not followed)"})
		}
		return nil
	})
	sort.Strings(out)
	return out, skipped, err
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

type reader struct {
	s    *snapshot.Snapshot
	log  *slog.Logger
	seen map[string]int
	// clouds read the clouds' command-line output.
	clouds []collectors.Recognizer
	// where locates each object read so far, by kind, namespace and name,
	// to find two different copies of one object.
	where map[string]*snapshot.Location
}

// gapFile records a gap about one file. The message may name objects from
// the file; whatever in it looks like a credential is redacted.
func (r *reader) gapFile(file string, line int, reason, msg string) {
	msg = secrets.Redact(msg)
	r.log.Warn("evidence file not read", "file", file, "line", line, "reason", reason)
	r.s.AddError(snapshot.CollectionError{
		Collector: Name, Reason: reason,
		Message: fmt.Sprintf("%s:%d: %s", file, line, msg),
		Source:  &snapshot.Location{File: file, Line: line},
	})
}

func (r *reader) malformed(file string, line int, msg string) {
	r.gapFile(file, line, "malformed", msg)
}

// file reads one evidence file. Only a cancelled scan stops the reading;
// every problem of the file is a gap.
func (r *reader) file(ctx context.Context, root, path string) error {
	name := relative(root, path)
	f, err := os.Open(path) //nolint:gosec // G304: reading every file of the folder the user names is the collector's purpose
	if err != nil {
		r.gapFile(name, 0, "unreadable", "cannot be opened: "+errors.Unwrap(err).Error())
		return nil
	}
	defer func() { _ = f.Close() }() // read only: closing cannot lose data
	info, err := f.Stat()
	switch {
	case err != nil:
		r.gapFile(name, 0, "unreadable", "cannot be read")
		return nil
	case !info.Mode().IsRegular():
		r.gapFile(name, 0, "unreadable", "not a regular file, not read")
		return nil
	case info.Size() > maxFileSize:
		r.gapFile(name, 0, "too-large", fmt.Sprintf("larger than %d MiB, not read", maxFileSize>>20))
		return nil
	}
	text, enc := utf8Text(ctxReader{ctx, f})
	fs := &fileSink{r: r, file: name}
	head, _ := text.Peek(512)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		r.gapFile(name, 0, "unrecognised", "empty: no objects")
		return nil
	case trimmed[0] == '[':
		err = streamJSON(text, fs)
	case trimmed[0] == '{' && isKubeJSON(text):
		err = streamJSON(text, fs)
	case trimmed[0] == '{':
		err = r.whole(name, text, fs)
	default:
		err = streamYAML(text, fs)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err != nil {
		reason := "malformed"
		if errors.Is(err, errBinary) {
			reason = "unrecognised"
		}
		line, msg := splitLine(err.Error())
		r.gapFile(name, line, reason, msg)
	}
	if fs.objects == 0 && fs.lists == 0 && err == nil && !fs.reported {
		r.gapFile(name, 0, "unrecognised", "no Kubernetes object or AWS CLI output found ("+enc+" text)")
	}
	return nil
}

// isKubeJSON tells kubectl's JSON (streamed) from an AWS CLI output (read
// whole, for the lines of its parts) by the object's first key.
func isKubeJSON(text interface{ Peek(int) ([]byte, error) }) bool {
	head, _ := text.Peek(4096)
	m := firstKey.FindSubmatch(head)
	return m != nil && kubeKeys[string(m[1])]
}

// whole reads a JSON document in one piece, as YAML nodes that keep the
// line of each part.
func (r *reader) whole(_ string, text io.Reader, fs *fileSink) error {
	b, err := io.ReadAll(io.LimitReader(text, maxWholeFile+1))
	if err != nil {
		return err
	}
	if len(b) > maxWholeFile {
		return fmt.Errorf("a JSON document larger than %d MiB that is not a list of objects", maxWholeFile>>20)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return errBinary
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("line %d: %s", yamlLine(err), yamlReason(err))
	}
	if err := input.CheckNode(&doc); err != nil {
		return err
	}
	fs.node(&doc)
	return nil
}

var linePrefix = regexp.MustCompile(`^line (\d+): `)

func splitLine(msg string) (int, string) {
	if m := linePrefix.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, msg[len(m[0]):]
	}
	return 0, msg
}

// fileSink hands what a stream finds in one file to the reader.
func (f *fileSink) list() { f.lists++ }

type fileSink struct {
	r       *reader
	file    string
	objects int
	// lists counts the lists read, empty ones included.
	lists int
	// reported holds when a gap about the file was recorded.
	reported bool
}

func (f *fileSink) malformed(line int, msg string) {
	f.reported = true
	f.r.malformed(f.file, line, msg)
}

// unusable reports an object of a kind the controls read that could not
// be converted: the gap names its kind and namespace, so that every
// control reading that kind there is unknown, not passed on the objects
// that remain.
func (f *fileSink) unusable(line int, u *unstructured.Unstructured, msg string) {
	f.reported = true
	r := f.r
	msg = secrets.Redact(msg)
	r.log.Warn("evidence object not read", "file", f.file, "line", line, "kind", u.GetKind())
	r.s.AddError(snapshot.CollectionError{
		Collector: Name, Reason: "malformed",
		Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: secrets.Value("", u.GetName()),
		Message: fmt.Sprintf("%s:%d: %s", f.file, line, msg),
		Source:  &snapshot.Location{File: f.file, Line: line},
	})
}

// duplicate reports an object in which some object names a key twice:
// decoders disagree on which value counts (a second, empty data of a
// Secret would hide its keys), so the object is not read, and the gap
// names its kind and namespace, like an object that cannot be converted.
func (f *fileSink) duplicate(_ int, m map[string]any, err error) {
	at, msg := splitLine(err.Error())
	u := &unstructured.Unstructured{Object: m}
	gvk := u.GroupVersionKind()
	switch {
	case gvk.Kind == "" || u.GetAPIVersion() == "":
		f.malformed(at, msg)
	case !kube.Supported(gvk):
		f.objects++
		f.r.seen["other"]++
	default:
		f.objects++
		f.unusable(at, u, msg)
	}
}

func (f *fileSink) node(doc *yaml.Node) {
	if len(doc.Content) == 0 {
		return
	}
	n := doc.Content[0]
	if n.Kind == yaml.SequenceNode {
		for _, it := range n.Content {
			f.document(it)
		}
		return
	}
	f.document(n)
}

// document handles one YAML document: a single object, a list of them, or
// an AWS CLI output.
func (f *fileSink) document(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		f.malformed(n.Line, "not an object")
		return
	}
	kind, apiVersion := scalar(n, "kind"), scalar(n, "apiVersion")
	if kind == "" && apiVersion == "" {
		if f.r.awsDocument(f.file, n) {
			f.objects++
			return
		}
		f.malformed(n.Line, f.r.notEvidence())
		return
	}
	if items := field(n, "items"); items != nil && strings.HasSuffix(kind, "List") {
		f.list()
		for _, it := range items.Content {
			var im map[string]any
			if it.Kind != yaml.MappingNode {
				f.malformed(it.Line, "a list item is not an object")
				continue
			}
			if err := it.Decode(&im); err != nil {
				f.undecodable(it, apiVersion, strings.TrimSuffix(kind, "List"), err)
				continue
			}
			f.value(it.Line, im, apiVersion, strings.TrimSuffix(kind, "List"))
		}
		return
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		f.undecodable(n, "", "", err)
		return
	}
	f.value(n.Line, m, "", "")
}

// undecodable reports an object whose YAML cannot be decoded (a key given
// twice, a value of the wrong type): by its kind and namespace when it
// names them, so that the controls reading them there are unknown.
func (f *fileSink) undecodable(n *yaml.Node, apiVersion, kind string, err error) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(cmp.Or(scalar(n, "apiVersion"), apiVersion))
	u.SetKind(cmp.Or(scalar(n, "kind"), kind))
	if meta := field(n, "metadata"); meta != nil {
		u.SetNamespace(scalar(meta, "namespace"))
		u.SetName(scalar(meta, "name"))
	}
	line, msg := yamlLine(err), yamlReason(err)
	if dup := input.CheckNode(n); dup != nil {
		line, msg = splitLine(dup.Error())
	}
	if line == 0 {
		line = n.Line
	}
	if u.GetKind() == "" || !kube.Supported(u.GroupVersionKind()) {
		f.malformed(line, msg)
		return
	}
	f.objects++
	f.unusable(line, u, msg)
}

// value stores one object; apiVersion and kind fill in what list items of
// a typed list leave out.
func (f *fileSink) value(line int, m map[string]any, apiVersion, kind string) {
	u := &unstructured.Unstructured{Object: m}
	if u.GetAPIVersion() == "" && apiVersion != "" {
		u.SetAPIVersion(apiVersion)
	}
	if u.GetKind() == "" && kind != "" {
		u.SetKind(kind)
	}
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || u.GetAPIVersion() == "" {
		if f.r.awsValue(f.file, line, m, func(string, int) int { return 0 }) {
			f.objects++
			return
		}
		f.malformed(line, f.r.notEvidence())
		return
	}
	f.objects++
	if !kube.Supported(gvk) {
		f.r.seen["other"]++
		return
	}
	if gvk.Group == "" && gvk.Kind == "Secret" && f.r.s.Source.SkipSecrets {
		// Counted, never decoded: --skip-secrets reads no Secret.
		f.r.seen["Secret (not read)"]++
		return
	}
	loc := &snapshot.Location{File: f.file, Line: line}
	if err := f.r.add(u, loc); err != nil {
		f.unusable(line, u, err.Error())
		return
	}
	f.r.seen[gvk.Kind]++
}

// add stores an object; a second, different copy of an object already read
// is a conflict that names both files.
func (r *reader) add(u *unstructured.Unstructured, loc *snapshot.Location) error {
	if u.GetKind() == "APIResourceList" {
		// Discovery documents, one per group version, have no name.
		return kube.Add(r.s, u, loc)
	}
	key := u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
	first, dup := r.where[key]
	if !dup {
		r.where[key] = loc
		return kube.Add(r.s, u, loc)
	}
	before := kube.Lookup(r.s, u.GetKind(), u.GetNamespace(), u.GetName())
	if err := kube.Add(r.s, u, loc); err != nil {
		return err
	}
	after := kube.Lookup(r.s, u.GetKind(), u.GetNamespace(), u.GetName())
	if same(before, after) {
		kube.Restore(r.s, u.GetKind(), before)
		return nil
	}
	r.conflict(u, first, loc, before, after)
	return nil
}

// sourceField is a location in a normalised object's JSON.
var sourceField = regexp.MustCompile(`,?"source":\{[^}]*\}`)

// same compares two normalised objects, their locations aside.
func same(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(sourceField.ReplaceAll(ja, nil), sourceField.ReplaceAll(jb, nil))
}

// conflict reports two different copies of one object. A Secret keeps the
// union of both copies' keys and credentials, so that a credential in
// either is found; for any other kind the controls that read it in that
// namespace are unknown.
func (r *reader) conflict(u *unstructured.Unstructured, first, second *snapshot.Location, before, after any) {
	kind, ns, name := u.GetKind(), u.GetNamespace(), u.GetName()
	msg := fmt.Sprintf("%s %s/%s is given twice with different content, in %s:%d and %s:%d", kind, ns, name, first.File, first.Line, second.File, second.Line)
	e := snapshot.CollectionError{Collector: Name, Reason: "conflict", Message: msg, Source: second}
	if kind == "Secret" {
		a, b := before.(snapshot.Secret), after.(snapshot.Secret)
		a.Keys = slices.Compact(slices.Sorted(slices.Values(append(a.Keys, b.Keys...))))
		a.Credentials = append(a.Credentials, b.Credentials...)
		kube.Restore(r.s, kind, a)
	} else {
		e.Kind, e.Namespace = kind, ns
		kube.Restore(r.s, kind, before)
	}
	r.log.Warn("conflicting evidence", "kind", kind, "namespace", ns, "name", name)
	r.s.AddError(e)
}

func relative(root, path string) string {
	rel := path
	if r, err := filepath.Rel(root, path); err == nil && r != "." {
		rel = r
	}
	return secrets.Path(filepath.ToSlash(rel))
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
		kinds = append(kinds, p.Workload.Kind)
		if p.Workload.Kind == "CronJob" {
			kinds = append(kinds, "Job")
		}
		if p.BackupConfig != "" {
			kinds = append(kinds, p.BackupConfig)
		}
		if p.Namespaces.Selector != "" {
			kinds = append(kinds, "Namespace")
		}
	}
	done := map[string]bool{}
	for _, k := range kinds {
		if done[k] || r.seen[k] > 0 || (k == "Secret" && r.s.Source.SkipSecrets) {
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
// reader, with the line of each element of its lists.
func (r *reader) awsDocument(file string, n *yaml.Node) bool {
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return false
	}
	lines := func(key string, i int) int {
		if l := field(n, key); l != nil && l.Kind == yaml.SequenceNode && i < len(l.Content) {
			return l.Content[i].Line
		}
		return 0
	}
	return r.awsValue(file, n.Line, m, lines)
}

// awsValue hands an object without kind and apiVersion to the AWS reader,
// in the JSON types the policy parser expects; lines locates the elements
// of its lists (0 when unknown).
func (r *reader) awsValue(file string, line int, m map[string]any, lines func(key string, i int) int) bool {
	b, err := json.Marshal(m)
	if err != nil {
		return false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v map[string]any
	if d.Decode(&v) != nil {
		return false
	}
	for _, rec := range r.clouds {
		if rec.Document(file, line, v, lines) {
			r.seen[rec.Name()]++
			return true
		}
	}
	return false
}

// notEvidence says why a document without kind and apiVersion was not
// read: no recognizer took it.
func (r *reader) notEvidence() string {
	names := make([]string, len(r.clouds))
	for i, rec := range r.clouds {
		names[i] = rec.Name()
	}
	return fmt.Sprintf("neither a Kubernetes object (no kind and apiVersion) nor the output of a cloud CLI wiscan reads (%s)", strings.Join(names, ", "))
}

// recognizers is the explicit list of the clouds' evidence readers, new
// for each scan: adding a cloud adds one line here.
func recognizers() []collectors.Recognizer {
	return []collectors.Recognizer{awscollector.NewRecognizer(), azurecollector.NewRecognizer(), gcpcollector.NewRecognizer()}
}

// gapSink is how the recognizers report gaps: as the evidence collector's.
type gapSink struct{ r *reader }

func (g gapSink) File(file string, line int, reason, msg string) {
	g.r.gapFile(file, line, reason, msg)
}

func (g gapSink) Missing(kind, name, msg string) {
	g.r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: kind, Name: name, Reason: "not-provided", Message: msg})
}
