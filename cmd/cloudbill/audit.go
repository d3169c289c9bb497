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
	verify := len(args) > 0 && args[0] == "verify"
	fs := newFlags(c, "audit", "[verify]")
	in := app.AuditInput{}
	fs.IntVar(&in.Year, "year", 0, "only the entries of this settlement year (default: every entry)")
	asJSON := fs.Bool("json", false, "one JSON object per line, times in UTC, with both hashes")
	if verify {
		args = args[1:]
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		if verify {
			v, err := a.VerifyAudit(ctx)
			if err != nil {
				fmt.Fprintf(c.Stdout, "audit chain broken after %d good rows\n", v.Rows)
				return err
			}
			fmt.Fprintf(c.Stdout, "audit chain intact: %d rows checked; last row %d, sha256 %s\n", v.Rows, v.Last.ID, v.Last.SHA256)
			return nil
		}
		es, err := a.Audit(ctx, in)
		if err != nil || *asJSON {
			enc := json.NewEncoder(c.Stdout)
			for i := 0; err == nil && i < len(es); i++ {
				err = enc.Encode(es[i])
			}
			return err
		}
		w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTIME (Asia/Shanghai)\tUSER\tROLE\tACTION\tYEAR\tSUBJECT\tDETAIL")
		for _, e := range es {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.In(metering.Shanghai).Format("2006-01-02 15:04:05"),
				e.User, orDash(e.Role), e.Action, orDash(fmt.Sprint(e.Year)), orDash(e.Subject), oneLine(e.Detail))
		}
		return w.Flush()
	})
}

func orDash(s string) string {
	if s == "" || s == "0" {
		return "-"
	}
	return s
}
