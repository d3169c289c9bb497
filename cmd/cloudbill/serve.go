package main

import (
	"context"
	"errors"
)

func cmdServe(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "serve", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
