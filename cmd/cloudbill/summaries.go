package main

import (
	"context"
	"fmt"
)

// cmdSummaries checks (or rebuilds) the summaries the settlement and the
// findings read: usage_months against every usage row, and the idle
// summary (rebuilt by the next findings refresh). Ingestion keeps them;
// rows written into usage by hand in SQL are what this is for.
func cmdSummaries(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "summaries", "")
	rebuild := fs.Bool("rebuild", false, "recompute usage_months from every usage row and have the next findings refresh rebuild the idle summary")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if *rebuild {
		if err := db.RebuildUsageMonths(ctx); err != nil {
			return err
		}
		if err := db.MarkIdleSummaryStale(ctx); err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, "usage_months rebuilt from usage; the idle summary is rebuilt by the next findings refresh")
	}
	if err := db.VerifyUsageMonths(ctx); err != nil {
		return fmt.Errorf("%w (repair with: cloudbill summaries --rebuild)", err)
	}
	fmt.Fprintln(a.Stdout, "usage_months matches usage")
	return nil
}
