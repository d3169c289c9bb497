package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"cloudbill/app"
)

// cmdUser manages the review portal's accounts: user add|list|disable|passwd.
func cmdUser(ctx context.Context, a *cli, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(a.Stderr, "usage: cloudbill user add NAME --role ROLE [--district CODE] [--department CODE] [--provider CODE] --password-stdin\n       cloudbill user list\n       cloudbill user disable NAME\n       cloudbill user passwd NAME --password-stdin\n\nroles: finance, office, district (--district), department (--department), provider (--provider), evaluator")
		if len(args) == 0 {
			return usagef("user: add, list, disable or passwd")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "add":
		fs := newFlags(a, "user", "add NAME --role ROLE [--district|--department|--provider CODE] --password-stdin")
		role := fs.String("role", "", "finance, office, district, department, provider or evaluator")
		district := fs.String("district", "", "the district of a district account")
		department := fs.String("department", "", "the department of a department account")
		provider := fs.String("provider", "", "the provider of a provider account")
		stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
		name, err := nameThenFlags(fs, rest)
		if err != nil {
			return err
		}
		if !*stdin {
			return usagef("user add: --password-stdin is required (the password is never an argument)")
		}
		pw, err := readPassword(a.stdin)
		if err != nil {
			return err
		}
		in := app.UserInput{Name: name, Role: app.Role(*role), District: *district, Department: *department, Provider: *provider, Password: pw}
		return a.withApp(ctx, func(ap *app.App) error {
			if err := ap.AddUser(ctx, in); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "user %s added (%s)\n", name, *role)
			return nil
		})
	case "passwd":
		fs := newFlags(a, "user", "passwd NAME --password-stdin")
		stdin := fs.Bool("password-stdin", false, "read the new password from the first line of standard input (required)")
		name, err := nameThenFlags(fs, rest)
		if err != nil {
			return err
		}
		if !*stdin {
			return usagef("user passwd: --password-stdin is required (the password is never an argument)")
		}
		pw, err := readPassword(a.stdin)
		if err != nil {
			return err
		}
		return a.withApp(ctx, func(ap *app.App) error {
			if err := ap.SetPassword(ctx, name, pw); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "password of %s changed; its sessions are ended\n", name)
			return nil
		})
	case "disable":
		fs := newFlags(a, "user", "disable NAME")
		name, err := nameThenFlags(fs, rest)
		if err != nil {
			return err
		}
		return a.withApp(ctx, func(ap *app.App) error {
			if err := ap.DisableUser(ctx, name); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "user %s disabled; its sessions are ended\n", name)
			return nil
		})
	case "list":
		fs := newFlags(a, "user", "list")
		if err := parseNoArgs(fs, rest); err != nil {
			return err
		}
		return a.withApp(ctx, func(ap *app.App) error {
			us, err := ap.Users(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tSCOPE\tCREATED\tSTATUS")
			for _, u := range us {
				status := "enabled"
				if u.Disabled() {
					status = "disabled " + u.DisabledAt.UTC().Format("2006-01-02T15:04:05Z")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, u.DistrictCode+u.DepartmentCode+u.ProviderCode, u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), status)
			}
			return tw.Flush()
		})
	}
	return usagef("user: unknown subcommand %q (add, list, disable or passwd)", sub)
}

// nameThenFlags reads NAME and the flags around it (NAME may come first,
// as in user add alice --role finance).
func nameThenFlags(fs interface {
	Parse([]string) error
	NArg() int
	Args() []string
}, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", usageError{strings.TrimSpace(err.Error())}
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

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", usagef("--password-stdin: no standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("--password-stdin: standard input is empty")
	}
	return line, nil
}
