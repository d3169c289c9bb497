package main

import (
	"context"
	"errors"
)

func cmdJobs(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "jobs", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
