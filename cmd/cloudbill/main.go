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
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
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

// command is one subcommand: its summary, the arguments it takes after its
// flags (for the usage line; "" takes none) and setup, which declares its
// flags and returns what runs once they are parsed. A raw command parses
// its arguments itself (user: subcommands with flags of their own); only
// a command that creates may create a SQLite database not there yet.
type command struct {
	summary string
	args    string
	setup   func(c *cli, fs *flag.FlagSet) action
	raw     bool
	creates bool
}

// action runs a command with the arguments left after its flags.
type action func(ctx context.Context, args []string) error

var commands map[string]command

func init() {
	commands = map[string]command{
		"migrate":   {summary: "apply the database migrations", setup: cmdMigrate, raw: true, creates: true},
		"load":      {summary: "load or update a reference data set from DIR", args: "DIR", setup: cmdLoad, creates: true},
		"gen":       {summary: "generate nightly metering files for the fixtures or a reference set", setup: cmdGen},
		"ingest":    {summary: "ingest metering files, folders, or every new file of an inbox", args: "PATH... | --inbox DIR", setup: cmdIngest},
		"rejects":   {summary: "list rejected metering rows", setup: cmdRejects},
		"summaries": {summary: "check (or --rebuild) the usage summaries the settlement and the findings read", setup: cmdSummaries},
		"settle":    {summary: "compute the year's settlement as a new draft version", setup: cmdSettle},
		"issue":     {summary: "freeze the year's draft statement as issued", setup: cmdIssue},
		"signoff":   {summary: "sign off a draft: publish, confirm, object, resolve, approve, status (docs/signoff.md)", args: signoffUsage, setup: cmdSignoff, raw: true},
		"diff":      {summary: "list per line what changed between two versions (default: the latest issued against the latest)", setup: cmdDiff},
		"versions":  {summary: "list the year's statement versions: status, dates, lines, totals, fingerprint", setup: cmdVersions},
		"report":    {summary: "write the year's PDF, CSV and XLSX documents, or a month's or a quarter's report", setup: cmdReport},
		"budget":    {summary: "write next year's budget proposal (PDF, CSV, XLSX) from the approved configuration", setup: cmdBudget},
		"policy":    {summary: "print the evaluation policy in force", setup: cmdPolicy},
		"findings":  {summary: "refresh the resource-use findings (idle, zombie, beyond approval, gaps) as of a date", setup: cmdFindings},
		"serve":     {summary: "run the nightly, annual, monthly and quarterly jobs as a cron daemon", setup: cmdServe},
		"run":       {summary: "run one job now: nightly, annual, monthly or quarterly", args: "nightly|annual|monthly|quarterly", setup: cmdRun},
		"jobs":      {summary: "list recent job runs", setup: cmdJobs},
		"demo":      {summary: "fresh embedded database, fixtures, a generated year, every report", setup: cmdDemo},
		"backup":    {summary: "copy the SQLite database consistently while the daemon runs (PostgreSQL: pg_dump)", setup: cmdBackup},
		"archive":   {summary: "move a closed year's metering out of the database into compressed files (cloudbill ingest restores them)", setup: cmdArchive},
		"user":      {summary: "manage the review portal's accounts: add, list, disable, passwd", setup: cmdUser, raw: true},
		"audit":     {summary: "list the audit trail (--year Y), or verify its hash chain (audit verify)", args: "[verify]", setup: cmdAudit, raw: true},
		"reconcile": {summary: "compare a provider's own bill (CSV) with the year's draft, line by line: reconcile-Y-CODE.csv and .pdf", args: "FILE", setup: cmdReconcile},
	}
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

// Main runs cloudbill with args and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{Stdout: stdout, Stderr: stderr, stdin: stdin}
	if f, ok := stderr.(*os.File); ok {
		c.IsTerminal = term.IsTerminal(int(f.Fd()))
	}
	global := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.StringVar(&c.DSN, "db", envOr("CLOUDBILL_DB", "sqlite:cloudbill.db"), "database: sqlite:PATH or postgres://… (env CLOUDBILL_DB)")
	global.StringVar(&c.LogFormat, "log-format", envOr("CLOUDBILL_LOG_FORMAT", "text"), "log format: text or json, one JSON object a line on stderr (env CLOUDBILL_LOG_FORMAT)")
	global.BoolVar(&c.Verbose, "verbose", false, "one-shot runs (cloudbill run) print their summary and info logs; without it they print nothing on success, so cron sends no mail")
	version := global.Bool("version", false, "print the version and exit")
	global.DurationVar(&c.connectTimeout, "connect-timeout", envDuration("CLOUDBILL_CONNECT_TIMEOUT", store.DefaultConnectTimeout),
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
	if c.LogFormat != "text" && c.LogFormat != "json" {
		fmt.Fprintf(stderr, "cloudbill: --log-format %q: text or json\n", c.LogFormat)
		return 2
	}
	rest := global.Args()
	switch {
	case len(rest) == 0:
		printUsage(stderr, global)
		return 2
	case rest[0] == "help":
		printUsage(stdout, global)
		return 0
	case commands[rest[0]].setup == nil:
		fmt.Fprintf(stderr, "cloudbill: unknown command %q\n", rest[0])
		printUsage(stderr, global)
		return 2
	}
	name := rest[0]
	level := slog.LevelInfo
	if name == "run" && !c.Verbose {
		level = slog.LevelWarn
	}
	c.Log = newLogger(stderr, c.LogFormat, level)
	switch err := c.exec(ctx, name, rest[1:]); {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(*app.UsageError)), errors.As(err, new(*app.InputError)):
		c.fail(name, err)
		return 2
	default:
		c.fail(name, err)
		return 1
	}
}

