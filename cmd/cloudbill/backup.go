package main

import (
	"context"
	"fmt"

	"cloudbill/store"
)

// cmdBackup writes a consistent copy of the SQLite database while the
// daemon goes on (VACUUM INTO); PostgreSQL is backed up with pg_dump.
func cmdBackup(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "backup", "")
	out := fs.String("out", "", "`FILE` to write the copy to (must not exist)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("backup needs --out FILE")
	}
	db, err := c.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	if !c.quiet() {
		fmt.Fprintf(c.Stdout, "%s database copied to %s (restore: stop the daemon, put the copy in place of %s)\n", db.Engine, *out, store.RedactDSN(c.DSN))
	}
	return nil
}
