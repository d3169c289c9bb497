package main

import (
	"context"
	"errors"
)

func cmdRejects(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "rejects", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
