package main

import (
	"context"
	"errors"
)

func cmdPolicy(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "policy", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
