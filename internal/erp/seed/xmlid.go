package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// AccessName is the external id name (without the module) of an access right:
// access_<model>_<group>, or access_<model>_all for a right without group.
func AccessName(r Right) string {
	group := r.Group
	if group == "" {
		group = "all"
	}
	return "access_" + ident(r.Model) + "_" + ident(group)
}

// RuleName is the external id name (without the module) of a record rule.
func RuleName(r Rule) string { return "rule_" + ident(r.Name) }

// ident turns a model, group or rule name into the letters, digits and single
// underscores of an external id.
func ident(s string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
			continue
		}
		under = true
	}
	return b.String()
}

// externalIDs are a module's external ids for one model, loaded once per seed.
type externalIDs struct {
	module, model string
	known         map[string]bool // names the module recorded
	taken         map[int64]bool  // records any module recorded for the model
}

func loadExternalIDs(ctx context.Context, env *orm.Env, module, model string) (*externalIDs, error) {
	rb := &store.DB{Engine: env.Engine()}
	rows, err := env.Tx().QueryContext(ctx, rb.Rebind("SELECT module, name, res_id FROM ir_model_data WHERE model = ?"), model)
	if err != nil {
		return nil, fmt.Errorf("read external ids of %s: %w", model, err)
	}
	defer rows.Close()
	x := &externalIDs{module: module, model: model, known: map[string]bool{}, taken: map[int64]bool{}}
	for rows.Next() {
		var mod, name string
		var id int64
		if err := rows.Scan(&mod, &name, &id); err != nil {
			return nil, fmt.Errorf("read external ids of %s: %w", model, err)
		}
		x.taken[id] = true
		if mod == module {
			x.known[name] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read external ids of %s: %w", model, err)
	}
	return x, nil
}

// record names the record id module.name.
func (x *externalIDs) record(ctx context.Context, env *orm.Env, name string, id int64) error {
	rb := &store.DB{Engine: env.Engine()}
	if _, err := env.Tx().ExecContext(ctx, rb.Rebind(
		"INSERT INTO ir_model_data (module, name, model, res_id, create_date) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)"),
		x.module, name, x.model, id); err != nil {
		return fmt.Errorf("record external id %s.%s: %w", x.module, name, err)
	}
	x.known[name] = true
	x.taken[id] = true
	return nil
}

// Ref returns the record an external id ("module.name") names, if the tenant
// has it: recorded, and not deleted since.
func Ref(ctx context.Context, env *orm.Env, xmlID string) (model string, id int64, ok bool, err error) {
	module, name, found := strings.Cut(xmlID, ".")
	if !found {
		return "", 0, false, fmt.Errorf("external id %q has no module", xmlID)
	}
	rb := &store.DB{Engine: env.Engine()}
	err = env.Tx().QueryRowContext(ctx, rb.Rebind("SELECT model, res_id FROM ir_model_data WHERE module = ? AND name = ?"), module, name).Scan(&model, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("read external id %s: %w", xmlID, err)
	}
	live, err := env.Sudo().Search(ctx, model, Leaf("id", "=", id), orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return "", 0, false, fmt.Errorf("read external id %s: %w", xmlID, err)
	}
	return model, id, len(live) == 1, nil
}

// modelIDs reads the whole model catalogue at once.
func modelIDs(ctx context.Context, env *orm.Env) (map[string]int64, error) {
	recs, err := env.SearchRead(ctx, "ir.model", domain.Domain{}, []string{"model"}, orm.SearchOptions{})
	if err != nil {
		return nil, fmt.Errorf("read model catalogue: %w", err)
	}
	out := make(map[string]int64, len(recs))
	for _, r := range recs {
		out[r["model"].(string)] = r["id"].(int64)
	}
	return out, nil
}

// groupIDs maps the xml id of every group to its id.
func groupIDs(ctx context.Context, env *orm.Env) (map[string]int64, error) {
	recs, err := env.SearchRead(ctx, "res.groups", Leaf("xml_id", "!=", false), []string{"xml_id"}, orm.SearchOptions{IncludeArchived: true})
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	out := make(map[string]int64, len(recs))
	for _, r := range recs {
		if x, ok := r["xml_id"].(string); ok {
			out[x] = r["id"].(int64)
		}
	}
	return out, nil
}

// many2oneID is the id of a many2one value as read ([id, name] or false).
func many2oneID(v any) int64 {
	if pair, ok := v.([]any); ok && len(pair) > 0 {
		id, _ := pair[0].(int64)
		return id
	}
	return 0
}

func int64List(v any) []int64 {
	ids, _ := v.([]int64)
	return ids
}

func sameIDs(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func int64sToAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
