package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"cloudbill/app"
)

const userUsage = `usage: cloudbill user add NAME --role ROLE [--district CODE] [--department CODE] [--provider CODE] --password-stdin
       cloudbill user list
       cloudbill user disable NAME
       cloudbill user passwd NAME --password-stdin

roles: finance, office, district (--district), department (--department), provider (--provider), evaluator`

// cmdUser manages the review portal's accounts: user add|list|disable|passwd.
func cmdUser(c *cli, _ *flag.FlagSet) action {
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
			fmt.Fprintln(c.Stderr, userUsage)
			if len(args) == 0 {
				return usagef("user: add, list, disable or passwd")
			}
			return nil
		}
		sub, rest := args[0], args[1:]
		switch sub {
		case "add":
			fs := newFlags(c, "user", "add NAME --role ROLE [--district|--department|--provider CODE] --password-stdin")
			var in app.UserInput
			role := fs.String("role", "", "finance, office, district, department, provider or evaluator")
			fs.StringVar(&in.District, "district", "", "the district of a district account")
			fs.StringVar(&in.Department, "department", "", "the department of a department account")
			fs.StringVar(&in.Provider, "provider", "", "the provider of a provider account")
			return c.userDo(ctx, fs, sub, rest, "the password", func(a *app.App, name, pw string) (string, error) {
				in.Name, in.Role, in.Password = name, app.Role(*role), pw
				return fmt.Sprintf("user %s added (%s)", name, *role), a.AddUser(ctx, in)
			})
		case "passwd":
			fs := newFlags(c, "user", "passwd NAME --password-stdin")
			return c.userDo(ctx, fs, sub, rest, "the new password", func(a *app.App, name, pw string) (string, error) {
				return fmt.Sprintf("password of %s changed; its sessions are ended", name), a.SetPassword(ctx, name, pw)
			})
		case "disable":
			fs := newFlags(c, "user", "disable NAME")
			return c.userDo(ctx, fs, sub, rest, "", func(a *app.App, name, _ string) (string, error) {
				return fmt.Sprintf("user %s disabled; its sessions are ended", name), a.DisableUser(ctx, name)
			})
		case "list":
			fs := newFlags(c, "user", "list")
			if err := parseFlags(fs, rest); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("unexpected arguments %q", fs.Args())
			}
			return c.withApp(ctx, func(a *app.App) error {
				us, err := a.Users(ctx)
				return c.show(app.UserTable(us), err)
			})
		}
		return usagef("user: unknown subcommand %q (add, list, disable or passwd)", sub)
	}
}

// userDo runs the user subcommand sub on NAME, which may come before or
// after its flags: with the password read from standard input when pwHelp
// names one (--password-stdin is then required), and the line fn returns
// printed once fn succeeds.
func (c *cli) userDo(ctx context.Context, fs *flag.FlagSet, sub string, args []string, pwHelp string, fn func(a *app.App, name, pw string) (string, error)) error {
	var stdin bool
	if pwHelp != "" {
		fs.BoolVar(&stdin, "password-stdin", false, "read "+pwHelp+" from the first line of standard input (required)")
	}
	name, err := nameThenFlags(fs, args)
	if err != nil {
		return err
	}
	var pw string
	if pwHelp != "" {
		if !stdin {
			return usagef("user %s: --password-stdin is required (the password is never an argument)", sub)
		}
		if pw, err = app.ReadPassword(c.stdin); err != nil {
			return err
		}
	}
	return c.withApp(ctx, func(a *app.App) error { return c.show(fn(a, name, pw)) })
}

// nameThenFlags reads NAME and the flags around it (NAME may come first,
// as in user add alice --role finance). Even --help is a usage error here.
func nameThenFlags(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", usagef("%s", strings.TrimSpace(err.Error()))
	}
	rest := fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "" {
		return "", usagef("user: a NAME is required")
	}
	if len(rest) > 0 {
		return "", usagef("unexpected arguments %q", rest)
	}
	return name, nil
}
