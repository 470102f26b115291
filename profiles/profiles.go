// Package profiles holds the built-in workload profiles and loads user
// profiles: which namespaces, service account and workload a scan checks, and
// which cloud mechanism they should use.
package profiles

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/input"
	"github.com/wiscan/wiscan/snapshot"
)

// Default is the profile a scan uses when none is named.
const Default = "spaces-backup"

// APIVersion and Kind head every profile file.
const (
	APIVersion = "wiscan.io/v1alpha1"
	Kind       = "Profile"
)

//go:embed builtin/*.yaml
var builtin embed.FS

// ErrUnknown marks a profile name that is neither built in nor loaded.
var ErrUnknown = errors.New("unknown profile")

// ErrInvalid marks a profile file that is malformed.
var ErrInvalid = errors.New("invalid profile")

// File is the on-disk form of a profile.
type File struct {
	APIVersion     string                  `json:"apiVersion"`
	Kind           string                  `json:"kind"`
	Name           string                  `json:"name"`
	Description    string                  `json:"description,omitempty"`
	Namespaces     snapshot.NamespaceMatch `json:"namespaces"`
	ServiceAccount string                  `json:"serviceAccount"`
	Workload       snapshot.WorkloadMatch  `json:"workload"`
	Cloud          string                  `json:"cloud,omitempty"`
	Method         string                  `json:"method,omitempty"`
	BackupConfig   string                  `json:"backupConfig,omitempty"`
	Storage        snapshot.Storage        `json:"storage,omitempty"`
	Access         *snapshot.Access        `json:"access,omitempty"`
	Identity       string                  `json:"identity,omitempty"`
	Helm           *snapshot.HelmValues    `json:"helm,omitempty"`
}

