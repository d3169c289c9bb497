package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cloudbill/app"
	"cloudbill/metering"
	"cloudbill/store"
)

const signoffUsage = `publish|confirm|object|resolve|approve|status --year Y [--version N] --as USER
  object --line RESOURCE/ITEM --reason TEXT [--evidence FILE]; resolve --objection ID (--accept|--reject) [--reason TEXT]`

// cmdSignoff runs a step of a draft's sign-off (docs/signoff.md) as --as.
func cmdSignoff(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("usage: cloudbill signoff %s", signoffUsage)
	}
	sub, fs := args[0], newFlags(c, "signoff", signoffUsage)
	year, version := fs.Int("year", 0, "settlement year"), fs.Int("version", 0, "version (default: the latest)")
	as, line := fs.String("as", "", "the acting portal account"), fs.String("line", "", "object: the line, RESOURCE/ITEM")
	reason, evidence := fs.String("reason", "", "object, resolve: the reason"), fs.String("evidence", "", "object: a file of evidence (at most 10 MiB)")
	id := fs.Int64("objection", 0, "resolve: the objection's number")
	accept, reject := fs.Bool("accept", false, "resolve: accept (the input is corrected, the year settled again)"), fs.Bool("reject", false, "resolve: reject, with --reason")
	if err := parseNoArgs(fs, args[1:]); err != nil {
		return err
	}
	return c.withApp(ctx, func(a *app.App) error {
		ac, err := a.ActorByName(ctx, *as)
		if err != nil {
			return err
		}
		switch sub {
		case "publish":
			err = a.Publish(ctx, app.PublishInput{Actor: ac, Year: *year, Version: *version})
		case "confirm":
			err = a.Confirm(ctx, app.ConfirmInput{Actor: ac, Year: *year, Version: *version})
		case "approve":
			err = a.Approve(ctx, app.ApproveInput{Actor: ac, Year: *year, Version: *version})
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
			var n int64
			if n, err = a.Object(ctx, in); err == nil {
				fmt.Fprintf(c.Stdout, "objection %d recorded\n", n)
			}
		case "resolve":
			if *accept == *reject {
				return usagef("signoff resolve: one of --accept or --reject")
			}
			outcome := map[bool]store.ObjectionStatus{true: store.ObjectionAccepted, false: store.ObjectionRejected}[*accept]
			if err = a.Resolve(ctx, app.ResolveInput{Actor: ac, ID: *id, Outcome: outcome, Reason: *reason}); err == nil {
				fmt.Fprintf(c.Stdout, "objection %d %s\n", *id, outcome)
				return nil
			}
		case "status":
		default:
			return usagef("signoff: unknown step %q (publish, confirm, object, resolve, approve or status)", sub)
		}
		if err == nil {
			var v app.SignoffView
			if v, err = a.Signoff(ctx, app.SignoffInput{Actor: ac, Year: *year, Version: *version}); err == nil {
				printSignoff(c, v)
			}
		}
		return err
	})
}

// printSignoff prints a version's sign-off: its parties, objections, approval and issue.
func printSignoff(c *cli, v app.SignoffView) {
	out := c.Stdout
	stamp := func(u, role string, t time.Time) string {
		return fmt.Sprintf("%s (%s) %s", u, role, t.In(metering.Shanghai).Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(out, "settlement %d version %d (%s), sha256 %s\n", v.Year, v.Version, v.Status, v.SHA256)
	if p := v.Publication; p != nil {
		fmt.Fprintf(out, "published %s; window until %s (open: %t)\n", stamp(p.User, p.Role, p.PublishedAt), v.Deadline, v.WindowOpen)
	}
	fmt.Fprintf(out, "%-9s %-8s %-10s %s\n", "PARTY", "CODE", "STATE", "OBJECTIONS (OPEN), BY")
	for _, s := range append(append([]app.PartyState(nil), v.Providers...), v.Districts...) {
		by := strings.Replace(map[bool]string{true: "-", false: stamp(s.User, s.Role, s.At)}[s.At.IsZero()], " () ", "lapse ", 1)
		if s.CarriedFrom > 0 {
			by += fmt.Sprintf(", carried from version %d", s.CarriedFrom)
		}
		fmt.Fprintf(out, "%-9s %-8s %-10s %d (%d), %s\n", s.Party, s.Code, s.State, s.Objections, s.Open, by)
	}
	for _, o := range v.Objections {
		outcome := string(o.Status)
		if o.Status != store.ObjectionOpen {
			outcome += fmt.Sprintf(" by %s: %s", stamp(o.ResolvedBy, o.ResolvedRole, o.ResolvedAt), o.Resolution)
		}
		if o.ClosedByVersion > 0 {
			outcome += fmt.Sprintf("; closed by version %d", o.ClosedByVersion)
		}
		fmt.Fprintf(out, "objection %d v%d %s/%s by %s: %s [%s]\n", o.ID, o.Version, o.ResourceID, o.ItemCode, stamp(o.User, o.Role, o.At), o.Reason, outcome)
	}
	switch {
	case v.Approval != nil:
		fmt.Fprintf(out, "approved %s\n", stamp(v.Approval.User, v.Approval.Role, v.Approval.At))
	case v.Status == "draft":
		fmt.Fprintf(out, "approvable: %t %s\n", v.Approvable, strings.Join(v.Missing, "; "))
	}
	if i := v.Issue; i != nil {
		fmt.Fprintf(out, "issued %s%s\n", stamp(i.User, i.Role, i.At), map[bool]string{false: "", true: " without sign-off: " + i.WithoutSignoff}[i.WithoutSignoff != ""])
	}
}
