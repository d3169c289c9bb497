// Command cloudbill settles the city government cloud: it loads reference
// data, ingests nightly metering, settles a year, issues statements, writes
// the reports and runs the nightly jobs as a cron daemon.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system tz database

	"golang.org/x/term"

	"cloudbill/app"
	"cloudbill/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli carries what every command needs: global flags, output and the logger.
type cli struct {
	DSN       string
	LogFormat string
	Stdout    io.Writer
	Stderr    io.Writer
	stdin     io.Reader // user add/passwd --password-stdin
	Log       *slog.Logger
	// IsTerminal reports whether Stderr is a terminal (progress bars).
	IsTerminal bool
	// Verbose asks one-shot runs for their summary and info logs.
	Verbose bool
	// creates says the command may create the database (load, migrate).
	creates bool
	command string
	settle  time.Duration // --settle of the inbox
	// connectTimeout bounds how long a PostgreSQL server may take to answer.
	connectTimeout time.Duration
	keepDone       time.Duration // --keep-done of the inbox
}

// jsonLogs reports whether stderr carries JSON lines only.
func (c *cli) jsonLogs() bool { return c.LogFormat == "json" }

// OpenDB opens the database named by --db. Only the commands that create
// a database (load, migrate) open a SQLite file that is not there yet: for
// the others a missing file is a mistyped --db, and nothing is created.
func (c *cli) OpenDB(ctx context.Context) (*store.DB, error) {
	if engine, path, err := store.ParseDSN(c.DSN); err == nil && engine == store.EngineSQLite && !c.creates {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist (check --db or CLOUDBILL_DB; cloudbill load DIR or cloudbill migrate creates it)", path)
		}
	}
	return store.OpenWith(ctx, c.DSN, store.Options{ConnectTimeout: c.connectTimeout})
}

// withApp runs fn with the use cases on the database, closed afterwards.
func (c *cli) withApp(ctx context.Context, fn func(a *app.App) error) error {
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	return fn(a)
}

// open opens the database and returns the use cases on it; the caller
// closes a.DB.
func (c *cli) open(ctx context.Context) (*app.App, error) {
	db, err := c.OpenDB(ctx)
	if err != nil {
		return nil, err
	}
	return app.New(db, c.Log), nil
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"migrate":   {"apply the database migrations", cmdMigrate},
		"load":      {"load or update a reference data set from DIR", cmdLoad},
		"gen":       {"generate nightly metering files for the fixtures or a reference set", cmdGen},
		"ingest":    {"ingest metering files, folders, or every new file of an inbox", cmdIngest},
		"rejects":   {"list rejected metering rows", cmdRejects},
		"summaries": {"check (or --rebuild) the usage summaries the settlement and the findings read", cmdSummaries},
		"settle":    {"compute the year's settlement as a new draft version", cmdSettle},
		"issue":     {"freeze the year's draft statement as issued", cmdIssue},
		"signoff":   {"sign off a draft: publish, confirm, object, resolve, approve, status (docs/signoff.md)", cmdSignoff},
		"diff":      {"list per line what changed between two versions (default: the latest issued against the latest)", cmdDiff},
		"versions":  {"list the year's statement versions: status, dates, lines, totals, fingerprint", cmdVersions},
		"report":    {"write the year's PDF, CSV and XLSX documents, or a month's or a quarter's report", cmdReport},
		"budget":    {"write next year's budget proposal (PDF, CSV, XLSX) from the approved configuration", cmdBudget},
		"policy":    {"print the evaluation policy in force", cmdPolicy},
		"findings":  {"refresh the resource-use findings (idle, zombie, beyond approval, gaps) as of a date", cmdFindings},
		"serve":     {"run the nightly, annual, monthly and quarterly jobs as a cron daemon", cmdServe},
		"run":       {"run one job now: nightly, annual, monthly or quarterly", cmdRun},
		"jobs":      {"list recent job runs", cmdJobs},
		"demo":      {"fresh embedded database, fixtures, a generated year, every report", cmdDemo},
		"backup":    {"copy the SQLite database consistently while the daemon runs (PostgreSQL: pg_dump)", cmdBackup},
		"archive":   {"move a closed year's metering out of the database into compressed files (cloudbill ingest restores them)", cmdArchive},
		"user":      {"manage the review portal's accounts: add, list, disable, passwd", cmdUser},
		"audit":     {"list the audit trail (--year Y), or verify its hash chain (audit verify)", cmdAudit},
		"reconcile": {"compare a provider's own bill (CSV) with the year's draft, line by line: reconcile-Y-CODE.csv and .pdf", cmdReconcile},
	}
}

