// Command measure is the settlement, findings and monthly report
// benchmarks' driver (scripts/bench-settle.sh, scripts/bench-findings.sh,
// scripts/bench-monthly.sh): it times a full scan of the rows a pass would
// otherwise read (the yardstick), then the pass itself through the
// application layer, and prints both, their ratio and the peak RSS. The
// monthly pass's yardstick is the annual settlement of the same data: it
// settles the year, then writes the month's report (CSV and PDF) and
// prints both times and their ratio. It is not part of the product.
//
//	measure --db DSN settle --year 2024
//	measure --db DSN findings --as-of 2024-12-31
//	measure --db DSN monthly --month 2024-12 [--out DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"
	_ "time/tzdata"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/store"
	"cloudbill/store/storetest"
)

func main() {
	dsn := flag.String("db", os.Getenv("CLOUDBILL_DB"), "database")
	year := flag.Int("year", 2024, "settle: the year")
	asOf := flag.String("as-of", "2024-12-31", "findings: the as-of date")
	month := flag.String("month", "2024-12", "monthly: the month to report (its year is settled first)")
	out := flag.String("out", "", "monthly: folder for the report (default: a temporary folder, removed)")
	debug := flag.Bool("phases", false, "print the store's phase timings (debug logs) on stderr")
	flag.Parse()
	// Flags may come after the pass's name too.
	if flag.NArg() > 1 {
		what := flag.Arg(0)
		flag.CommandLine.Parse(flag.Args()[1:])
		os.Args = []string{os.Args[0], what}
		if flag.NArg() > 0 {
			fmt.Fprintf(os.Stderr, "measure: unexpected arguments %q\n", flag.Args())
			os.Exit(2)
		}
		flag.CommandLine.Parse([]string{what})
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: measure --db DSN settle|findings|monthly [--year Y] [--as-of D] [--month M]")
		os.Exit(2)
	}
	if flag.Arg(0) == "monthly" {
		if err := monthly(context.Background(), *dsn, *month, *out, *debug); err != nil {
			fmt.Fprintln(os.Stderr, "measure:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *dsn, flag.Arg(0), *year, *asOf, *debug); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, what string, year int, asOfText string, debug bool) error {
	opts := store.Options{}
	if debug {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	db, err := store.OpenWith(ctx, dsn, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	a := app.New(db, nil)
	var rows int64
	var scan, pass time.Duration
	switch what {
	case "settle":
		t0 := time.Now()
		if rows, err = storetest.ScanUsage(ctx, db, year); err != nil {
			return err
		}
		scan = time.Since(t0)
		t1 := time.Now()
		if _, err := a.Settle(ctx, app.YearInput{Year: year}); err != nil {
			return err
		}
		pass = time.Since(t1)
		what = "usage rows; full scan %.2fs; settle %.2fs; settle/scan %.2f"
	case "findings":
		d, err := metering.ParseDate(asOfText)
		if err != nil {
			return err
		}
		t0 := time.Now()
		if rows, err = storetest.ScanActivity(ctx, db); err != nil {
			return err
		}
		scan = time.Since(t0)
		t1 := time.Now()
		fs, _, err := a.RefreshFindings(ctx, app.FindingsInput{AsOf: d})
		if err != nil {
			return err
		}
		pass = time.Since(t1)
		fmt.Printf("%d findings as of %s\n", len(fs), d)
		what = "activity rows; full scan %.2fs; findings %.2fs; findings/scan %.2f"
	default:
		return fmt.Errorf("unknown pass %q: settle or findings", what)
	}
	fmt.Printf("measure %s: %d "+what+"; peak RSS %d MB\n", db.Engine, rows, scan.Seconds(), pass.Seconds(), pass.Seconds()/scan.Seconds(), peakRSSMB())
	return nil
}

// monthly settles the month's year (the yardstick: the annual settlement
// of the same data), then writes the month's report, and prints both
// times and their ratio.
func monthly(ctx context.Context, dsn, month, out string, debug bool) error {
	p, err := billing.ParseMonth(month)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	a := app.New(db, nil)
	if debug {
		a.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if out == "" {
		if out, err = os.MkdirTemp("", "measure-monthly-"); err != nil {
			return err
		}
		defer os.RemoveAll(out)
	}
	t0 := time.Now()
	sr, err := a.Settle(ctx, app.YearInput{Year: p.Year})
	if err != nil {
		return err
	}
	settle := time.Since(t0)
	t1 := time.Now()
	data, err := a.PeriodData(ctx, p)
	if err != nil {
		return err
	}
	gather := time.Since(t1)
	t2 := time.Now()
	r, err := a.PeriodReport(ctx, app.PeriodInput{Period: p, Out: out})
	if err != nil {
		return err
	}
	report := time.Since(t2)
	fmt.Printf("measure %s: %d lines; settle %d %.2fs (stored: %v); monthly report %s %.2fs (of which gathering %.2fs, %d lines, %d files); monthly/settle %.2f; peak RSS %d MB\n",
		db.Engine, len(sr.Statement.Lines), p.Year, settle.Seconds(), sr.Saved, p.Name(), report.Seconds(), gather.Seconds(), len(data.Lines), len(r.Paths),
		report.Seconds()/settle.Seconds(), peakRSSMB())
	return nil
}

// peakRSSMB is this process's peak resident set size in MB (Linux: maxrss
// is in KiB).
func peakRSSMB() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss / 1024
}
