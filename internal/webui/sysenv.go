package webui

import (
	"context"
	"database/sql"

	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/orm"
)

// inTx runs fn with the Env of user uid (0: the system, whose Env the caller must
// Sudo explicitly) in one write transaction.
func (u *UI) inTx(ctx context.Context, svc *tenantServices, uid int64, fn func(env *orm.Env) error) error {
	return svc.db.InTx(ctx, func(tx *sql.Tx) error {
		var (
			env *orm.Env
			err error
		)
		if uid == 0 {
			env, err = u.cfg.Registry.NewEnv(tx, svc.db.Engine, orm.Identity{})
		} else {
			env, err = base.NewEnv(ctx, tx, svc.db.Engine, u.cfg.Registry, uid)
		}
		if err != nil {
			return err
		}
		return fn(env)
	})
}

// readEnv runs fn with the Env of user uid in a transaction that is rolled back.
func (u *UI) readEnv(ctx context.Context, svc *tenantServices, uid int64, fn func(env *orm.Env) error) error {
	tx, err := svc.db.Read.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	env, err := base.NewEnv(ctx, tx, svc.db.Engine, u.cfg.Registry, uid)
	if err != nil {
		return err
	}
	return fn(env)
}

// isInternal reports whether the user belongs to Internal User (not portal).
func (u *UI) isInternal(ctx context.Context, svc *tenantServices, uid int64) (bool, error) {
	var internal bool
	err := u.readEnv(ctx, svc, uid, func(env *orm.Env) (err error) {
		internal, err = env.HasGroup(ctx, base.GroupUser)
		return err
	})
	return internal, err
}
