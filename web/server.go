package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloudbill/app"
	"cloudbill/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the portal.
type Config struct {
	// Inbox is the folder serve --inbox names: the office's inbox page
	// lists it and its done/ and failed/ folders. "" lists nothing.
	Inbox string
	// CacheDir holds the documents of each statement version, rendered
	// once by app.App.Report; "" means a folder under the system's
	// temporary directory.
	CacheDir string
	// Font is the CJK font of the PDFs ("" means $CLOUDBILL_FONT, else a
	// standard place).
	Font string
	// TrustProxy takes the client's address from X-Forwarded-For and
	// HTTPS from X-Forwarded-Proto: only behind a reverse proxy that sets
	// both (and strips what clients send).
	TrustProxy bool
}

// Server is the portal's HTTP handler.
type Server struct {
	app   *app.App
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	files *app.ReportCache
	heads headCache
	h     http.Handler
}

// New returns the portal on the use cases of a.
func New(a *app.App, cfg Config) (*Server, error) {
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(os.TempDir(), "cloudbill-portal")
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("portal cache: %w", err)
	}
	s := &Server{app: a, cfg: cfg, log: a.Log, pages: map[string]*template.Template{},
		files: &app.ReportCache{App: a, Dir: cfg.CacheDir, Font: cfg.Font}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(filepath.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("portal template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(http.FileServerFS(static))))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.auth(s.logout))
	mux.HandleFunc("GET /{$}", s.auth(s.home))
	mux.HandleFunc("GET /statements/{year}", s.auth(s.city))
	mux.HandleFunc("GET /statements/{year}/districts/{code}", s.auth(s.district))
	mux.HandleFunc("GET /statements/{year}/departments/{code}", s.auth(s.department))
	mux.HandleFunc("GET /statements/{year}/providers/{code}", s.auth(s.provider))
	mux.HandleFunc("GET /statements/{year}/lines/{resource}/{item}", s.auth(s.line))
	mux.HandleFunc("GET /statements/{year}/lines/{resource}/{item}/days/{day}", s.auth(s.day))
	mux.HandleFunc("GET /statements/{year}/files/{name}", s.auth(s.file))
	mux.HandleFunc("GET /findings/{year}", s.auth(s.findings))
	mux.HandleFunc("GET /evaluation/{year}", s.auth(s.evaluation))
	mux.HandleFunc("GET /rhythm/{year}", s.auth(s.rhythm))
	mux.HandleFunc("GET /signoff/{year}", s.auth(s.signoff))
	for _, kind := range []string{"publish", "confirm", "approve", "issue"} {
		mux.HandleFunc("POST /signoff/{year}/"+kind, s.auth(s.signoffAction(kind)))
	}
	mux.HandleFunc("POST /signoff/{year}/objections/{id}/resolve", s.auth(s.resolveObjection))
	mux.HandleFunc("GET /signoff/{year}/objections/{id}/evidence", s.auth(s.evidence))
	mux.HandleFunc("POST /statements/{year}/lines/{resource}/{item}/objections", s.auth(s.object))
	mux.HandleFunc("GET /reconcile/{year}", s.auth(s.reconcile))
	mux.HandleFunc("POST /reconcile/{year}", s.auth(s.reconcile))
	mux.HandleFunc("GET /office/jobs", s.auth(s.office(s.jobs)))
	mux.HandleFunc("GET /office/rejects", s.auth(s.office(s.rejects)))
	mux.HandleFunc("GET /office/inbox", s.auth(s.office(s.inbox)))
	mux.HandleFunc("GET /office/audit", s.auth(s.office(s.audit)))
	mux.HandleFunc("GET /office/users", s.auth(s.office(s.users)))
	mux.HandleFunc("/", s.auth(func(q *request) error { return app.ErrNotFound }))
	s.h = securityHeaders(http.NewCrossOriginProtection().Handler(mux))
	return s, nil
}

// Routes lists the portal's page routes (the route × role test walks
// them all).
var Routes = []string{
	"GET /{$}", "GET /login", "POST /login", "POST /logout",
	"GET /statements/{year}", "GET /statements/{year}/districts/{code}", "GET /statements/{year}/departments/{code}",
	"GET /statements/{year}/providers/{code}", "GET /statements/{year}/lines/{resource}/{item}",
	"GET /statements/{year}/lines/{resource}/{item}/days/{day}", "GET /statements/{year}/files/{name}",
	"GET /findings/{year}", "GET /evaluation/{year}", "GET /rhythm/{year}",
	"GET /signoff/{year}", "POST /signoff/{year}/publish", "POST /signoff/{year}/confirm", "POST /signoff/{year}/approve",
	"POST /signoff/{year}/issue", "POST /signoff/{year}/objections/{id}/resolve", "GET /signoff/{year}/objections/{id}/evidence",
	"POST /statements/{year}/lines/{resource}/{item}/objections", "GET /reconcile/{year}", "POST /reconcile/{year}",
	"GET /office/jobs", "GET /office/rejects", "GET /office/inbox", "GET /office/audit", "GET /office/users",
	"GET /static/",
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// ContentSecurityPolicy is sent with every response: nothing but the
// portal's own files, no inline script, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func staticFiles(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no folder listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// request is one authenticated request: the session, its scope and the
// client's address.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	sess   store.Session
	scope  Scope
	remote string
}

// auth runs h for a signed-in user; without a live session it redirects
// to the sign-in page. An error from h is answered 404 when it is
// app.ErrNotFound, store.ErrNoStatement or a bad input (a page outside the
// user's scope is ErrNotFound too), else 500 (logged, never shown).
func (s *Server) auth(h func(q *request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.session(r)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if !ok {
			if r.Method != http.MethodGet {
				http.Error(w, "请先登录", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusFound)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		q := &request{w: w, r: r, sess: sess, scope: ScopeOf(sess.User), remote: s.remoteAddr(r)}
		if err := h(q); err != nil {
			var ie *app.InputError
			if errors.Is(err, app.ErrNotFound) || errors.Is(err, store.ErrNoStatement) || errors.As(err, &ie) {
				s.notFound(q)
				return
			}
			s.serverError(w, r, err)
		}
	}
}

// office limits h to the operator (office) accounts.
func (s *Server) office(h func(q *request) error) func(q *request) error {
	return func(q *request) error {
		if !q.scope.Office() {
			return app.ErrNotFound
		}
		return h(q)
	}
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("portal request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "服务器内部错误", http.StatusInternalServerError)
}

func (s *Server) notFound(q *request) {
	s.render(q, http.StatusNotFound, "notfound", &view{Title: "未找到"})
}

// render writes page name with v.
func (s *Server) render(q *request, status int, name string, v *view) {
	t := s.pages[name]
	if t == nil {
		s.serverError(q.w, q.r, fmt.Errorf("no template %s", name))
		return
	}
	v.Scope, v.User, v.CSRF, v.Flash = q.scope, q.sess.User, q.sess.CSRF, s.takeFlash(q)
	v.nav()
	b := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= 1<<20 { // a rare huge page does not stay in the pool
			b.Reset()
			pageBuffers.Put(b)
		}
	}()
	if err := t.ExecuteTemplate(b, "layout", v); err != nil {
		s.serverError(q.w, q.r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	q.w.WriteHeader(status)
	q.w.Write(b.Bytes())
}

// pageBuffers are the buffers pages are rendered into (a line's page is
// about 80 kB) before they are sent, whole or not at all.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// remoteAddr is the client's IP address: the connection's, or with
// TrustProxy the last address of X-Forwarded-For.
func (s *Server) remoteAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xf := r.Header.Get("X-Forwarded-For"); xf != "" {
			parts := strings.Split(xf, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// secure reports whether the request came over HTTPS (directly, or with
// TrustProxy through a proxy saying so).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// ListenAddr is addr with the loopback address when it names only a
// port ("8080" or ":8080"): the portal is reachable from other machines
// only when a host is named (0.0.0.0:8080).
func ListenAddr(addr string) string {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

// Serve serves the portal on addr until ctx ends, then shuts down within
// 5 seconds. listening, when set, is told the address (useful with port 0).
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger, listening func(string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve portal: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("serving the review portal", slog.String("addr", "http://"+ln.Addr().String()))
	if listening != nil {
		listening(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve portal: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
