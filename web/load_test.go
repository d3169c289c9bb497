package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"cloudbill/app"
	"cloudbill/store"
	"cloudbill/web"
)

// TestPortalLoad is the portal's benchmark (scripts/bench-web.sh, make
// bench-web), skipped unless CLOUDBILL_BENCH_DB names a settled database
// (cloudbill gen --resources 20000, load, ingest, settle): 50 district
// accounts sign in, then vegeta sends their district pages and line pages
// of their districts from 50 concurrent sessions over loopback, and the
// p50 and p99 latencies are printed (the target is p99 < 200 ms). It
// reports; it asserts no time. CLOUDBILL_BENCH_SECONDS sets each attack's
// length (default 15). CLOUDBILL_BENCH_PROFILE names a folder where a CPU
// profile of each attack is written (district.pprof, line.pprof).
func TestPortalLoad(t *testing.T) {
	dsn := os.Getenv("CLOUDBILL_BENCH_DB")
	if dsn == "" {
		t.Skip("CLOUDBILL_BENCH_DB not set: the portal benchmark runs through scripts/bench-web.sh")
	}
	seconds := 15
	fmt.Sscan(os.Getenv("CLOUDBILL_BENCH_SECONDS"), &seconds)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	years, err := db.StatementYears(ctx)
	if err != nil || len(years) == 0 {
		t.Fatalf("no statement in %s (%v): settle a year first", dsn, err)
	}
	year := years[0]
	sv, _, err := a.StatementVersion(ctx, app.VersionInput{Year: year})
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.StatementHead(ctx, year, sv.Version)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(a, web.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	addrc := make(chan string, 1)
	go web.Serve(sctx, "127.0.0.1:0", srv, a.Log, func(addr string) { addrc <- addr })
	base := "http://" + <-addrc

	// 50 sessions, one district account each (districts taken in turn),
	// and for each the lines of its district.
	const sessions = 50
	type session struct {
		cookie   string
		district string
		lines    []string
	}
	var ss []session
	lines := map[string][]string{}
	for i := 0; i < sessions; i++ {
		dist := st.Districts[i%len(st.Districts)].DistrictCode
		name := fmt.Sprintf("bench-%02d", i)
		pw := "bench-password-" + name
		if err := a.AddUser(ctx, app.UserInput{Name: name, Role: app.RoleDistrict, District: dist, Password: pw}); err != nil && !strings.Contains(err.Error(), "exists") {
			t.Fatal(err)
		}
		if err := a.SetPassword(ctx, name, pw); err != nil {
			t.Fatal(err)
		}
		c := client(t)
		p := &portal{URL: base}
		if resp := p.signIn(t, c, name, pw); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in %s: %s", name, resp.Status)
		}
		u, _ := url.Parse(base)
		var cookie string
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "cloudbill_session" {
				cookie = ck.Name + "=" + ck.Value
			}
		}
		if lines[dist] == nil {
			ls, err := a.Lines(ctx, year, sv.Version, store.LineFilter{DistrictCode: dist})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				lines[dist] = append(lines[dist], fmt.Sprintf("%s/statements/%d/lines/%s/%s", base, year, url.PathEscape(l.ResourceID), url.PathEscape(l.ItemCode)))
			}
		}
		ss = append(ss, session{cookie: cookie, district: dist, lines: lines[dist]})
	}
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	t.Logf("year %d version %d: %d districts, %d lines of the sessions' districts, %d sessions", year, sv.Version, len(st.Districts), total, sessions)

	attack := func(name string, pick func(s session, r *rand.Rand) string) vegeta.Metrics {
		var n atomic.Uint64
		targeter := func(tgt *vegeta.Target) error {
			i := n.Add(1)
			s := ss[i%sessions]
			r := rand.New(rand.NewPCG(i, 7))
			*tgt = vegeta.Target{Method: "GET", URL: pick(s, r), Header: http.Header{"Cookie": {s.cookie}}}
			return nil
		}
		if dir := os.Getenv("CLOUDBILL_BENCH_PROFILE"); dir != "" {
			f, err := os.Create(filepath.Join(dir, name+".pprof"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				t.Fatal(err)
			}
			defer pprof.StopCPUProfile()
		}
		atk := vegeta.NewAttacker(vegeta.Workers(sessions), vegeta.MaxWorkers(sessions), vegeta.Connections(sessions), vegeta.KeepAlive(true), vegeta.Redirects(vegeta.NoFollow))
		var m vegeta.Metrics
		for res := range atk.Attack(targeter, vegeta.Rate{Freq: 0}, time.Duration(seconds)*time.Second, name) {
			m.Add(res)
		}
		m.Close()
		verdict := "met"
		if m.Latencies.P99 >= 200*time.Millisecond {
			verdict = "MISSED"
		}
		fmt.Printf("bench-web %-9s requests=%d rate=%.0f/s success=%.2f%% p50=%s p90=%s p99=%s max=%s (target p99 < 200ms: %s) status=%v\n",
			name, m.Requests, m.Rate, m.Success*100, m.Latencies.P50.Round(time.Microsecond*100), m.Latencies.P90.Round(time.Microsecond*100),
			m.Latencies.P99.Round(time.Microsecond*100), m.Latencies.Max.Round(time.Millisecond), verdict, m.StatusCodes)
		if m.Success < 1 {
			t.Errorf("%s: %.2f%% of the requests succeeded (%v)", name, m.Success*100, m.Errors)
		}
		return m
	}
	attack("district", func(s session, _ *rand.Rand) string {
		return fmt.Sprintf("%s/statements/%d/districts/%s", base, year, url.PathEscape(s.district))
	})
	attack("line", func(s session, r *rand.Rand) string { return s.lines[r.IntN(len(s.lines))] })
}
