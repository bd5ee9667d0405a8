// Package tenancy holds the tenant catalogue, provisions tenant databases on either
// engine, routes requests to a tenant's database, and maps host names to tenants.
//
// A tenant database is reached only through the Router, by a tenant the catalogue
// knows: nothing in the product opens a database named by input.
package tenancy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/store"
)

// State is a tenant's lifecycle state.
type State string

const (
	Provisioning State = "provisioning"
	Active       State = "active"
	Suspended    State = "suspended"
	Deleted      State = "deleted"
)

// Tenant is one customer's entry in the catalogue.
type Tenant struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	State      State        `json:"state"`
	Engine     store.Engine `json:"engine"`
	Location   string       `json:"location"`
	AdminEmail string       `json:"admin_email"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`

	credentials []byte // sealed under the master key; never serialised
}

var (
	// ErrNotFound means no live tenant has that name.
	ErrNotFound = errors.New("no such tenant")
	// ErrExists means a live tenant already has that name.
	ErrExists = errors.New("a tenant with that name already exists")
	// ErrSuspended means the tenant exists but is suspended.
	ErrSuspended = errors.New("tenant is suspended")
)

// Catalogue is the list of tenants, kept in the control database.
type Catalogue struct {
	db  *store.DB
	now func() time.Time
}

// NewCatalogue returns a catalogue over an already migrated control database.
func NewCatalogue(db *store.DB, now func() time.Time) *Catalogue {
	if now == nil {
		now = time.Now
	}
	return &Catalogue{db: db, now: func() time.Time { return now().UTC() }}
}

const tenantColumns = "id, name, state, engine, location, admin_email, credentials, created_at, updated_at"

func scanTenant(row interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	err := row.Scan(&t.ID, &t.Name, &t.State, &t.Engine, &t.Location, &t.AdminEmail, &t.credentials, &t.CreatedAt, &t.UpdatedAt)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

// Get returns the live (not deleted) tenant called name. Tenants still being
// provisioned are not found.
func (c *Catalogue) Get(ctx context.Context, name string) (Tenant, error) {
	row := c.db.Read.QueryRowContext(ctx, c.db.Rebind(
		"SELECT "+tenantColumns+" FROM tenant WHERE name = ? AND state IN ('active', 'suspended')"), name)
	t, err := scanTenant(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("look up tenant %q: %w", name, err)
	}
	return t, nil
}

// List returns the live tenants, by name.
func (c *Catalogue) List(ctx context.Context) ([]Tenant, error) {
	rows, err := c.db.Read.QueryContext(ctx,
		"SELECT "+tenantColumns+" FROM tenant WHERE state IN ('active', 'suspended') ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// reserve inserts a tenant in the provisioning state. The unique index on live names
// makes exactly one of several concurrent reservations of a name succeed.
func (c *Catalogue) reserve(ctx context.Context, name string, engine store.Engine, adminEmail string) (Tenant, error) {
	now := c.now()
	t := Tenant{Name: name, State: Provisioning, Engine: engine, AdminEmail: adminEmail, CreatedAt: now, UpdatedAt: now}
	err := c.db.Write.QueryRowContext(ctx, c.db.Rebind(
		"INSERT INTO tenant (name, state, engine, admin_email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
		name, Provisioning, engine, adminEmail, now, now).Scan(&t.ID)
	if store.IsUniqueViolation(err) {
		return Tenant{}, fmt.Errorf("%w: %q", ErrExists, name)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("reserve tenant %q: %w", name, err)
	}
	return t, nil
}

// activate records where a provisioned tenant lives and makes it visible.
func (c *Catalogue) activate(ctx context.Context, t *Tenant) error {
	t.State, t.UpdatedAt = Active, c.now()
	_, err := c.db.Write.ExecContext(ctx, c.db.Rebind(
		"UPDATE tenant SET state = ?, location = ?, credentials = ?, updated_at = ? WHERE id = ? AND state = ?"),
		Active, t.Location, t.credentials, t.UpdatedAt, t.ID, Provisioning)
	if err != nil {
		return fmt.Errorf("activate tenant %q: %w", t.Name, err)
	}
	return nil
}

// forget removes a reservation whose provisioning failed.
func (c *Catalogue) forget(ctx context.Context, id int64) error {
	_, err := c.db.Write.ExecContext(ctx, c.db.Rebind("DELETE FROM tenant WHERE id = ? AND state = ?"), id, Provisioning)
	return err
}

// setState moves a live tenant from one state to another; it fails with ErrNotFound
// when the tenant is not live, and reports a clear error when it is not in `from`.
func (c *Catalogue) setState(ctx context.Context, name string, from []State, to State) (Tenant, error) {
	t, err := c.Get(ctx, name)
	if err != nil {
		return Tenant{}, err
	}
	allowed := false
	for _, s := range from {
		allowed = allowed || t.State == s
	}
	if !allowed {
		return t, fmt.Errorf("tenant %q is %s", name, t.State)
	}
	now := c.now()
	query := "UPDATE tenant SET state = ?, updated_at = ? WHERE id = ? AND state = ?"
	args := []any{to, now, t.ID, t.State}
	if to == Deleted {
		query = "UPDATE tenant SET state = ?, updated_at = ?, deleted_at = ?, credentials = NULL WHERE id = ? AND state = ?"
		args = []any{to, now, now, t.ID, t.State}
	}
	res, err := c.db.Write.ExecContext(ctx, c.db.Rebind(query), args...)
	if err != nil {
		return t, fmt.Errorf("set tenant %q %s: %w", name, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return t, fmt.Errorf("tenant %q changed state meanwhile; try again", name)
	}
	t.State, t.UpdatedAt = to, now
	return t, nil
}
