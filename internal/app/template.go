package app

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/tenancy"
)

// templateAdmin is the administrator's login in the tenant template. It is
// the same for every tenant and replaced by the tenant's own address in each
// copy; .invalid can never receive mail.
const templateAdmin = "admin@template.invalid"

// tenantTemplate makes new tenants copies of one installed ERP per program
// version: installing every module takes most of a tenant's creation.
func (p *Platform) tenantTemplate() *tenancy.Template {
	return &tenancy.Template{
		Version: sync.OnceValues(func() (string, error) { return templateVersion(p.schema) }),
		Build: func(ctx context.Context, db *store.DB) error {
			if err := erp.Install(ctx, db, p.Registry, templateAdmin); err != nil {
				return err
			}
			return recordSchema(ctx, db, p.schema)
		},
		Personalize: func(ctx context.Context, db *store.DB, t tenancy.Tenant) error {
			return adoptAdmin(ctx, db, p.Registry, t.AdminEmail)
		},
	}
}

// templateVersion is the schema fingerprint and a digest of the running
// program: any other build, whatever it changed in the seed data, gets a
// template of its own.
func templateVersion(schema string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("digest %s: %w", exe, err)
	}
	return schema + " " + hex.EncodeToString(h.Sum(nil)), nil
}

// adoptAdmin gives the template's administrator the tenant's admin address,
// as login and as the email of the user and of its contact.
func adoptAdmin(ctx context.Context, db *store.DB, reg *orm.Registry, email string) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		su := env.Sudo()
		dom, err := domain.FromValue([]any{[]any{"login", "=", templateAdmin}}, domain.Limits{})
		if err != nil {
			return err
		}
		ids, err := su.Search(ctx, "res.users", dom, orm.SearchOptions{IncludeArchived: true})
		if err != nil {
			return err
		}
		if len(ids) != 1 {
			return fmt.Errorf("the template has %d administrators, want 1", len(ids))
		}
		users, err := su.Read(ctx, "res.users", ids, []string{"partner_id"})
		if err != nil {
			return err
		}
		partner, ok := many2oneID(users[0]["partner_id"])
		if !ok {
			return fmt.Errorf("the template's administrator has no contact")
		}
		last, err := su.Search(ctx, mail.MessageModel, domain.Domain{}, orm.SearchOptions{Order: "id desc", Limit: 1})
		if err != nil {
			return err
		}
		if err := su.Write(ctx, "res.users", ids, map[string]any{"login": email, "email": email}); err != nil {
			return fmt.Errorf("set the administrator's login: %w", err)
		}
		if err := su.Write(ctx, "res.partner", []int64{partner}, map[string]any{"email": email}); err != nil {
			return fmt.Errorf("set the administrator's email: %w", err)
		}
		// The change from the placeholder is not the tenant's history: the
		// contact's history starts with the tenant's own address.
		after := domain.Domain{}
		if len(last) == 1 {
			if after, err = domain.FromValue([]any{[]any{"id", ">", last[0]}}, domain.Limits{}); err != nil {
				return err
			}
		}
		placeholder, err := su.Search(ctx, mail.MessageModel, after, orm.SearchOptions{})
		if err != nil {
			return err
		}
		if err := su.Unlink(ctx, mail.MessageModel, placeholder); err != nil {
			return fmt.Errorf("drop the placeholder's history: %w", err)
		}
		return nil
	})
}

// many2oneID reads the id of a many2one value as Read returns it.
func many2oneID(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case []any:
		if len(x) > 0 {
			id, ok := x[0].(int64)
			return id, ok
		}
	}
	return 0, false
}
