package main

import (
	"context"
	"fmt"
	"os"

	"cloudbill/app"
)

// cmdBudget writes next year's budget proposal (预算建议): the approved
// configuration at the year's prices for a full year.
func cmdBudget(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "budget", "")
	var in app.BudgetInput
	fs.IntVar(&in.Year, "year", 0, "the year to propose a budget for, e.g. 2025: the configuration approved on 31 December of the year before (required)")
	fs.StringVar(&in.Out, "out", ".", "folder for budget-Y.pdf, budget-Y.csv and budget-Y.xlsx")
	fs.StringVar(&in.Font, "font", os.Getenv("CLOUDBILL_FONT"), "CJK TrueType font for the PDF (env CLOUDBILL_FONT; default: found in standard places)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		paths, err := a.Budget(ctx, in)
		for _, p := range paths {
			fmt.Fprintln(c.Stdout, p)
		}
		return err
	})
}
