package webui_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/instant-erp/instanterp/internal/app"
	"github.com/instant-erp/instanterp/internal/app/apptest"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// platformTemplate is the data directory of a SQLite platform with its tenants
// provisioned and the test users seeded, made once and copied into each fixture.
type platformTemplate struct {
	once         sync.Once
	dir          string
	uid          map[string]int64
	otherPartner int64
}

// templates holds one template per list of tenants for the whole test binary;
// TestMain removes their directories at the end.
var templates = struct {
	mu sync.Mutex
	m  map[string]*platformTemplate
}{m: map[string]*platformTemplate{}}

// tenantTemplates is the tenant template per engine that every test platform
// copies its new tenants from; TestMain removes it at the end.
var tenantTemplates apptest.Templates

func TestMain(m *testing.M) {
	code := tenantTemplates.Run(m)
	templates.mu.Lock()
	for _, tpl := range templates.m {
		if tpl.dir != "" {
			os.RemoveAll(tpl.dir)
		}
	}
	templates.mu.Unlock()
	os.Exit(code)
}

// sharedTemplate returns the template for the tenants, building it on first use.
func sharedTemplate(t testing.TB, tenants []string) *platformTemplate {
	t.Helper()
	key := strings.Join(tenants, ",")
	templates.mu.Lock()
	tpl, ok := templates.m[key]
	if !ok {
		tpl = &platformTemplate{}
		templates.m[key] = tpl
	}
	templates.mu.Unlock()
	tpl.once.Do(func() { tpl.build(t, tenants) })
	if tpl.uid == nil {
		t.Fatalf("no template platform for %s: building it failed in an earlier test", key)
	}
	return tpl
}

// build provisions the tenants in a new directory and closes every database, so
// that the files can be copied as they are. It fails the test that first needs the
// template; uid stays nil then.
func (tpl *platformTemplate) build(t testing.TB, tenants []string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "webui-template-")
	if err != nil {
		t.Fatal(err)
	}
	tpl.dir = dir
	cfg := testConfig(t, dir, nil)
	p, err := app.OpenWith(context.Background(), cfg, slog.New(slog.DiscardHandler), tenantTemplates.Options(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	provision(t, p, tenants)
	router := tenancy.NewRouter(tenancy.RouterConfig{Catalogue: p.Catalogue, Open: p.Storage.Open})
	defer router.Close()
	f := &fixture{t: t, platform: p, router: router, uid: map[string]int64{}, db: map[string]*store.DB{}}
	for _, n := range tenants {
		f.seedUsers(n)
	}
	tpl.uid, tpl.otherPartner = f.uid, f.otherPartner
}

// copyTo copies the template's files into dir, keeping their permissions (the master
// key must stay private to be loaded).
func (tpl *platformTemplate) copyTo(t testing.TB, dir string) {
	t.Helper()
	err := filepath.WalkDir(tpl.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(tpl.dir, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(dst, info.Mode().Perm())
		}
		return copyFile(path, dst, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy template platform: %v", err)
	}
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