// exec runs the command name: its flags declared and parsed (a bad flag is
// a usage error, --help is flag.ErrHelp), then its action.
func (c *cli) exec(ctx context.Context, name string, args []string) error {
	cmd := commands[name]
	c.command, c.creates = name, cmd.creates
	fs := newFlags(c, name, cmd.args)
	run := cmd.setup(c, fs)
	if cmd.raw {
		return run(ctx, args)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cmd.args == "" && fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	return run(ctx, fs.Args())
}

// newFlags returns a flag set for a subcommand whose --help prints usage
// and summary.
func newFlags(c *cli, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudbill "+name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
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

// parseFlags parses args; a bad flag is a usage error, --help is flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return usagef("%s", strings.TrimSpace(err.Error()))
	}
	return nil
}

// usagef is a bad invocation: exit status 2.
func usagef(format string, args ...any) error { return app.Usagef(format, args...) }

// withInput is the action of most commands: check in (a use case's input,
// when not nil), then run fn with the use cases on the database.
func (c *cli) withInput(in interface{ Validate() error }, fn func(ctx context.Context, a *app.App) error) action {
	return func(ctx context.Context, _ []string) error {
		if in != nil {
			if err := in.Validate(); err != nil {
				return err
			}
		}
		return c.withApp(ctx, func(a *app.App) error { return fn(ctx, a) })
	}
}

// withApp runs fn with the use cases on the database named by --db,
// closed afterwards.
func (c *cli) withApp(ctx context.Context, fn func(a *app.App) error) error {
	a, err := app.Open(ctx, app.OpenInput{DSN: c.DSN, Create: c.creates, ConnectTimeout: c.connectTimeout}, c.Log)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	return fn(a)
}

// jsonLogs reports whether stderr carries JSON lines only.
func (c *cli) jsonLogs() bool { return c.LogFormat == "json" }

// quiet is a one-shot run from cron without --verbose: nothing on success.
func (c *cli) quiet() bool { return c.command == "run" && !c.Verbose }

// fail reports a command's error on stderr: one line, JSON in JSON mode.
func (c *cli) fail(name string, err error) {
	if c.jsonLogs() {
		c.Log.Error("command failed", "command", name, "err", err.Error())
		return
	}
	fmt.Fprintf(c.Stderr, "cloudbill %s: %v\n", name, err)
}

// note ends a command with its summary on stderr: line, or in JSON mode
// the log message msg with attrs.
func (c *cli) note(line, msg string, attrs ...any) { c.tell(slog.LevelInfo, line, msg, attrs...) }

// tell writes line on stderr, or in JSON mode logs msg with attrs at level.
func (c *cli) tell(level slog.Level, line, msg string, attrs ...any) {
	if c.jsonLogs() {
		c.Log.Log(context.Background(), level, msg, attrs...)
		return
	}
	fmt.Fprintln(c.Stderr, line)
}

// show prints r on stdout (a result's summary, one line or a few) unless
// err.
func (c *cli) show(r any, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, r)
	return nil
}

// printPaths prints one path a line: the files a command wrote.
func printPaths(w io.Writer, paths []string) {
	for _, p := range paths {
		fmt.Fprintln(w, p)
	}
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

func envDuration(key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(os.Stderr, "cloudbill: ignoring %s=%q: not a duration\n", key, v)
	}
	return def
}

func printUsage(w io.Writer, global *flag.FlagSet) {
	fmt.Fprintln(w, "usage: cloudbill [--db DSN] [--log-format text|json] COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nglobal flags:")
	global.SetOutput(w)
	global.PrintDefaults()
	fmt.Fprintln(w, "\nRun 'cloudbill COMMAND --help' for a command's flags. Exit status: 0 ok, 1 failure, 2 bad usage.")
}
