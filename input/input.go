// Package input reads the files a user names on the command line
// (profiles, waivers, baselines, reports, policies, snapshots) and checks
// the JSON documents wiscan decodes. Every read is bounded, and ends as
// soon as its context does, even on a FIFO or a device that never answers;
// a JSON object that names a key twice is an error naming the line and the
// key, never a silent choice of one value.
package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge marks a file over its size bound.
var ErrTooLarge = errors.New("too large")

// A Limit bounds one kind of input: its size in bytes, and what it is
// called in the error that names it.
type Limit struct {
	What  string
	Bytes int64
}

// The bounds of the inputs a user names.
var (
	Profile  = Limit{"a profile file", 1 << 20}
	Waivers  = Limit{"a waivers file", 64 << 20}
	Baseline = Limit{"a baseline report", 64 << 20}
	Report   = Limit{"a report", 256 << 20}
	Policy   = Limit{"a policy file", 4 << 20}
	Snapshot = Limit{"a snapshot", 512 << 20}
)

func (l Limit) String() string {
	switch {
	case l.Bytes >= 1<<30 && l.Bytes%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", l.Bytes>>30)
	case l.Bytes >= 1<<20 && l.Bytes%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", l.Bytes>>20)
	}
	return fmt.Sprintf("%d bytes", l.Bytes)
}

// ReadFile reads the file at path within limit. It returns ctx's error as
// soon as ctx ends, whether the file is still being opened (a FIFO with
// no writer) or read (a device or pipe that sends nothing more).
func ReadFile(ctx context.Context, path string, limit Limit) ([]byte, error) {
	f, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = f.Close() }) // ends a blocked read
	defer func() {
		if stop() {
			_ = f.Close() // read only: closing cannot lose data
		}
	}()
	// A regular file says its size: one over the bound is not read.
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > limit.Bytes {
		return nil, tooLarge(path, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit.Bytes+1))
	if ctx.Err() != nil {
		return nil, fmt.Errorf("read %s: %w", path, context.Cause(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit.Bytes {
		return nil, tooLarge(path, limit)
	}
	return b, nil
}

func tooLarge(path string, limit Limit) error {
	return fmt.Errorf("%s: %w: larger than %s, the limit for %s", path, ErrTooLarge, limit, limit.What)
}

// open opens path for reading. Opening a FIFO blocks until a writer
// comes, so the open runs apart and ctx may end the wait; a file opened
// after that is closed at once.
func open(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path) //nolint:gosec // G304: the file the user names
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				_ = o.f.Close() // never read
			}
		}()
		return nil, fmt.Errorf("open %s: %w", path, context.Cause(ctx))
	}
}
