package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"cloudbill/app"
)

// yearFlag declares --year, the flag of the commands that take only it.
func yearFlag(fs *flag.FlagSet) *app.YearInput {
	in := &app.YearInput{}
	fs.IntVar(&in.Year, "year", 0, "settlement year, e.g. 2024 (required)")
	return in
}

func cmdSettle(c *cli, fs *flag.FlagSet) action {
	in := yearFlag(fs)
	return c.withInput(in, func(ctx context.Context, a *app.App) error { return c.show(a.SettleRecorded(ctx, *in)) })
}

func cmdIssue(c *cli, fs *flag.FlagSet) action {
	in := &app.IssueInput{}
	fs.IntVar(&in.Year, "year", 0, "settlement year, e.g. 2024 (required)")
	as := fs.String("as", "", "the issuing account (role finance), named on the statement (default: the operator)")
	fs.StringVar(&in.WithoutSignoff, "without-signoff", "", "issue a version that was not approved, for this reason (recorded in the audit trail, printed on the statement)")
	return c.withInput(in, func(ctx context.Context, a *app.App) error {
		var err error
		if in.Actor, err = a.ActorByName(ctx, *as); err != nil {
			return err
		}
		v, err := a.IssueRecorded(ctx, *in)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "settlement %d version %d issued\n", in.Year, v)
		return nil
	})
}

func cmdDiff(c *cli, fs *flag.FlagSet) action {
	var in app.DiffInput
	fs.IntVar(&in.Year, "year", 0, "settlement year (required)")
	fs.IntVar(&in.From, "from", 0, "the older version (default: the latest issued before --to, else the one before it)")
	fs.IntVar(&in.To, "to", 0, "the newer version (default: the latest)")
	return c.withInput(&in, func(ctx context.Context, a *app.App) error { return c.show(a.Diff(ctx, in)) })
}

func cmdVersions(c *cli, fs *flag.FlagSet) action {
	in := yearFlag(fs)
	return c.withInput(in, func(ctx context.Context, a *app.App) error {
		vs, err := a.Versions(ctx, *in)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			fmt.Fprintf(c.Stdout, "no statement for %d (cloudbill settle --year %d)\n", in.Year, in.Year)
			return nil
		}
		return c.show(app.VersionTable(vs), nil)
	})
}

func cmdReport(c *cli, fs *flag.FlagSet) action {
	var in app.ReportArgs
	fs.IntVar(&in.Year, "year", 0, "settlement year: the year's statement documents (one of --year, --month, --quarter)")
	fs.StringVar(&in.Month, "month", "", "a month such as 2024-07: the monthly report month-2024-07.pdf and .csv (月报)")
	fs.StringVar(&in.Quarter, "quarter", "", "a quarter such as 2024Q3: the quarterly report quarter-2024Q3.pdf and .csv (季报)")
	fs.StringVar(&in.Out, "out", ".", "folder for the documents")
	fs.IntVar(&in.Version, "version", 0, "statement version (default: the latest issued one, else the latest draft; --year only)")
	fs.StringVar(&in.Font, "font", os.Getenv("CLOUDBILL_FONT"), "CJK TrueType font for the PDFs (env CLOUDBILL_FONT; default: found in standard places)")
	return func(ctx context.Context, _ []string) error {
		period, err := in.Parse()
		if err != nil {
			return err
		}
		return c.withApp(ctx, func(a *app.App) error {
			if period != nil {
				r, err := a.PeriodReport(ctx, *period)
				printPaths(c.Stdout, r.Paths)
				if note := r.OverBudgetNote(period.Period.Year); err == nil && note != "" {
					fmt.Fprintln(c.Stderr, note)
				}
				return err
			}
			st, err := a.ReportVersion(ctx, in.Year, in.Version)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stderr, "report %d: version %d (%s)\n", in.Year, st.Version, app.VersionStatus(st))
			in.Version = st.Version
			paths, err := a.Report(ctx, in.ReportInput)
			printPaths(c.Stdout, paths)
			return err
		})
	}
}

// cmdBudget writes next year's budget proposal (预算建议): the approved
// configuration at the year's prices for a full year.
func cmdBudget(c *cli, fs *flag.FlagSet) action {
	var in app.BudgetInput
	fs.IntVar(&in.Year, "year", 0, "the year to propose a budget for, e.g. 2025: the configuration approved on 31 December of the year before (required)")
	fs.StringVar(&in.Out, "out", ".", "folder for budget-Y.pdf, budget-Y.csv and budget-Y.xlsx")
	fs.StringVar(&in.Font, "font", os.Getenv("CLOUDBILL_FONT"), "CJK TrueType font for the PDF (env CLOUDBILL_FONT; default: found in standard places)")
	return c.withInput(&in, func(ctx context.Context, a *app.App) error {
		paths, err := a.Budget(ctx, in)
		printPaths(c.Stdout, paths)
		return err
	})
}
