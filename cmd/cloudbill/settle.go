package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"cloudbill/app"
	"cloudbill/billing"
	"cloudbill/metering"
)

// yearFlag parses a command that takes only --year.
func yearFlag(c *cli, name string, args []string) (app.YearInput, error) {
	fs := newFlags(c, name, "")
	year := fs.Int("year", 0, "settlement year, e.g. 2024 (required)")
	if err := parseNoArgs(fs, args); err != nil {
		return app.YearInput{}, err
	}
	in := app.YearInput{Year: *year}
	return in, in.Validate()
}

func cmdSettle(ctx context.Context, c *cli, args []string) error {
	in, err := yearFlag(c, "settle", args)
	if err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		_, err = settle(ctx, c, a, in.Year)
		return err
	})
}

// settle settles year, recorded in the job history, and prints what it
// stored.
func settle(ctx context.Context, c *cli, a *app.App, year int) (int, error) {
	var r app.SettleResult
	_, err := a.Recorded(ctx, "settle", func(ctx context.Context) (app.JobResult, error) {
		res := app.JobResult{Scope: fmt.Sprintf("year=%d", year), Counts: map[string]int64{}}
		var err error
		if r, err = a.Settle(ctx, app.YearInput{Year: year}); err != nil {
			return res, err
		}
		res.Counts[app.CountVersion] = int64(r.Statement.Version)
		res.Counts["lines"] = int64(len(r.Statement.Lines))
		return res, nil
	})
	if err != nil {
		return 0, err
	}
	st := r.Statement
	if !r.Saved {
		fmt.Fprintf(c.Stdout, "settlement %d unchanged: version %d already holds these %d lines (sha256 %s)\n", year, st.Version, len(st.Lines), st.SHA256)
		return st.Version, nil
	}
	fmt.Fprintf(c.Stdout, "settlement %d version %d (draft): %d lines, %d departments, %d districts, gross %s 元, net %s 元\nsha256 %s\n",
		year, st.Version, len(st.Lines), len(st.Departments), len(st.Districts), st.Gross.StringFixed(2), st.Net.StringFixed(2), st.SHA256)
	for _, e := range st.Providers {
		fmt.Fprintf(c.Stdout, "provider %s: annual score %s, coefficient %s\n", e.ProviderCode, e.Annual.StringFixed(4), e.Coefficient.StringFixed(2))
	}
	return st.Version, nil
}

func cmdIssue(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "issue", "")
	var in app.IssueInput
	fs.IntVar(&in.Year, "year", 0, "settlement year, e.g. 2024 (required)")
	as := fs.String("as", "", "the issuing account (role finance), named on the statement (default: the operator)")
	fs.StringVar(&in.WithoutSignoff, "without-signoff", "", "issue a version that was not approved, for this reason (recorded in the audit trail, printed on the statement)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		var v int
		var err error
		if in.Actor, err = a.ActorByName(ctx, *as); err != nil {
			return err
		}
		_, err = a.Recorded(ctx, "issue", func(ctx context.Context) (app.JobResult, error) {
			res := app.JobResult{Scope: fmt.Sprintf("year=%d", in.Year), Counts: map[string]int64{}}
			var err error
			v, err = a.Issue(ctx, in)
			res.Counts[app.CountVersion] = int64(v)
			return res, err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "settlement %d version %d issued\n", in.Year, v)
		return nil
	})
}

func cmdDiff(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "diff", "")
	var in app.DiffInput
	fs.IntVar(&in.Year, "year", 0, "settlement year (required)")
	fs.IntVar(&in.From, "from", 0, "the older version (default: the latest issued before --to, else the one before it)")
	fs.IntVar(&in.To, "to", 0, "the newer version (default: the latest)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		d, err := a.Diff(ctx, in)
		if err != nil {
			return err
		}
		older, newer := d.Older, d.Newer
		fmt.Fprintf(c.Stdout, "settlement %d: version %d → %d, %d line(s) changed\n", in.Year, older.Version, newer.Version, len(d.Changes))
		fmt.Fprintln(c.Stdout, "change\tprovider\tresource\titem\tbillable_days\tquantity_days\tgross\tdelta")
		for _, ch := range d.Changes {
			l := ch.New
			if ch.Kind == billing.ChangeRemoved {
				l = ch.Old
			}
			fmt.Fprintf(c.Stdout, "%s\t%s\t%s\t%s\t%d→%d\t%s→%s\t%s→%s\t%s\n", ch.Kind, l.ProviderCode, l.ResourceID, l.ItemCode,
				ch.Old.BillableDays, ch.New.BillableDays, ch.Old.QuantityDays, ch.New.QuantityDays, ch.Old.Gross.StringFixed(2), ch.New.Gross.StringFixed(2), ch.Delta().StringFixed(2))
		}
		fmt.Fprintf(c.Stdout, "gross %s → %s (%s), net %s → %s (%s)\n", older.Gross.StringFixed(2), newer.Gross.StringFixed(2), newer.Gross.Sub(older.Gross).StringFixed(2),
			older.Net.StringFixed(2), newer.Net.StringFixed(2), newer.Net.Sub(older.Net).StringFixed(2))
		return nil
	})
}

