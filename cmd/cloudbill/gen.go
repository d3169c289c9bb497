package main

import (
	"context"
	"errors"
)

func cmdGen(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "gen", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
