package app

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"cloudbill/billing"
	"cloudbill/metering"
	"cloudbill/reference"
)

// UsageError is a command line that cannot run as typed (an unknown flag,
// a value that does not parse, two options that exclude each other): like
// an *InputError the caller's mistake, exit status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef is a *UsageError formatted as fmt.Errorf formats (%w wraps).
func Usagef(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// DateArg parses the value of the flag --name, a date YYYY-MM-DD; "" is
// the zero Date (the command's default).
func DateArg(name, value string) (metering.Date, error) {
	if value == "" {
		return 0, nil
	}
	d, err := metering.ParseDate(value)
	if err != nil {
		return 0, Usagef("--%s: %w", name, err)
	}
	return d, nil
}

// PeriodArgs are a command line's --month (such as 2024-07) and --quarter
// (such as 2024Q3), as typed.
type PeriodArgs struct{ Month, Quarter string }

// Period parses the one given: the zero Period when neither is.
func (p PeriodArgs) Period() (billing.Period, error) {
	switch {
	case p.Month != "" && p.Quarter != "":
		return billing.Period{}, Usagef("give --month or --quarter, not both")
	case p.Month != "":
		period, err := billing.ParseMonth(p.Month)
		if err != nil {
			return billing.Period{}, Usagef("--month: %w", err)
		}
		return period, nil
	case p.Quarter != "":
		period, err := billing.ParseQuarter(p.Quarter)
		if err != nil {
			return billing.Period{}, Usagef("--quarter: %w", err)
		}
		return period, nil
	}
	return billing.Period{}, nil
}

// ReportArgs are `cloudbill report` as typed: the documents of the year's
// statement (--year, with --version) or the report of a month or a
// quarter.
type ReportArgs struct {
	ReportInput
	PeriodArgs
}

// Parse checks that one of --year, --month and --quarter is given and
// returns the period report's input, or nil for the year's documents.
func (in ReportArgs) Parse() (*PeriodInput, error) {
	given := 0
	for _, set := range []bool{in.Year != 0, in.Month != "", in.Quarter != ""} {
		if set {
			given++
		}
	}
	if given != 1 {
		return nil, Usagef("give one of --year, --month or --quarter")
	}
	if in.Year != 0 {
		return nil, in.ReportInput.Validate()
	}
	if in.Version != 0 {
		return nil, Usagef("--version is for --year (a statement's documents)")
	}
	p, err := in.Period()
	if err != nil {
		return nil, err
	}
	pin := &PeriodInput{Period: p, Out: in.Out, Font: in.Font}
	return pin, pin.Validate()
}

// JobArgs are `cloudbill run` as typed: the job, and the options of its
// JobInput whose values are parsed here (--date, --month, --quarter).
type JobArgs struct {
	JobInput
	Date string
	PeriodArgs
}

// Parse returns the job's input, checked.
func (in JobArgs) Parse() (JobInput, error) {
	job := in.JobInput
	var err error
	if job.Date, err = DateArg("date", in.Date); err != nil {
		return job, err
	}
	if job.Period, err = in.PeriodArgs.Period(); err != nil {
		return job, err
	}
	return job, job.Validate()
}

// ReadPassword reads a password from the first line of r (a command's
// standard input, --password-stdin), without its line ending.
func ReadPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", Usagef("--password-stdin: no standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", Usagef("--password-stdin: standard input is empty")
	}
	return line, nil
}

// ReadSet reads and checks the reference data set of in without a
// database, so that a bad set is reported (a *ProblemsError) before one is
// opened; App.LoadSet then stores it.
func ReadSet(in LoadInput) (*reference.Set, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ref, problems := reference.ReadDir(in.Dir)
	if len(problems) > 0 {
		return nil, &ProblemsError{Dir: in.Dir, Problems: problems}
	}
	return ref, nil
}
