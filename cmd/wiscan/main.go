// Command wiscan checks that Kubernetes workloads reach cloud storage through
// workload identity, as their documented setup says, and never through
// static keys.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...";
// currentVersion falls back on the binary's build info.
var version = "dev"

// currentVersion is the injected version, else the module version of a
// `go install`, else the VCS revision `go build` records (with -dirty for
// uncommitted changes), else "dev".
func currentVersion() string {
	if version != "dev" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return versionFrom(info)
}

func versionFrom(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return "dev-" + rev + dirty
}

// exitInterruptedTwice ends the process at a second SIGINT or SIGTERM, as
// shells expect of a program killed by SIGINT.
const exitInterruptedTwice = 130

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "wiscan: interrupted, stopping (interrupt again to quit at once)")
		cancel()
		<-sigs
		os.Exit(exitInterruptedTwice)
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
