package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"cloudbill/app"
)

// cmdAudit lists the audit trail, or (audit verify) recomputes its chain.
func cmdAudit(c *cli, fs *flag.FlagSet) action {
	in := app.AuditInput{}
	fs.IntVar(&in.Year, "year", 0, "only the entries of this settlement year (default: every entry)")
	asJSON := fs.Bool("json", false, "one JSON object per line, times in UTC, with both hashes")
	return func(ctx context.Context, args []string) error {
		verify := len(args) > 0 && args[0] == "verify"
		if verify {
			args = args[1:]
		}
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("unexpected arguments %q", fs.Args())
		}
		return c.withInput(in, func(ctx context.Context, a *app.App) error {
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
			fmt.Fprintln(c.Stdout, app.AuditTable(es))
			return nil
		})(ctx, nil)
	}
}
