package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultConnectTimeout is how long Open waits for a PostgreSQL server to
// answer when Options.ConnectTimeout is zero.
const DefaultConnectTimeout = 10 * time.Second

// RedactDSN returns a database address fit to print: the password of a
// postgres:// URL (in its user info or a password= parameter) is replaced
// by xxxxx. Every message, log line and output that shows a --db value
// goes through it.
func RedactDSN(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return passwordParam.ReplaceAllString(dsn, "${1}xxxxx")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// Unparseable: hide whatever sits before the host's @.
		scheme, rest, _ := strings.Cut(dsn, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = "xxxxx" + rest[at:]
		}
		return passwordParam.ReplaceAllString(scheme+"://"+rest, "${1}xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// passwordParam matches the value of a password= parameter (URL query or
// key=value form).
var passwordParam = regexp.MustCompile(`((?:^|[?&\s])password=)('[^']*'|[^&\s]*)`)

// secrets returns the texts of dsn that must not be printed: its
// password, raw and decoded, and dsn itself when it holds one.
func secrets(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil && strings.Contains(dsn, "://") {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.UserPassword("", p).String()[1:])
		}
		if p := u.Query().Get("password"); p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	} else if _, rest, ok := strings.Cut(dsn, "://"); ok {
		// Unparseable: the user info is what sits before the last @.
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, p, ok := strings.Cut(rest[:at], ":"); ok && p != "" {
				out = append(out, p)
			}
		}
	}
	for _, m := range passwordParam.FindAllStringSubmatch(dsn, -1) {
		if v := strings.Trim(m[2], "'"); v != "" {
			out = append(out, v)
		}
	}
	if len(out) > 0 {
		out = append([]string{dsn}, out...)
	}
	return out
}

// redactedError is an error whose message had the database's password
// taken out; the chain below it is kept for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactError returns err with every secret of dsn in its message
// replaced by xxxxx (the driver's parse errors quote the whole URL).
func redactError(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets(dsn) {
		if s == dsn {
			clean = strings.ReplaceAll(clean, s, RedactDSN(dsn))
			continue
		}
		clean = strings.ReplaceAll(clean, s, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

// withConnectTimeout returns the PostgreSQL URL addr with lib/pq's
// connect_timeout set to timeout (whole seconds, at least one), and the
// timeout in force: a connect_timeout already in the URL wins.
func withConnectTimeout(addr string, timeout time.Duration) (string, time.Duration, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return "", 0, err
	}
	q := u.Query()
	if v := q.Get("connect_timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("connect_timeout %q: a whole number of seconds", v)
		}
		return addr, time.Duration(n) * time.Second, nil
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	q.Set("connect_timeout", strconv.Itoa(max(secs, 1)))
	u.RawQuery = q.Encode()
	return u.String(), time.Duration(max(secs, 1)) * time.Second, nil
}

// serverAddress is the host:port a PostgreSQL URL connects to, for
// messages (lib/pq's defaults where the URL says nothing).
func serverAddress(addr string) string {
	u, err := url.Parse(addr)
	if err != nil {
		return "the database server"
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = cmpOr(u.Query().Get("host"), os.Getenv("PGHOST"), "localhost")
	}
	if port == "" {
		port = cmpOr(u.Query().Get("port"), os.Getenv("PGPORT"), "5432")
	}
	if strings.HasPrefix(host, "/") {
		return host // a Unix socket folder
	}
	return net.JoinHostPort(host, port)
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// ErrNoAnswer means the database server accepted the connection (or did
// not refuse it) but did not answer within the connect timeout.
var ErrNoAnswer = errors.New("did not answer")

// noAnswerError names the server that did not answer in time.
type noAnswerError struct {
	server  string
	timeout time.Duration
	err     error
}

func (e *noAnswerError) Error() string {
	return fmt.Sprintf("database at %s did not answer within %s (CLOUDBILL_CONNECT_TIMEOUT, or connect_timeout in the URL, sets the wait): %v", e.server, e.timeout, e.err)
}

func (e *noAnswerError) Unwrap() []error { return []error{ErrNoAnswer, e.err} }

// isTimeout reports whether err is a timeout of the network or of ctx.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
