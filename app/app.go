package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"cloudbill/evaluation"
	"cloudbill/metering"
	"cloudbill/store"
)

// App runs the use cases against one database.
type App struct {
	DB  *store.DB
	Log *slog.Logger
	// Now is the wall clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// PolicyPath names the evaluation policy file; "" means the built-in
	// defaults (docs/policy.md).
	PolicyPath string
	// Passwords, when set, are the argon2id parameters of new password
	// hashes (tests lower them); nil means DefaultPasswordParams.
	Passwords *PasswordParams
}

// New returns an App on db that logs to log.
func New(db *store.DB, log *slog.Logger) *App {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &App{DB: db, Log: log, PolicyPath: os.Getenv(PolicyEnv)}
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Today is the clock's date in Asia/Shanghai.
func (a *App) Today() metering.Date { return metering.DateOf(a.now()) }

// PolicyEnv names the environment variable holding the policy file.
const PolicyEnv = "CLOUDBILL_POLICY"

// Policy returns the evaluation policy in force and where it came from.
func (a *App) Policy() (evaluation.Policy, string, error) {
	if a.PolicyPath == "" {
		return evaluation.DefaultPolicy(), "built-in defaults", nil
	}
	p, err := ReadPolicy(a.PolicyPath)
	return p, a.PolicyPath, err
}

// ReadPolicy reads and checks the policy file at path.
func ReadPolicy(path string) (evaluation.Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return evaluation.Policy{}, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	return evaluation.ParsePolicy(f, path)
}

// YearInput names a settlement year.
type YearInput struct{ Year int }

// Validate checks that the year is one cloudbill can settle.
func (in YearInput) Validate() error { return ValidateYear(in.Year) }

// ValidateYear checks that year is in the accepted range.
func ValidateYear(year int) error {
	if year < MinYear || year > MaxYear {
		return &InputError{Field: "year", Reason: fmt.Sprintf("%d is not a year from %d to %d (a year such as 2024)", year, MinYear, MaxYear)}
	}
	return nil
}

// The years cloudbill settles.
const (
	MinYear = 2000
	MaxYear = 2100
)

// InputError is an invalid use-case input: the caller's mistake (the
// command line exits 2), not a failure of the run.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return "--" + e.Field + ": " + e.Reason }
