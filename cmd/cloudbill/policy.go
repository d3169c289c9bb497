package main

import (
	"context"
	"fmt"

	"cloudbill/app"
	"cloudbill/evaluation"
)

func cmdPolicy(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "policy", "")
	file := fs.String("file", "", "check and print this policy file instead of the one in force (env "+app.PolicyEnv+")")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	var (
		p      evaluation.Policy
		source string
		err    error
	)
	if *file != "" {
		p, err = app.ReadPolicy(*file)
		source = *file
	} else {
		p, source, err = app.New(nil, nil).Policy()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "# policy in force: %s\n%s", source, p.String())
	return nil
}
