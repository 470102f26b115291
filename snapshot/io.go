package snapshot

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is the JSON Schema of the snapshot document.
//
//go:embed schema/snapshot.schema.json
var Schema []byte

// ErrInvalid marks a snapshot that does not satisfy the schema.
var ErrInvalid = errors.New("invalid snapshot")

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

func schema() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
		if err != nil {
			compileErr = fmt.Errorf("parse snapshot schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "snapshot.schema.json"
		if err := c.AddResource(url, doc); err != nil {
			compileErr = fmt.Errorf("add snapshot schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile(url)
	})
	return compiled, compileErr
}

// Validate checks a snapshot document against the schema.
func Validate(doc []byte) error {
	sch, err := schema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Load reads a snapshot, checks it against the schema and decodes it.
func Load(r io.Reader) (*Snapshot, error) {
	doc, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	var head struct {
		SchemaVersion string `json:"schemaVersion"`
	}
	if json.Unmarshal(doc, &head) == nil && strings.HasPrefix(head.SchemaVersion, "wiscan.io/report/") {
		return nil, fmt.Errorf("%w: this is a wiscan report (%s), not a snapshot: eval reads what wiscan collect writes; a report is read by wiscan plan, and as a --baseline", ErrInvalid, head.SchemaVersion)
	}
	if json.Unmarshal(doc, &head) == nil && head.SchemaVersion != "" && head.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w: format %q is not %s, the one this wiscan reads: collect the snapshot again with this wiscan", ErrInvalid, head.SchemaVersion, SchemaVersion)
	}
	if err := Validate(doc); err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s.fill()
	return &s, nil
}

// Save writes the snapshot as indented JSON.
func Save(w io.Writer, s *Snapshot) error {
	s.fill()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// fill allocates nil maps and slices so that the document always has every
// required field.
func (s *Snapshot) fill() {
	k := &s.Kubernetes
	empty := NewKubernetes()
	if k.Namespaces == nil {
		k.Namespaces = empty.Namespaces
	}
	if k.ServiceAccounts == nil {
		k.ServiceAccounts = empty.ServiceAccounts
	}
	for _, kind := range WorkloadKinds {
		if m := k.Workloads(kind); m == nil {
			*k.workloadsField(kind) = map[string]map[string]Workload{}
		}
	}
	if k.Pods == nil {
		k.Pods = empty.Pods
	}
	if k.Secrets == nil {
		k.Secrets = empty.Secrets
	}
	sp := &k.Spaces
	if sp.Kinds == nil {
		sp.Kinds = empty.Spaces.Kinds
	}
	if sp.ControlPlanes == nil {
		sp.ControlPlanes = empty.Spaces.ControlPlanes
	}
	if sp.SharedBackupConfigs == nil {
		sp.SharedBackupConfigs = empty.Spaces.SharedBackupConfigs
	}
	if sp.SpaceBackupConfigs == nil {
		sp.SpaceBackupConfigs = empty.Spaces.SpaceBackupConfigs
	}
	if s.Profiles == nil {
		s.Profiles = []Profile{}
	}
	if s.Targets == nil {
		s.Targets = []Target{}
	}
	for i := range s.Targets {
		if s.Targets[i].Annotated == nil {
			s.Targets[i].Annotated = []string{}
		}
	}
	for i := range s.Profiles {
		if s.Profiles[i].Targets == nil {
			s.Profiles[i].Targets = []string{}
		}
	}
	if s.Errors == nil {
		s.Errors = []CollectionError{}
	}
	if s.Stats == nil {
		s.Stats = []CollectorStats{}
	}
}
