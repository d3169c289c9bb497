package store_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudbill/store"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ name, dsn, want string }{
		{"user info", "postgres://cloudbill:s3cret@db.example:5432/cloudbill?sslmode=disable", "postgres://cloudbill:xxxxx@db.example:5432/cloudbill?sslmode=disable"},
		{"postgresql scheme", "postgresql://u:p%40ss@h/db", "postgresql://u:xxxxx@h/db"},
		{"password parameter", "postgres://u@h/db?password=s3cret&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"no password", "postgres://u@h/db", "postgres://u@h/db"},
		{"unparseable", "postgres://u:s3cret@[::1/db", "postgres://xxxxx@[::1/db"},
		{"key=value form", "host=h password=s3cret dbname=x", "host=h password=xxxxx dbname=x"},
		{"sqlite", "sqlite:/var/lib/cloudbill/cloudbill.db", "sqlite:/var/lib/cloudbill/cloudbill.db"},
		{"other scheme", "mysql://root:s3cret@h/db", "mysql://root:xxxxx@h/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.RedactDSN(tc.dsn); got != tc.want {
				t.Errorf("RedactDSN(%q) = %q, want %q", tc.dsn, got, tc.want)
			}
		})
	}
}

// silentServer accepts TCP connections and never answers them, like a
// server whose process is stopped (SIGSTOP) or a firewall that blackholes
// after the handshake. It returns host:port.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestOpenGivesUpOnASilentServer(t *testing.T) {
	addr := silentServer(t)
	t.Run("the connect timeout", func(t *testing.T) {
		dsn := "postgres://cloudbill:s3cret@" + addr + "/cloudbill?sslmode=disable"
		done := make(chan error, 1)
		go func() {
			_, err := store.OpenWith(context.Background(), dsn, store.Options{ConnectTimeout: time.Second})
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			t.Fatal("Open still waiting for a server that never answers")
		}
		if !errors.Is(err, store.ErrNoAnswer) {
			t.Fatalf("err = %v, want ErrNoAnswer", err)
		}
		if want := "database at " + addr + " did not answer within 1s"; !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	t.Run("connect_timeout in the URL wins", func(t *testing.T) {
		dsn := "postgres://u@" + addr + "/db?sslmode=disable&connect_timeout=1"
		_, err := store.OpenWith(context.Background(), dsn, store.Options{ConnectTimeout: time.Hour})
		if !errors.Is(err, store.ErrNoAnswer) || !strings.Contains(err.Error(), "within 1s") {
			t.Fatalf("err = %v, want no answer within 1s", err)
		}
	})
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	// A port nobody listens on: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, dsn := range []string{
		"postgres://cloudbill:s3cret@127.0.0.1:" + strconv.Itoa(port) + "/cloudbill?sslmode=disable",
		"postgres://cloudbill:s3cret@[::1/cloudbill",
		"postgres://cloudbill:s3cret@127.0.0.1/cloudbill?connect_timeout=soon",
		"postgres://cloudbill@127.0.0.1:" + strconv.Itoa(port) + "/cloudbill?password=s3cret&sslmode=disable",
		"mysql://root:s3cret@127.0.0.1/cloudbill",
	} {
		_, err := store.OpenWith(context.Background(), dsn, store.Options{ConnectTimeout: time.Second})
		if err == nil {
			t.Fatalf("%s: opened", store.RedactDSN(dsn))
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the password: %v", store.RedactDSN(dsn), err)
		}
	}
}
