package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"cloudbill/app"
	"cloudbill/metering"
	"cloudbill/store"
)

const signoffUsage = `publish|confirm|object|resolve|approve|status --year Y [--version N] --as USER
  object:  --line RESOURCE/ITEM --reason TEXT [--evidence FILE]
  resolve: --objection ID (--accept [--reason TEXT] | --reject --reason TEXT)  (no --year)
  status:  --as is optional (the operator sees everything)`

// cmdSignoff runs one step of a draft's sign-off (docs/signoff.md) as the
// account --as names; the rules are app's.
func cmdSignoff(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(c.Stderr, "usage: cloudbill signoff %s\n", signoffUsage)
		return usagef("signoff: publish, confirm, object, resolve, approve or status")
	}
	sub := args[0]
	fs := newFlags(c, "signoff", signoffUsage)
	year := fs.Int("year", 0, "settlement year")
	version := fs.Int("version", 0, "version (default: the latest)")
	as := fs.String("as", "", "the acting portal account")
	line := fs.String("line", "", "object: the line, RESOURCE/ITEM")
	reason := fs.String("reason", "", "object, resolve: the reason")
	evidence := fs.String("evidence", "", "object: a file of evidence (at most 10 MiB)")
	id := fs.Int64("objection", 0, "resolve: the objection's number")
	accept := fs.Bool("accept", false, "resolve: accept (the input is corrected and the year settled again)")
	reject := fs.Bool("reject", false, "resolve: reject, with --reason")
	if err := parseNoArgs(fs, args[1:]); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		var ac app.Actor
		if *as != "" {
			var err error
			if ac, err = a.ActorByName(ctx, *as); err != nil {
				return err
			}
		}
		switch sub {
		case "publish":
			if err := a.Publish(ctx, app.PublishInput{Actor: ac, Year: *year, Version: *version}); err != nil {
				return err
			}
		case "confirm":
			if err := a.Confirm(ctx, app.ConfirmInput{Actor: ac, Year: *year, Version: *version}); err != nil {
				return err
			}
		case "object":
			res, item, _ := strings.Cut(*line, "/")
			in := app.ObjectInput{Actor: ac, Year: *year, Version: *version, ResourceID: res, ItemCode: item, Reason: *reason}
			if *evidence != "" {
				f, err := os.Open(*evidence)
				if err != nil {
					return fmt.Errorf("--evidence: %w", err)
				}
				defer f.Close()
				in.Evidence, in.EvidenceName = f, filepath.Base(*evidence)
			}
			n, err := a.Object(ctx, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "objection %d recorded\n", n)
		case "resolve":
			if *accept == *reject {
				return usagef("signoff resolve: one of --accept or --reject")
			}
			outcome := store.ObjectionRejected
			if *accept {
				outcome = store.ObjectionAccepted
			}
			if err := a.Resolve(ctx, app.ResolveInput{Actor: ac, ID: *id, Outcome: outcome, Reason: *reason}); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "objection %d %s\n", *id, outcome)
			return nil
		case "approve":
			if err := a.Approve(ctx, app.ApproveInput{Actor: ac, Year: *year, Version: *version}); err != nil {
				return err
			}
		case "status":
		default:
			return usagef("signoff: unknown step %q (publish, confirm, object, resolve, approve or status)", sub)
		}
		v, err := a.Signoff(ctx, app.SignoffInput{Actor: ac, Year: *year, Version: *version})
		if err != nil {
			return err
		}
		return printSignoff(c, v)
	})
}

func printSignoff(c *cli, v app.SignoffView) error {
	stamp := func(u, role string, t interface{ Format(string) string }) string {
		return fmt.Sprintf("%s (%s) %s", u, role, t.Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(c.Stdout, "settlement %d version %d (%s), sha256 %s\n", v.Year, v.Version, v.Status, v.SHA256)
	if p := v.Publication; p != nil {
		fmt.Fprintf(c.Stdout, "published %s; window until %s (open: %t)\n", stamp(p.User, p.Role, p.PublishedAt.In(metering.Shanghai)), v.Deadline, v.WindowOpen)
	}
	w := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PARTY\tCODE\tSTATE\tBY\tOBJECTIONS (OPEN)")
	for _, s := range append(append([]app.PartyState(nil), v.Providers...), v.Districts...) {
		by := "-"
		if !s.At.IsZero() || s.State == app.PartyLapsed {
			by = stamp(s.User, s.Role, s.At.In(metering.Shanghai))
			if s.CarriedFrom > 0 {
				by += fmt.Sprintf(", carried from version %d", s.CarriedFrom)
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d (%d)\n", s.Party, s.Code, s.State, by, s.Objections, s.Open)
	}
	w.Flush()
	for _, o := range v.Objections {
		fmt.Fprintf(c.Stdout, "objection %d v%d %s/%s by %s: %s [%s", o.ID, o.Version, o.ResourceID, o.ItemCode, stamp(o.User, o.Role, o.At.In(metering.Shanghai)), o.Reason, o.Status)
		if o.Status != store.ObjectionOpen {
			fmt.Fprintf(c.Stdout, " by %s: %s", stamp(o.ResolvedBy, o.ResolvedRole, o.ResolvedAt.In(metering.Shanghai)), o.Resolution)
		}
		if o.ClosedByVersion > 0 {
			fmt.Fprintf(c.Stdout, "; closed by version %d", o.ClosedByVersion)
		}
		fmt.Fprintln(c.Stdout, "]")
	}
	switch {
	case v.Approval != nil:
		fmt.Fprintf(c.Stdout, "approved %s\n", stamp(v.Approval.User, v.Approval.Role, v.Approval.At.In(metering.Shanghai)))
	case v.Approvable:
		fmt.Fprintln(c.Stdout, "approvable: cloudbill signoff approve")
	default:
		fmt.Fprintf(c.Stdout, "not approvable: %s\n", strings.Join(v.Missing, "; "))
	}
	if i := v.Issue; i != nil {
		fmt.Fprintf(c.Stdout, "issued %s", stamp(i.User, i.Role, i.At.In(metering.Shanghai)))
		if i.WithoutSignoff != "" {
			fmt.Fprintf(c.Stdout, " without sign-off: %s", i.WithoutSignoff)
		}
		fmt.Fprintln(c.Stdout)
	}
	return nil
}
