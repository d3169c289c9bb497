package main

import (
	"context"
	"fmt"

	"cloudbill/billing"
	"cloudbill/reports"
	"cloudbill/store"
)

// writeDocuments writes the year's PDF documents and the XLSX workbook for
// statement st into dir: it gathers names, obligations (as of the report's
// date), findings and scores from the store and renders them with the CJK
// font at fontPath, else $CLOUDBILL_FONT, else a standard place.
func writeDocuments(ctx context.Context, a *App, db *store.DB, year int, dir string, st *billing.Statement, fontPath string) ([]string, error) {
	font, err := reports.FindFont(fontPath)
	if err != nil {
		return nil, err
	}
	names, err := db.Names(ctx)
	if err != nil {
		return nil, err
	}
	asOf := reportAsOf(year)
	obs, err := yearObligations(ctx, db, year, asOf)
	if err != nil {
		return nil, err
	}
	fs, err := yearFindings(ctx, db, year)
	if err != nil {
		return nil, err
	}
	scores, err := db.EvaluationScores(ctx, year)
	if err != nil {
		return nil, err
	}
	b := reports.Bundle{
		Statement: st,
		Names: reports.Names{
			Districts:   names.Districts,
			Departments: names.Departments,
			Providers:   names.Providers,
			Systems:     names.Systems,
			Resources:   names.Resources,
			Catalogue:   names.Catalogue,
		},
		Obligations: obs,
		Findings:    fs,
		Scores:      scores,
		AsOf:        asOf,
	}
	paths, err := reports.WriteDocuments(dir, b, font)
	if err != nil {
		return paths, fmt.Errorf("documents of %d: %w", year, err)
	}
	a.Log.Info("documents written", "year", year, "version", st.Version, "font", font.Path, "files", len(paths))
	return paths, nil
}
