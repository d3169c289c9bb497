package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets a test run the real command line in a child process: the
// test binary re-executed with CLOUDBILL_TEST_MAIN=1 is cloudbill.
func TestMain(m *testing.M) {
	if os.Getenv("CLOUDBILL_TEST_MAIN") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// childEnv is the environment of a child cloudbill.
func childEnv(extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CLOUDBILL_TEST_MAIN=") {
			env = append(env, e)
		}
	}
	return append(append(env, "CLOUDBILL_TEST_MAIN=1"), extra...)
}
