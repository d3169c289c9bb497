package main

import (
	"context"
	"errors"
)

func cmdSettle(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "settle", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
