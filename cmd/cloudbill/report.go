package main

import (
	"context"
	"errors"
)

func cmdReport(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "report", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