// valuePath is a Helm value's dotted path.
var valuePath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$`)

// objectOperations are the operations on a bucket's objects a profile may
// need.
var objectOperations = []string{"read", "write", "delete", "list"}

// Builtin returns the names of the built-in profiles, sorted.
func Builtin() []string {
	entries, err := builtin.ReadDir("builtin")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Get returns a built-in profile by name.
func Get(name string) (snapshot.Profile, error) {
	b, err := builtin.ReadFile(path.Join("builtin", name+".yaml"))
	if err != nil {
		return snapshot.Profile{}, fmt.Errorf("%w %q (built in: %s)", ErrUnknown, name, strings.Join(Builtin(), ", "))
	}
	return Parse(name+".yaml", b)
}

// LoadFile reads a user profile file, within input.Profile's bound and
// until ctx ends.
func LoadFile(ctx context.Context, file string) (snapshot.Profile, error) {
	b, err := input.ReadFile(ctx, file, input.Profile)
	if err != nil {
		if ctx.Err() != nil {
			return snapshot.Profile{}, err
		}
		return snapshot.Profile{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return Parse(file, b)
}

// Parse decodes and validates a profile document; name is used in errors.
func Parse(name string, b []byte) (snapshot.Profile, error) {
	var f File
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return snapshot.Profile{}, fmt.Errorf("%w %s: %w", ErrInvalid, name, err)
	}
	if err := f.validate(); err != nil {
		return snapshot.Profile{}, fmt.Errorf("%w %s: %w", ErrInvalid, name, err)
	}
	return snapshot.Profile{
		Name:           f.Name,
		Description:    strings.TrimSpace(f.Description),
		Namespaces:     f.Namespaces,
		ServiceAccount: f.ServiceAccount,
		Workload:       f.Workload,
		Cloud:          f.Cloud,
		Method:         f.Method,
		BackupConfig:   f.BackupConfig,
		Storage:        f.Storage,
		Access:         *f.Access,
		Identity:       f.Identity,
		Helm:           f.Helm,
		Targets:        []string{},
	}, nil
}

func (f *File) validate() error {
	var errs []error
	if f.APIVersion != APIVersion || f.Kind != Kind {
		errs = append(errs, fmt.Errorf("want apiVersion %s and kind %s, got %q and %q", APIVersion, Kind, f.APIVersion, f.Kind))
	}
	if f.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if f.ServiceAccount == "" {
		errs = append(errs, errors.New("serviceAccount is required"))
	}
	ns := f.Namespaces
	if ns.Pattern == "" && ns.Selector == "" && len(ns.Names) == 0 {
		errs = append(errs, errors.New("namespaces needs a pattern, a selector or names"))
	}
	if _, err := regexp.Compile(ns.Pattern); err != nil {
		errs = append(errs, fmt.Errorf("namespaces.pattern: %w", err))
	}
	if _, err := labels.Parse(ns.Selector); err != nil {
		errs = append(errs, fmt.Errorf("namespaces.selector: %w", err))
	}
	if f.Workload.Kind == "" {
		f.Workload.Kind = "Deployment"
	}
	if !slices.Contains(snapshot.WorkloadKinds, f.Workload.Kind) {
		errs = append(errs, fmt.Errorf("workload.kind %q: want one of %s", f.Workload.Kind, strings.Join(snapshot.WorkloadKinds, ", ")))
	}
	if f.Workload.Name == "" {
		f.Workload.Name = f.ServiceAccount
	}
	if _, err := labels.Parse(f.Workload.PodSelector); err != nil {
		errs = append(errs, fmt.Errorf("workload.podSelector: %w", err))
	}
	if _, ok := clouds.Get(f.Cloud); f.Cloud != "" && !ok {
		errs = append(errs, fmt.Errorf("cloud %q: want one of %s", f.Cloud, strings.Join(clouds.Names(), ", ")))
	}
	if f.Method != "" {
		c, ok := clouds.OfMethod(f.Method)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("method %q: want one of %s", f.Method, strings.Join(clouds.Methods(), ", ")))
		case f.Cloud == "":
			f.Cloud = c.Name
		case f.Cloud != c.Name:
			errs = append(errs, fmt.Errorf("method %q belongs to cloud %s, not %s", f.Method, c.Name, f.Cloud))
		}
	}
	switch f.BackupConfig {
	case "", "SharedBackupConfig", "SpaceBackupConfig":
	default:
		errs = append(errs, fmt.Errorf("backupConfig %q: want SharedBackupConfig or SpaceBackupConfig", f.BackupConfig))
	}
	if f.Access == nil {
		// A backup workload reads, writes, deletes and lists its bucket's
		// objects; any other needs nothing unless it says so.
		f.Access = &snapshot.Access{}
		if f.BackupConfig != "" {
			f.Access.Objects = slices.Clone(objectOperations)
		}
	}
	for _, op := range f.Access.Objects {
		if !slices.Contains(objectOperations, op) {
			errs = append(errs, fmt.Errorf("access.objects %q: want %s", op, strings.Join(objectOperations, ", ")))
		}
	}
	for _, name := range f.Access.Secrets {
		if strings.TrimSpace(name) == "" || name != strings.TrimSpace(name) {
			errs = append(errs, fmt.Errorf("access.secrets %q: want a secret name or pattern without surrounding space", name))
		}
	}
	if h := f.Helm; h != nil {
		for field, v := range map[string]string{"serviceAccountAnnotations": h.ServiceAccountAnnotations, "podLabels": h.PodLabels, "backupStorage": h.BackupStorage} {
			if v != "" && !valuePath.MatchString(v) {
				errs = append(errs, fmt.Errorf("helm.%s %q: want a dotted Helm value path (controlPlanes.mxpController.pod.customLabels)", field, v))
			}
		}
	}
	return errors.Join(errs...)
}

// Resolve returns the profiles named (built in) and loaded from files, in
// that order. With neither, it returns the default profile. Names must be
// unique.
func Resolve(ctx context.Context, names, files []string) ([]snapshot.Profile, error) {
	if len(names) == 0 && len(files) == 0 {
		names = []string{Default}
	}
	var out []snapshot.Profile
	seen := map[string]bool{}
	add := func(p snapshot.Profile) error {
		if seen[p.Name] {
			return fmt.Errorf("%w: profile %q given twice", ErrInvalid, p.Name)
		}
		seen[p.Name] = true
		out = append(out, p)
		return nil
	}
	for _, n := range names {
		p, err := Get(n)
		if err != nil {
			return nil, err
		}
		if err := add(p); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		p, err := LoadFile(ctx, f)
		if err != nil {
			return nil, err
		}
		if err := add(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}
