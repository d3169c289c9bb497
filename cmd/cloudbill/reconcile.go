package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"cloudbill/app"
)

// cmdReconcile compares a provider's own bill with the year's draft.
func cmdReconcile(c *cli, fs *flag.FlagSet) action {
	in := app.ReconcileInput{}
	fs.IntVar(&in.Year, "year", 0, "settlement year, e.g. 2024 (required)")
	fs.IntVar(&in.Version, "version", 0, "the statement version to compare with (default: the latest draft)")
	fs.StringVar(&in.Provider, "provider", "", "the provider's code (required)")
	fs.StringVar(&in.Out, "out", ".", "folder for reconcile-Y-CODE.csv and .pdf")
	fs.StringVar(&in.Font, "font", "", "CJK TrueType font for the PDF (env CLOUDBILL_FONT)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("reconcile takes one file, the provider's bill, got %d arguments", len(args))
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in.Name, in.File = args[0], f
		return c.withInput(in, func(ctx context.Context, a *app.App) error {
			r, err := a.Reconcile(ctx, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "reconciled %s with %d version %d: %d matched, %d missing in the bill, %d missing in the statement, %d differ\n",
				r.ProviderCode, r.Year, r.Version, r.Matched, r.MissingInBill, r.MissingInStatement, r.Differing)
			printPaths(c.Stdout, r.Paths)
			return nil
		})(ctx, nil)
	}
}
