package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"cloudbill/app"
	"cloudbill/store"
	"cloudbill/web"
)

func storeAuditDownloads() store.AuditFilter {
	return store.AuditFilter{Action: store.AuditActionDownload}
}

// TestSecurityHeaders checks the headers of pages, files, the sign-in
// page, static files and errors.
func TestSecurityHeaders(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		c := p.as(t, "finance")
		for _, u := range []string{"/", "/login", "/statements/2024", "/statements/2024/files/settlement-2024.csv", "/static/style.css", "/nowhere", "/statements/2024/districts/none"} {
			resp, _ := get(t, c, p.URL+u)
			for k, want := range map[string]string{
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: %s = %q, want %q", u, k, got, want)
				}
			}
			if web.ContentSecurityPolicy != resp.Header.Get("Content-Security-Policy") {
				t.Errorf("%s: CSP differs from web.ContentSecurityPolicy", u)
			}
		}
		resp, body := get(t, c, p.URL+"/statements/2024")
		if strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
			t.Error("a page carries inline script or style (the CSP would block it)")
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("a page's Cache-Control %q, want no-store", cc)
		}
	})
}

// TestSessionCookie checks the session cookie's attributes, plain and
// behind a proxy saying https, and that the token is not stored.
func TestSessionCookie(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		resp := p.signIn(t, client(t), "fin", password("fin"))
		var sc *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "cloudbill_session" {
				sc = c
			}
		}
		if sc == nil {
			t.Fatal("no session cookie")
		}
		if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || len(sc.Value) != 64 {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP, a 32-byte token", sc)
		}
		s, ok, err := p.App.DB.SessionByToken(context.Background(), sc.Value)
		if err != nil || ok {
			t.Errorf("the session is found by its raw token (%v, %v): only its SHA-256 may be stored", ok, err)
		}
		if s, ok, _ = p.App.DB.SessionByToken(context.Background(), app.TokenSHA256(sc.Value)); !ok || s.User.Name != "fin" {
			t.Errorf("no session stored under the token's SHA-256")
		}
	})
}

// TestSessionTimeouts: a session idle for longer than app.SessionIdle, or
// older than app.SessionMax however busy, ends; disabling the user or
// changing the password ends its sessions; signing out ends it.
func TestSessionTimeouts(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		clock := now
		p.App.Now = func() time.Time { return clock }
		open := func(c *http.Client) int {
			resp, _ := get(t, c, p.URL+"/statements/2024")
			return resp.StatusCode
		}
		c := p.as(t, "finance")
		clock = clock.Add(app.SessionIdle - time.Minute)
		if got := open(c); got != 200 {
			t.Errorf("after %v idle: %d, want 200", app.SessionIdle-time.Minute, got)
		}
		clock = clock.Add(app.SessionIdle + time.Second)
		if got := open(c); got != 302 {
			t.Errorf("after %v idle: %d, want 302 (signed out)", app.SessionIdle+time.Second, got)
		}
		c = p.as(t, "finance")
		for busy := time.Duration(0); busy < app.SessionMax; busy += 20 * time.Minute {
			clock = clock.Add(20 * time.Minute)
			open(c)
		}
		clock = clock.Add(time.Minute)
		if got := open(c); got != 302 {
			t.Errorf("after %v busy: %d, want 302", app.SessionMax, got)
		}
		c = p.as(t, "office")
		if err := p.App.SetPassword(context.Background(), "ops", "another-password-1"); err != nil {
			t.Fatal(err)
		}
		if got := open(c); got != 302 {
			t.Errorf("after a password change: %d, want 302", got)
		}
		c = p.as(t, "finance")
		if err := p.App.DisableUser(context.Background(), "fin"); err != nil {
			t.Fatal(err)
		}
		if got := open(c); got != 302 {
			t.Errorf("after disabling: %d, want 302", got)
		}
		if resp := p.signIn(t, client(t), "fin", password("fin")); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a disabled user signs in: %s", resp.Status)
		}
	})
}

