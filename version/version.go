// Package version names wiscan's release: one semantic version for the
// binary, its reports (JSON, SARIF, metrics) and the chart.
package version

import (
	"runtime/debug"
	"strings"
)

// Release is the version this source tree becomes when it is tagged; the
// chart's version and appVersion are the same (a test holds them to it).
const Release = "0.1.0"

// Of is the version of a build: the one injected at build time (a tagged
// release, with or without its leading v), else the module version of a
// go install, else Release-dev with the revision Go recorded as build
// metadata (0.1.0-dev+0123456789ab, .dirty for uncommitted changes),
// else Release-dev.
func Of(injected string, info *debug.BuildInfo) string {
	if injected != "" && injected != "dev" {
		return strings.TrimPrefix(injected, "v")
	}
	if info == nil {
		return Release + "-dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ".dirty"
			}
		}
	}
	if rev == "" {
		return Release + "-dev"
	}
	return Release + "-dev+" + rev[:min(len(rev), 12)] + dirty
}
