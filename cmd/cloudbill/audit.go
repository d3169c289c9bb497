package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"cloudbill/app"
	"cloudbill/metering"
)

// cmdAudit lists the audit trail, or (audit verify) recomputes its chain.
func cmdAudit(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		if err := parseNoArgs(newFlags(c, "audit", "verify"), args[1:]); err != nil {
			return err
		}
		return c.withApp(ctx, func(a *app.App) error {
			v, err := a.VerifyAudit(ctx)
			if err != nil {
				fmt.Fprintf(c.Stdout, "audit chain broken after %d good rows\n", v.Rows)
				return err
			}
			fmt.Fprintf(c.Stdout, "audit chain intact: %d rows checked", v.Rows)
			if v.Rows > 0 {
				fmt.Fprintf(c.Stdout, ", last row %d sha256 %s", v.Last.ID, v.Last.SHA256)
			}
			fmt.Fprintln(c.Stdout)
			return nil
		})
	}
	fs := newFlags(c, "audit", "[verify]")
	year := fs.Int("year", 0, "only the entries of this settlement year (default: every entry)")
	asJSON := fs.Bool("json", false, "one JSON object per line, times in UTC, with both hashes")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	in := app.AuditInput{Year: *year}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		es, err := a.Audit(ctx, in)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(c.Stdout)
			for _, e := range es {
				if err := enc.Encode(e); err != nil {
					return err
				}
			}
			return nil
		}
		if len(es) == 0 {
			fmt.Fprintln(c.Stdout, "no audit entries")
			return nil
		}
		w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTIME (Asia/Shanghai)\tUSER\tROLE\tACTION\tYEAR\tSUBJECT\tDETAIL")
		for _, e := range es {
			y := "-"
			if e.Year != 0 {
				y = fmt.Sprint(e.Year)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
				e.User, orDash(e.Role), e.Action, y, orDash(e.Subject), oneLine(e.Detail))
		}
		return w.Flush()
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