// usageError is a bad invocation: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Main runs cloudbill with args and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &cli{Stdout: stdout, Stderr: stderr, stdin: stdin}
	if f, ok := stderr.(*os.File); ok {
		a.IsTerminal = term.IsTerminal(int(f.Fd()))
	}
	global := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	global.SetOutput(stderr)
	defDB := os.Getenv("CLOUDBILL_DB")
	if defDB == "" {
		defDB = "sqlite:cloudbill.db"
	}
	global.StringVar(&a.DSN, "db", defDB, "database: sqlite:PATH or postgres://… (env CLOUDBILL_DB)")
	global.StringVar(&a.LogFormat, "log-format", envOr("CLOUDBILL_LOG_FORMAT", "text"), "log format: text or json, one JSON object a line on stderr (env CLOUDBILL_LOG_FORMAT)")
	global.BoolVar(&a.Verbose, "verbose", false, "one-shot runs (cloudbill run) print their summary and info logs; without it they print nothing on success, so cron sends no mail")
	version := global.Bool("version", false, "print the version and exit")
	global.DurationVar(&a.connectTimeout, "connect-timeout", envDuration("CLOUDBILL_CONNECT_TIMEOUT", store.DefaultConnectTimeout),
		"how long a PostgreSQL server may take to answer before the command fails (env CLOUDBILL_CONNECT_TIMEOUT; connect_timeout in the URL wins)")
	global.Usage = func() { printUsage(stderr, global) }
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Fprintf(stdout, "cloudbill %s\n", app.Version())
		return 0
	}
	if a.LogFormat != "text" && a.LogFormat != "json" {
		fmt.Fprintf(stderr, "cloudbill: --log-format %q: text or json\n", a.LogFormat)
		return 2
	}
	rest := global.Args()
	if len(rest) == 0 {
		printUsage(stderr, global)
		return 2
	}
	name := rest[0]
	if name == "help" {
		printUsage(stdout, global)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "cloudbill: unknown command %q\n", name)
		printUsage(stderr, global)
		return 2
	}
	a.command, a.creates = name, name == "load" || name == "migrate"
	level := slog.LevelInfo
	if name == "run" && !a.Verbose {
		level = slog.LevelWarn
	}
	a.Log = newLogger(stderr, a.LogFormat, level)
	err := cmd.run(ctx, a, rest[1:])
	var ue usageError
	var ie *app.InputError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue), errors.As(err, &ie):
		a.fail(name, err)
		return 2
	}
	a.fail(name, err)
	return 1
}

// fail reports a command's error on stderr: one line, JSON in JSON mode.
func (c *cli) fail(name string, err error) {
	if c.jsonLogs() {
		c.Log.Error("command failed", "command", name, "err", err.Error())
		return
	}
	fmt.Fprintf(c.Stderr, "cloudbill %s: %v\n", name, err)
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if os.Getenv("CLOUDBILL_LOG_LEVEL") == "debug" {
		opts.Level = slog.LevelDebug
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func printUsage(w io.Writer, global *flag.FlagSet) {
	fmt.Fprintln(w, "usage: cloudbill [--db DSN] [--log-format text|json] COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nglobal flags:")
	global.SetOutput(w)
	global.PrintDefaults()
	fmt.Fprintln(w, "\nRun 'cloudbill COMMAND --help' for a command's flags. Exit status: 0 ok, 1 failure, 2 bad usage.")
}

// newFlags returns a flag set for a subcommand whose --help prints usage
// and summary; parse errors become usage errors.
func newFlags(a *cli, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudbill "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: cloudbill %s [flags] %s\n\n%s\n", name, argsUsage, commands[name].summary)
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(out, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseNoArgs parses args like parseFlags and refuses arguments that are
// not flags.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	return nil
}

// parseFlags parses args; a bad flag is a usage error, --help is flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			return flag.ErrHelp
		}
		return usageError{strings.TrimSpace(err.Error())}
	}
	return nil
}

func cmdMigrate(ctx context.Context, a *cli, args []string) error {
	fs := newFlags(a, "migrate", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := a.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s database at schema version %d\n", db.Engine, n)
	return nil
}

// quiet is a one-shot run from cron without --verbose: nothing on success.
func (c *cli) quiet() bool { return c.command == "run" && !c.Verbose }
