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

	"github.com/wiscan/wiscan/memory"
	wiscanversion "github.com/wiscan/wiscan/version"
)

// version is set at build time with -ldflags "-X main.version=..." for a
// tagged release; currentVersion falls back on the binary's build info.
var version = "dev"

// currentVersion is the build's semantic version (version.Of).
func currentVersion() string {
	info, _ := debug.ReadBuildInfo()
	return wiscanversion.Of(version, info)
}

// limits are the scan's memory bounds by default: a share of the
// container's limit, else memory.Default for each phase.
var limits = memory.For(memory.Container())

// exitInterruptedTwice ends the process at a second SIGINT or SIGTERM, as
// shells expect of a program killed by SIGINT.
const exitInterruptedTwice = 130

func main() {
	// In a container, the runtime collects harder as the heap nears the
	// container's limit (unless GOMEMLIMIT says otherwise).
	if soft := limits.Soft; soft > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(soft)
	}
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
