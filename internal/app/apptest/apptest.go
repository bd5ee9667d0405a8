// Package apptest lets the test platforms of one test binary share a tenant
// template per engine: a test that creates a tenant then pays a copy, not an
// install of every ERP module into a template of its own platform.
package apptest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/config"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// Templates holds, per engine, the installation whose tenant template the
// test platforms copy. The zero value is ready for use. A test binary keeps
// one for its whole run and closes it at the end (from TestMain), which
// removes the installations with their templates: on PostgreSQL, their
// databases and roles.
type Templates struct {
	mu     sync.Mutex
	shared map[store.Engine]*installation
	closed bool
}

// installation is a platform opened only to build and hold the template.
type installation struct {
	once     sync.Once
	platform *app.Platform
	dir      string
	drop     func() error // the PostgreSQL control database, with what it made
	err      error
}

// Options returns the options that make a test platform configured with cfg
// copy the shared template of its engine, opening the installation that
// holds it on first use. When PostgreSQL cannot be reached the test is
// skipped (or failed) as storetest does.
func (s *Templates) Options(tb testing.TB, cfg *config.Config) app.Options {
	tb.Helper()
	engine := store.SQLite
	if cfg.DatabaseURL != "" {
		engine = store.Postgres
		// Checked here, not in the shared opening, which must never skip.
		storetest.PostgresAdminURL(tb)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		tb.Fatal("shared tenant templates used after their removal")
	}
	if s.shared == nil {
		s.shared = map[store.Engine]*installation{}
	}
	in, ok := s.shared[engine]
	if !ok {
		in = &installation{}
		s.shared[engine] = in
	}
	s.mu.Unlock()
	in.once.Do(func() { in.err = in.open(tb, engine) })
	if in.err != nil {
		tb.Fatalf("open the installation of the shared %s tenant template: %v", engine, in.err)
	}
	return app.Options{TemplatesFrom: in.platform}
}

// open opens an installation in a directory of its own and, on PostgreSQL, a
// control database of its own: both outlive the test that first needs them.
func (in *installation) open(tb testing.TB, engine store.Engine) error {
	dir, err := os.MkdirTemp("", "instanterp-shared-template-")
	if err != nil {
		return err
	}
	in.dir = dir
	args := []string{"--data", dir}
	if engine == store.Postgres {
		url, drop, err := storetest.NewSharedPostgresDatabase(tb)
		if err != nil {
			return err
		}
		in.drop = drop
		args = append(args, "--database-url", url)
	}
	fs := config.NewFlagSet("test", config.Common|config.Server, io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := fs.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		return err
	}
	in.platform, err = app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	return err
}

// Run runs a package's tests, then removes the shared templates: a
// TestMain is os.Exit(templates.Run(m)). A failure to remove them fails
// the run.
func (s *Templates) Run(m *testing.M) int {
	code := m.Run()
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "remove the shared tenant templates:", err)
		code = 1
	}
	return code
}

// Close removes the shared installations and their templates; a platform
// copying them must not create tenants afterwards.
func (s *Templates) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for engine, in := range s.shared {
		if in.platform != nil {
			if err := in.platform.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close the %s installation: %w", engine, err))
			}
		}
		if in.drop != nil {
			if err := in.drop(); err != nil {
				errs = append(errs, fmt.Errorf("drop the %s installation: %w", engine, err))
			}
		}
		if in.dir != "" {
			if err := os.RemoveAll(in.dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.shared = nil
	return errors.Join(errs...)
}
