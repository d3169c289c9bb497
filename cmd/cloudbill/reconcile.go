package main

import (
	"context"
	"fmt"
	"os"

	"cloudbill/app"
)

// cmdReconcile compares a provider's own bill with the year's draft.
func cmdReconcile(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "reconcile", "FILE")
	in := app.ReconcileInput{}
	fs.IntVar(&in.Year, "year", 0, "settlement year, e.g. 2024 (required)")
	fs.IntVar(&in.Version, "version", 0, "the statement version to compare with (default: the latest draft)")
	fs.StringVar(&in.Provider, "provider", "", "the provider's code (required)")
	fs.StringVar(&in.Out, "out", ".", "folder for reconcile-Y-CODE.csv and .pdf")
	fs.StringVar(&in.Font, "font", "", "CJK TrueType font for the PDF (env CLOUDBILL_FONT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("reconcile takes one file, the provider's bill, got %d arguments", fs.NArg())
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	in.Name, in.File = fs.Arg(0), f
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		r, err := a.Reconcile(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "reconciled %s with %d version %d: %d matched, %d missing in the bill, %d missing in the statement, %d differ\n",
			r.ProviderCode, r.Year, r.Version, r.Matched, r.MissingInBill, r.MissingInStatement, r.Differing)
		for _, p := range r.Paths {
			fmt.Fprintln(c.Stdout, p)
		}
		return nil
	})
}
