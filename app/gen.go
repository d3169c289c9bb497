package app

import (
	"fmt"
	"os"
	"strings"
	"time"

	"cloudbill/fixtures"
	"cloudbill/metering"
)

// GenArgs are `cloudbill gen` as typed: the options of fixtures.Generate
// that need no parsing, and the days (YYYY-MM-DD), the layout and the
// reference folder ("": the Datong fixtures) as text.
type GenArgs struct {
	Options     fixtures.GenOptions
	From, To    string
	Layout, Ref string
}

// GenResult is what a generation wrote and how long it took.
type GenResult struct {
	fixtures.GenStats
	Out  string
	Took time.Duration
}

// Generate writes the nightly metering files of in (fixtures.Generate).
func Generate(in GenArgs) (GenResult, error) {
	opts := in.Options
	opts.Layout = fixtures.Layout(in.Layout)
	var err error
	if opts.From, err = metering.ParseDate(in.From); err != nil {
		return GenResult{}, Usagef("--from: %w", err)
	}
	if opts.To, err = metering.ParseDate(in.To); err != nil {
		return GenResult{}, Usagef("--to: %w", err)
	}
	if in.Ref != "" {
		opts.Ref = os.DirFS(in.Ref)
	}
	if err := opts.Validate(); err != nil {
		return GenResult{}, Usagef("%w", err)
	}
	start := time.Now()
	st, err := fixtures.Generate(opts)
	return GenResult{GenStats: st, Out: opts.Out, Took: time.Since(start)}, err
}

// String says what was written, how fast, and what was injected.
func (r GenResult) String() string {
	var b strings.Builder
	rows := r.UsageRows + r.ActivityRows
	fmt.Fprintf(&b, "wrote %d usage rows and %d activity rows (+%d malformed on purpose) in %d files for %d resources over %d days into %s\n",
		r.UsageRows, r.ActivityRows, r.Malformed, len(r.Files), r.Resources, r.Days, r.Out)
	fmt.Fprintf(&b, "took %.2fs, %.2f M rows/s\n", r.Took.Seconds(), float64(rows)/r.Took.Seconds()/1e6)
	if r.ReferenceDir != "" {
		fmt.Fprintf(&b, "reference set for the %d resources: %s (cloudbill load %s)\n", r.Resources, r.ReferenceDir, r.ReferenceDir)
	}
	if r.ZombieSystem != "" {
		fmt.Fprintf(&b, "injected: zombie system %s idle %s..%s (%d days)\n", r.ZombieSystem, r.Zombie.First, r.Zombie.Last, r.Zombie.Days())
	}
	fmt.Fprintf(&b, "injected: %d idle resources, %d use beyond approval, %d gaps, %d after release, %d never confirmed; GB18030 file %s",
		len(r.Idle), len(r.Beyond), len(r.Gaps), len(r.AfterRelease), r.Unconfirmed, r.GB18030File)
	return b.String()
}
