package main

import (
	"context"
	"errors"
)

func cmdIngest(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "ingest", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
