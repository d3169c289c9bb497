package main

import (
	"context"
	"errors"
)

func cmdRun(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "run", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
