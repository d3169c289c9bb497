package main

import (
	"context"
	"errors"
)

func cmdIssue(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "issue", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
