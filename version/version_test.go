package version

import (
	"regexp"
	"runtime/debug"
	"testing"
)

// semver is the Semantic Versioning 2.0.0 grammar.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-((0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(\+([0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*))?$`)

// Every build's version is a semantic version: a tag's, a go install's,
// or the release with -dev and the revision.
func TestOf(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}
	cases := []struct {
		injected string
		info     *debug.BuildInfo
		want     string
	}{
		{"v0.2.0", nil, "0.2.0"},
		{"0.2.0-rc.1", &debug.BuildInfo{Settings: rev}, "0.2.0-rc.1"},
		{"dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "1.2.3"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"})}, Release + "-dev+0123456789ab.dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, Release + "-dev+0123456789ab"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Release + "-dev"},
		{"", nil, Release + "-dev"},
	}
	for _, c := range cases {
		got := Of(c.injected, c.info)
		if got != c.want {
			t.Errorf("Of(%q, %+v) = %q, want %q", c.injected, c.info, got, c.want)
		}
		if !semver.MatchString(got) {
			t.Errorf("%q is not a semantic version", got)
		}
	}
}