func cmdReport(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "report", "")
	var in app.ReportInput
	fs.IntVar(&in.Year, "year", 0, "settlement year: the year's statement documents (one of --year, --month, --quarter)")
	month := fs.String("month", "", "a month such as 2024-07: the monthly report month-2024-07.pdf and .csv (月报)")
	quarter := fs.String("quarter", "", "a quarter such as 2024Q3: the quarterly report quarter-2024Q3.pdf and .csv (季报)")
	fs.StringVar(&in.Out, "out", ".", "folder for the documents")
	fs.IntVar(&in.Version, "version", 0, "statement version (default: the latest issued one, else the latest draft; --year only)")
	fs.StringVar(&in.Font, "font", os.Getenv("CLOUDBILL_FONT"), "CJK TrueType font for the PDFs (env CLOUDBILL_FONT; default: found in standard places)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	given := 0
	for _, set := range []bool{in.Year != 0, *month != "", *quarter != ""} {
		if set {
			given++
		}
	}
	if given != 1 {
		return usagef("give one of --year, --month or --quarter")
	}
	if *month != "" || *quarter != "" {
		if in.Version != 0 {
			return usagef("--version is for --year (a statement's documents)")
		}
		var p billing.Period
		var err error
		if *month != "" {
			if p, err = billing.ParseMonth(*month); err != nil {
				return usagef("--month: %v", err)
			}
		} else if p, err = billing.ParseQuarter(*quarter); err != nil {
			return usagef("--quarter: %v", err)
		}
		pin := app.PeriodInput{Period: p, Out: in.Out, Font: in.Font}
		if err := pin.Validate(); err != nil {
			return err
		}
		return c.withApp(ctx, func(a *app.App) error {
			r, err := a.PeriodReport(ctx, pin)
			for _, p := range r.Paths {
				fmt.Fprintln(c.Stdout, p)
			}
			if err == nil && r.OverBudget > 0 {
				fmt.Fprintf(c.Stderr, "%d budget(s) of %d forecast to be exceeded: over_budget findings (findings-%d.csv)\n", r.OverBudget, p.Year, p.Year)
			}
			return err
		})
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		st, err := a.ReportVersion(ctx, in.Year, in.Version)
		if err != nil {
			return err
		}
		in.Version = st.Version
		status := string(st.Status)
		if st.SupersededBy > 0 {
			status = fmt.Sprintf("superseded by version %d", st.SupersededBy)
		}
		fmt.Fprintf(c.Stderr, "report %d: version %d (%s)\n", in.Year, st.Version, status)
		paths, err := a.Report(ctx, in)
		for _, p := range paths {
			fmt.Fprintln(c.Stdout, p)
		}
		return err
	})
}

func cmdVersions(ctx context.Context, c *cli, args []string) error {
	in, err := yearFlag(c, "versions", args)
	if err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		vs, err := a.Versions(ctx, in)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			fmt.Fprintf(c.Stdout, "no statement for %d (cloudbill settle --year %d)\n", in.Year, in.Year)
			return nil
		}
		w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tSTATUS\tCREATED (Asia/Shanghai)\tISSUED\tLINES\tGROSS\tNET\tSHA256")
		for _, v := range vs {
			issued := "-"
			if !v.IssuedAt.IsZero() {
				issued = v.IssuedAt.In(metering.Shanghai).Format("2006-01-02 15:04:05")
			}
			status := string(v.Status)
			if v.SupersededBy > 0 {
				status += fmt.Sprintf(" (by %d)", v.SupersededBy)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", v.Version, status, v.CreatedAt.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
				issued, v.Lines, v.Gross.StringFixed(2), v.Net.StringFixed(2), v.SHA256)
		}
		return w.Flush()
	})
}
