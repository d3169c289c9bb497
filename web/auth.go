package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cloudbill/app"
	"cloudbill/store"
)

// The cookies: the session's token (its SHA-256 is what the database
// keeps), and the sign-in form's token (double-submitted, so that no other
// site can sign a browser in to an account of its choosing).
const (
	sessionCookie = "cloudbill_session"
	loginCookie   = "cloudbill_login"
)

// session returns the live session named by the request's cookie.
func (s *Server) session(r *http.Request) (store.Session, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return store.Session{}, false, nil
	}
	return s.app.Session(r.Context(), c.Value)
}

func (s *Server) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)}
}

type loginView struct {
	Next    string
	Error   string
	User    string
	Token   string
	Success bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok, err := s.session(r); err == nil && ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusFound)
		return
	}
	s.renderLogin(w, r, http.StatusOK, loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, lv loginView) {
	b := make([]byte, 32)
	rand.Read(b)
	lv.Token = hex.EncodeToString(b)
	http.SetCookie(w, s.cookie(r, loginCookie, lv.Token, 3600))
	w.Header().Set("Cache-Control", "no-store")
	s.render(&request{w: w, r: r}, status, "login", &view{Title: "登录", Data: lv})
}

// login signs a user in: POST /login with the form fields user and
// password (and the form's token).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "表单无效", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("token"))) != 1 || c.Value == "" {
		s.renderLogin(w, r, http.StatusForbidden, loginView{Next: next, Error: "登录表单已过期，请重新输入。"})
		return
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	token, _, err := s.app.SignIn(r.Context(), app.SignInInput{User: user, Password: r.PostFormValue("password"), RemoteAddr: s.remoteAddr(r)})
	var locked *app.LockedError
	switch {
	case errors.As(err, &locked):
		mins := int(time.Until(locked.Until).Minutes()) + 1
		s.renderLogin(w, r, http.StatusTooManyRequests, loginView{Next: next, User: user, Error: "登录失败次数过多，已暂时锁定，请约 " + itoa(mins) + " 分钟后再试。"})
		return
	case errors.Is(err, app.ErrSignIn):
		s.renderLogin(w, r, http.StatusUnauthorized, loginView{Next: next, User: user, Error: "用户名或密码错误。"})
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, token, int(app.SessionMax.Seconds())))
	http.SetCookie(w, s.cookie(r, loginCookie, "", -1))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session: POST /logout with the session's token.
func (s *Server) logout(q *request) error {
	if !s.checkCSRF(q) {
		http.Error(q.w, "请求无效（CSRF）", http.StatusForbidden)
		return nil
	}
	if err := s.app.SignOut(q.r.Context(), q.sess, q.remote); err != nil {
		return err
	}
	http.SetCookie(q.w, s.cookie(q.r, sessionCookie, "", -1))
	http.Redirect(q.w, q.r, "/login", http.StatusSeeOther)
	return nil
}

// checkCSRF reports whether a POST form carries the session's token.
func (s *Server) checkCSRF(q *request) bool {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, 8<<10)
	got := q.r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(q.sess.CSRF)) == 1
}

// safeNext keeps a redirect target on this site: a path, not //host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func itoa(n int) string { return strconv.Itoa(max(n, 1)) }
