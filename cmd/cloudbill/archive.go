package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"cloudbill/app"
)

// cmdArchive moves the usage and activity rows of a closed year into
// OUT/usage-YEAR.csv.gz and OUT/activity-YEAR.csv.gz (with OUT/SHA256SUMS),
// keeping statements, findings, the ledger and the summaries.
func cmdArchive(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "archive", "")
	year := fs.Int("year", 0, "the closed `YEAR` to archive: a past year whose statement is issued (required)")
	out := fs.String("out", "", "`DIR` of the archive files: usage-YEAR.csv.gz, activity-YEAR.csv.gz and SHA256SUMS (required)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	in := app.ArchiveInput{Year: *year, Out: *out}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		var res app.ArchiveResult
		_, err := a.Recorded(ctx, "archive", func(ctx context.Context) (app.JobResult, error) {
			jr := app.JobResult{Scope: "year=" + strconv.Itoa(in.Year) + " out=" + in.Out, Counts: map[string]int64{}}
			var err error
			res, err = a.Archive(ctx, in)
			for _, f := range res.Files {
				jr.Counts[string(f.Kind)+"_rows"] = f.Rows
			}
			return jr, err
		})
		if err != nil {
			return err
		}
		var names []string
		for _, f := range res.Files {
			names = append(names, f.Name)
			fmt.Fprintf(c.Stdout, "%s: %d %s rows of %d, sha256 %s\n", f.Name, f.Rows, f.Kind, in.Year, f.SHA256)
		}
		fmt.Fprintf(c.Stdout, "archived %d: the rows are out of the database, statements, findings and summaries kept; checksums in %s (sha256sum -c); restore with: cloudbill ingest %s\n",
			in.Year, res.Sums, strings.Join(names, " "))
		return nil
	})
}
