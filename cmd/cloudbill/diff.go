package main

import (
	"context"
	"errors"
)

func cmdDiff(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "diff", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
