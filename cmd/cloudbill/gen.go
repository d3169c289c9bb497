package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"cloudbill/fixtures"
	"cloudbill/metering"
)

func cmdGen(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "gen", "")
	from := fs.String("from", "2024-01-01", "first day to meter (YYYY-MM-DD)")
	to := fs.String("to", "2024-12-31", "last day to meter, inclusive")
	out := fs.String("out", "", "folder to write the metering files into (required)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed writes the same bytes")
	refDir := fs.String("ref", "", "reference data set to meter (default: the embedded Datong fixtures)")
	resources := fs.Int("resources", 0, "synthesise exactly N resources by cloning, and write the matching reference set into OUT/reference")
	layout := fs.String("layout", "daily", "daily: one usage and one activity file per night; single: one of each for the whole range")
	gz := fs.Bool("gzip", false, "gzip the metering files")
	noActivity := fs.Bool("no-activity", false, "write usage files only")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	opts := fixtures.GenOptions{Out: *out, Seed: *seed, Resources: *resources, Layout: fixtures.Layout(*layout), Gzip: *gz, NoActivity: *noActivity}
	var err error
	if opts.From, err = metering.ParseDate(*from); err != nil {
		return usagef("--from: %v", err)
	}
	if opts.To, err = metering.ParseDate(*to); err != nil {
		return usagef("--to: %v", err)
	}
	if *refDir != "" {
		opts.Ref = os.DirFS(*refDir)
	}
	if err := opts.Validate(); err != nil {
		return usagef("%v", err)
	}
	start := time.Now()
	st, err := fixtures.Generate(opts)
	if err != nil {
		return err
	}
	el := time.Since(start)
	rows := st.UsageRows + st.ActivityRows
	fmt.Fprintf(a.Stdout, "wrote %d usage rows and %d activity rows (+%d malformed on purpose) in %d files for %d resources over %d days into %s\n",
		st.UsageRows, st.ActivityRows, st.Malformed, len(st.Files), st.Resources, st.Days, opts.Out)
	fmt.Fprintf(a.Stdout, "took %.2fs, %.2f M rows/s\n", el.Seconds(), float64(rows)/el.Seconds()/1e6)
	if st.ReferenceDir != "" {
		fmt.Fprintf(a.Stdout, "reference set for the %d resources: %s (cloudbill load %s)\n", st.Resources, st.ReferenceDir, st.ReferenceDir)
	}
	if st.ZombieSystem != "" {
		fmt.Fprintf(a.Stdout, "injected: zombie system %s idle %s..%s (%d days)\n", st.ZombieSystem, st.Zombie.First, st.Zombie.Last, st.Zombie.Days())
	}
	fmt.Fprintf(a.Stdout, "injected: %d idle resources, %d use beyond approval, %d gaps, %d after release, %d never confirmed; GB18030 file %s\n",
		len(st.Idle), len(st.Beyond), len(st.Gaps), len(st.AfterRelease), st.Unconfirmed, st.GB18030File)
	a.Log.Info("metering generated", "out", opts.Out, "usage_rows", st.UsageRows, "activity_rows", st.ActivityRows, "seconds", el.Seconds())
	return nil
}
