package main

import (
	"context"
	"fmt"
	"sort"

	"cloudbill/app"
	"cloudbill/evaluation"
	"cloudbill/metering"
)

func cmdFindings(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "findings", "")
	asOfFlag := fs.String("as-of", "", "as-of date YYYY-MM-DD (default: yesterday in Asia/Shanghai)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var in app.FindingsInput
	if *asOfFlag != "" {
		d, err := metering.ParseDate(*asOfFlag)
		if err != nil {
			return usagef("--as-of: %v", err)
		}
		in.AsOf = d
	}
	return c.withApp(ctx, func(a *app.App) error {
		if _, _, err := a.Policy(); err != nil {
			return err
		}
		found, asOf, err := a.RefreshFindings(ctx, in)
		if err != nil {
			return err
		}
		byKind := map[evaluation.FindingKind]int{}
		for _, f := range found {
			byKind[f.Kind]++
		}
		kinds := make([]string, 0, len(byKind))
		for k := range byKind {
			kinds = append(kinds, string(k))
		}
		sort.Strings(kinds)
		fmt.Fprintf(c.Stdout, "%d findings as of %s", len(found), asOf)
		for _, k := range kinds {
			fmt.Fprintf(c.Stdout, "; %s %d", k, byKind[evaluation.FindingKind(k)])
		}
		fmt.Fprintln(c.Stdout)
		c.Log.Info("findings refreshed", "as_of", asOf.String(), "findings", len(found))
		return nil
	})
}
