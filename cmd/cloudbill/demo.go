package main

import (
	"context"
	"errors"
)

func cmdDemo(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "demo", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
