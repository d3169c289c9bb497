package main

import (
	"context"
	"fmt"
	"os"

	"cloudbill/evaluation"
)

// policyEnv names the policy file; without it the built-in defaults of
// DESIGN.md are in force (see docs/policy.md).
const policyEnv = "CLOUDBILL_POLICY"

// loadPolicy returns the evaluation policy in force: the file named by
// CLOUDBILL_POLICY, or the built-in defaults.
func loadPolicy(a *App) (evaluation.Policy, error) {
	p, _, err := policyInForce()
	return p, err
}

// policyInForce returns the policy and where it came from.
func policyInForce() (evaluation.Policy, string, error) {
	path := os.Getenv(policyEnv)
	if path == "" {
		return evaluation.DefaultPolicy(), "built-in defaults", nil
	}
	p, err := readPolicy(path)
	return p, path, err
}

func readPolicy(path string) (evaluation.Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return evaluation.Policy{}, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	return evaluation.ParsePolicy(f, path)
}

func cmdPolicy(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "policy", "")
	file := fs.String("file", "", "check and print this policy file instead of the one in force (env "+policyEnv+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	var (
		p      evaluation.Policy
		source string
		err    error
	)
	if *file != "" {
		p, err = readPolicy(*file)
		source = *file
	} else {
		p, source, err = policyInForce()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "# policy in force: %s\n%s", source, p.String())
	return nil
}