// TestCSRF: POST /logout needs the session's token from the form, and a
// cross-site POST is refused (http.CrossOriginProtection), as is a sign-in
// form without its token.
func TestCSRF(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		c := p.as(t, "district")
		post := func(form url.Values, header map[string]string) int {
			req, _ := http.NewRequest("POST", p.URL+"/logout", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range header {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := post(url.Values{}, nil); got != http.StatusForbidden {
			t.Errorf("logout without a token: %d, want 403", got)
		}
		if got := post(url.Values{"csrf": {"0123"}}, nil); got != http.StatusForbidden {
			t.Errorf("logout with a wrong token: %d, want 403", got)
		}
		_, page := get(t, c, p.URL+"/")
		token := between(page, `name="csrf" value="`, `"`)
		if token == "" {
			t.Fatal("no csrf field in the page's logout form")
		}
		if got := post(url.Values{"csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); got != http.StatusForbidden {
			t.Errorf("cross-site logout with the right token: %d, want 403", got)
		}
		if got := post(url.Values{"csrf": {token}}, map[string]string{"Origin": p.URL, "Sec-Fetch-Site": "same-origin"}); got != http.StatusSeeOther {
			t.Errorf("logout: %d, want 303", got)
		}
		if resp, _ := get(t, c, p.URL+"/"); resp.StatusCode != 302 {
			t.Errorf("after logout: %d, want 302", resp.StatusCode)
		}
		// Sign-in: the form's token must match its cookie.
		resp, err := client(t).PostForm(p.URL+"/login", url.Values{"user": {"fin"}, "password": {password("fin")}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-in without the form's token: %s, want 403", resp.Status)
		}
	})
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return ""
}

// TestSignInThrottle: five failures lock the user name for 15 minutes,
// even with the right password after them, across a restart of the
// portal (the count is in the database); five failures from one address
// with different names lock the address; every attempt is audited and no
// password appears in the trail.
func TestSignInThrottle(t *testing.T) {
	eachPortal(t, func(t *testing.T, p *portal) {
		clock := now
		p.App.Now = func() time.Time { return clock }
		c := client(t)
		for i := range 5 {
			if resp := p.signIn(t, c, "dist", "wrong-password-"+string(rune('a'+i))); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d: %s, want 401", i+1, resp.Status)
			}
		}
		if resp := p.signIn(t, c, "dist", password("dist")); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("right password after 5 failures: %s, want 429", resp.Status)
		}
		// A new portal on the same database (a restart) still refuses.
		srv, err := web.New(p.App, web.Config{CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptestPost(t, srv, "dist", password("dist"))
		if rec != http.StatusTooManyRequests {
			t.Errorf("after a restart: %d, want 429", rec)
		}
		clock = clock.Add(16 * time.Minute)
		if resp := p.signIn(t, c, "dist", password("dist")); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("16 minutes later: %s, want 303", resp.Status)
		}
		// Five names from one address: the address is locked, for every name.
		clock = clock.Add(time.Hour)
		for i := range 5 {
			p.signIn(t, c, "nobody"+string(rune('a'+i)), "whatever-password")
		}
		if resp := p.signIn(t, c, "fin", password("fin")); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("from a locked address: %s, want 429", resp.Status)
		}
		trail, err := p.App.AuditTrail(context.Background(), store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[store.AuditAction]int{}
		for _, e := range trail {
			counts[e.Action]++
			if strings.Contains(e.Detail, "password") || strings.Contains(e.User, "password") {
				t.Errorf("audit entry %+v carries a password", e)
			}
			if e.RemoteAddr == "" && strings.HasPrefix(string(e.Action), "sign_") { // the batch jobs' entries have none
				t.Errorf("audit entry %+v without an address", e)
			}
		}
		if counts[store.AuditActionSignInFailed] != 10 || counts[store.AuditActionSignInLocked] < 3 || counts[store.AuditActionSignIn] < 1 {
			t.Errorf("audit trail counts %v", counts)
		}
	})
}

// httptestPost signs in through h directly (a portal restarted on the
// same database) and returns the status.
func httptestPost(t *testing.T, h http.Handler, user, pw string) int {
	t.Helper()
	get := httptest.NewRequest("GET", "/login", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	token := between(rec.Body.String(), `name="token" value="`, `"`)
	form := url.Values{"token": {token}, "user": {user}, "password": {pw}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "127.0.0.1:5555"
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}
