package main

import (
	"context"
	"flag"
	"fmt"

	"cloudbill/app"
	"cloudbill/store"
)

// cmdArchive moves the usage and activity rows of a closed year into
// OUT/usage-YEAR.csv.gz and OUT/activity-YEAR.csv.gz (with OUT/SHA256SUMS),
// keeping statements, findings, the ledger and the summaries.
func cmdArchive(c *cli, fs *flag.FlagSet) action {
	var in app.ArchiveInput
	fs.IntVar(&in.Year, "year", 0, "the closed `YEAR` to archive: a past year whose statement is issued (required)")
	fs.StringVar(&in.Out, "out", "", "`DIR` of the archive files: usage-YEAR.csv.gz, activity-YEAR.csv.gz and SHA256SUMS (required)")
	return c.withInput(&in, func(ctx context.Context, a *app.App) error { return c.show(a.ArchiveRecorded(ctx, in)) })
}

// cmdBackup writes a consistent copy of the SQLite database while the
// daemon goes on (VACUUM INTO); PostgreSQL is backed up with pg_dump.
func cmdBackup(c *cli, fs *flag.FlagSet) action {
	out := fs.String("out", "", "`FILE` to write the copy to (must not exist)")
	return func(ctx context.Context, _ []string) error {
		if *out == "" {
			return usagef("backup needs --out FILE")
		}
		return c.withApp(ctx, func(a *app.App) error {
			if err := a.DB.Backup(ctx, *out); err != nil {
				return err
			}
			if !c.quiet() {
				fmt.Fprintf(c.Stdout, "%s database copied to %s (restore: stop the daemon, put the copy in place of %s)\n", a.DB.Engine, *out, store.RedactDSN(c.DSN))
			}
			return nil
		})
	}
}

// cmdMigrate applies the migrations the database lacks (opening it does)
// and prints its schema version. It parses its own flags: arguments after
// them are ignored, as they always were.
func cmdMigrate(c *cli, fs *flag.FlagSet) action {
	return func(ctx context.Context, args []string) error {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return c.withApp(ctx, func(a *app.App) error {
			n, err := a.DB.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s database at schema version %d\n", a.DB.Engine, n)
			return nil
		})
	}
}
