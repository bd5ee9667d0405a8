package api

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// param is one parameter of a standard method, with the names Odoo's clients use.
type param struct {
	name    string
	aliases []string
}

// standardMethod is an ORM operation every model offers, described as Odoo's Python
// signature so that positional and keyword arguments bind as clients expect.
type standardMethod struct {
	// onRecords methods take the records first: args[0] over XML-RPC and JSON-RPC,
	// "ids" in a JSON-2 body.
	onRecords bool
	params    []param
	// readOnly calls run in a read-only transaction.
	readOnly bool
	run      func(ctx context.Context, env *orm.Env, inv *invocation) (any, error)
}

// invocation is one bound call of a standard method.
type invocation struct {
	model string
	ids   []int64
	args  map[string]any
	// includeArchived is the context's active_test=False.
	includeArchived bool
	limits          Limits
	domainLimits    domain.Limits
}

func (inv *invocation) domain(name string) (domain.Domain, error) {
	return domainArg(name, inv.args[name], inv.domainLimits)
}

func p(name string, aliases ...string) param { return param{name: name, aliases: aliases} }

// standardMethods are the ORM operations, keyed by the name clients call.
var standardMethods = map[string]standardMethod{
	"search":              {params: []param{p("domain", "args"), p("offset"), p("limit"), p("order")}, readOnly: true, run: runSearch},
	"search_count":        {params: []param{p("domain", "args"), p("limit")}, readOnly: true, run: runSearchCount},
	"search_read":         {params: []param{p("domain"), p("fields"), p("offset"), p("limit"), p("order")}, readOnly: true, run: runSearchRead},
	"read":                {onRecords: true, params: []param{p("fields"), p("load")}, readOnly: true, run: runRead},
	"create":              {params: []param{p("vals_list", "vals")}, run: runCreate},
	"write":               {onRecords: true, params: []param{p("vals")}, run: runWrite},
	"unlink":              {onRecords: true, run: runUnlink},
	"copy":                {onRecords: true, params: []param{p("default")}, run: runCopy},
	"fields_get":          {params: []param{p("allfields", "fields"), p("attributes")}, readOnly: true, run: runFieldsGet},
	"name_search":         {params: []param{p("name"), p("domain", "args"), p("operator"), p("limit")}, readOnly: true, run: runNameSearch},
	"name_get":            {onRecords: true, readOnly: true, run: runNameGet},
	"read_group":          {params: []param{p("domain"), p("fields"), p("groupby"), p("offset"), p("limit"), p("orderby", "order"), p("lazy")}, readOnly: true, run: runReadGroup},
	"default_get":         {params: []param{p("fields_list", "fields")}, readOnly: true, run: runDefaultGet},
	"exists":              {onRecords: true, readOnly: true, run: runExists},
	"check_access_rights": {params: []param{p("operation"), p("raise_exception")}, readOnly: true, run: runCheckAccessRights},
}

// bind matches positional and keyword arguments to a method's parameters, as
// Python would: too many positional arguments, unknown keywords and a parameter
// given twice are refused.
func bind(method string, params []param, positional []any, kwargs map[string]any) (map[string]any, error) {
	if len(positional) > len(params) {
		return nil, errorOf(kindBadRequest, "%s takes at most %d arguments, got %d", method, len(params), len(positional))
	}
	out := make(map[string]any, len(params))
	for i, v := range positional {
		out[params[i].name] = v
	}
	for key, v := range kwargs {
		if key == "context" {
			continue
		}
		name := ""
		for _, prm := range params {
			if prm.name == key || slices.Contains(prm.aliases, key) {
				name = prm.name
				break
			}
		}
		if name == "" {
			return nil, errorOf(kindBadRequest, "%s got an unexpected keyword argument %s", method, quoteClip(key))
		}
		if _, dup := out[name]; dup {
			return nil, errorOf(kindBadRequest, "%s got multiple values for argument %s", method, quoteClip(key))
		}
		out[name] = v
	}
	return out, nil
}

// page reads offset, limit and order, capping the limit at the records a call may
// return. Without a limit one more than the cap is asked for, to tell "exactly the
// cap" from "more than allowed".
func (inv *invocation) page() (orm.SearchOptions, bool, error) {
	offset, err := nonNegative("offset", inv.args["offset"])
	if err != nil {
		return orm.SearchOptions{}, false, err
	}
	limit, err := nonNegative("limit", inv.args["limit"])
	if err != nil {
		return orm.SearchOptions{}, false, err
	}
	order, err := stringArg("order", inv.args["order"])
	if err != nil {
		return orm.SearchOptions{}, false, err
	}
	if limit > inv.limits.MaxRecords {
		return orm.SearchOptions{}, false, errorOf(kindValidation, "limit %d is above the maximum of %d records per call; read them in pages", limit, inv.limits.MaxRecords)
	}
	unbounded := limit == 0
	if unbounded {
		limit = inv.limits.MaxRecords + 1
	}
	return orm.SearchOptions{Offset: offset, Limit: limit, Order: order, IncludeArchived: inv.includeArchived}, unbounded, nil
}

func (inv *invocation) tooMany() error {
	return errorOf(kindValidation, "more than %d records match; pass a limit and read them in pages", inv.limits.MaxRecords)
}

func runSearch(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	dom, err := inv.domain("domain")
	if err != nil {
		return nil, err
	}
	opts, unbounded, err := inv.page()
	if err != nil {
		return nil, err
	}
	ids, err := env.Search(ctx, inv.model, dom, opts)
	if err != nil {
		return nil, err
	}
	if unbounded && len(ids) > inv.limits.MaxRecords {
		return nil, inv.tooMany()
	}
	return ids, nil
}

func runSearchCount(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	dom, err := inv.domain("domain")
	if err != nil {
		return nil, err
	}
	limit, err := nonNegative("limit", inv.args["limit"])
	if err != nil {
		return nil, err
	}
	n, err := env.SearchCount(ctx, inv.model, dom, orm.SearchOptions{IncludeArchived: inv.includeArchived})
	if err != nil {
		return nil, err
	}
	if limit > 0 && n > int64(limit) {
		n = int64(limit)
	}
	return n, nil
}

func runSearchRead(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	dom, err := inv.domain("domain")
	if err != nil {
		return nil, err
	}
	fields, err := stringsArg("fields", inv.args["fields"], maxFieldNames)
	if err != nil {
		return nil, err
	}
	opts, unbounded, err := inv.page()
	if err != nil {
		return nil, err
	}
	ids, err := env.Search(ctx, inv.model, dom, opts)
	if err != nil {
		return nil, err
	}
	if unbounded && len(ids) > inv.limits.MaxRecords {
		return nil, inv.tooMany()
	}
	return env.Read(ctx, inv.model, ids, fields)
}

// maxFieldNames bounds the field lists a call may name.
const maxFieldNames = 1000

func runRead(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	fields, err := stringsArg("fields", inv.args["fields"], maxFieldNames)
	if err != nil {
		return nil, err
	}
	if _, err := stringArg("load", inv.args["load"]); err != nil {
		return nil, err
	}
	return env.Read(ctx, inv.model, inv.ids, fields)
}

func runCreate(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	raw, ok := inv.args["vals_list"]
	if !ok {
		return nil, errorOf(kindBadRequest, "create needs the values of the new record (vals_list)")
	}
	if single, ok := raw.(map[string]any); ok {
		ids, err := env.Create(ctx, inv.model, []map[string]any{single})
		if err != nil {
			return nil, err
		}
		return ids[0], nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, errorOf(kindBadRequest, "vals_list: expected a mapping or a list of mappings, got %s", describe(raw))
	}
	if len(list) > inv.limits.MaxRecords {
		return nil, errorOf(kindValidation, "%d records in one create exceed the limit of %d per call", len(list), inv.limits.MaxRecords)
	}
	vals := make([]map[string]any, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, errorOf(kindBadRequest, "vals_list: item %d is %s, not a mapping", i, describe(item))
		}
		vals[i] = m
	}
	return env.Create(ctx, inv.model, vals)
}

func runWrite(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	vals, err := mapArg("vals", inv.args["vals"])
	if err != nil {
		return nil, err
	}
	if vals == nil {
		return nil, errorOf(kindBadRequest, "write needs the values to set (vals)")
	}
	if err := env.Write(ctx, inv.model, inv.ids, vals); err != nil {
		return nil, err
	}
	return true, nil
}

func runUnlink(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	if err := env.Unlink(ctx, inv.model, inv.ids); err != nil {
		return nil, err
	}
	return true, nil
}

func runCopy(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	overrides, err := mapArg("default", inv.args["default"])
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(inv.ids))
	for _, id := range inv.ids {
		n, err := env.Copy(ctx, inv.model, id, overrides)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func runFieldsGet(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	names, err := stringsArg("allfields", inv.args["allfields"], maxFieldNames)
	if err != nil {
		return nil, err
	}
	attributes, err := stringsArg("attributes", inv.args["attributes"], 100)
	if err != nil {
		return nil, err
	}
	return env.FieldsGet(ctx, inv.model, names, attributes)
}

func runNameSearch(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	name, err := stringArg("name", inv.args["name"])
	if err != nil {
		return nil, err
	}
	dom, err := inv.domain("domain")
	if err != nil {
		return nil, err
	}
	operator, err := stringArg("operator", inv.args["operator"])
	if err != nil {
		return nil, err
	}
	limit, err := nonNegative("limit", inv.args["limit"])
	if err != nil {
		return nil, err
	}
	if limit == 0 || limit > inv.limits.MaxRecords {
		limit = min(100, inv.limits.MaxRecords)
	}
	pairs, err := env.NameSearch(ctx, inv.model, name, dom, operator, limit)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(pairs))
	for i, pr := range pairs {
		out[i] = []any{pr[0], pr[1]}
	}
	return out, nil
}

func runNameGet(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	recs, err := env.Read(ctx, inv.model, inv.ids, []string{"display_name"})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = []any{r["id"], r["display_name"]}
	}
	return out, nil
}

func runReadGroup(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	dom, err := inv.domain("domain")
	if err != nil {
		return nil, err
	}
	fields, err := stringsArg("fields", inv.args["fields"], maxFieldNames)
	if err != nil {
		return nil, err
	}
	groupBy, err := stringsArg("groupby", inv.args["groupby"], 8)
	if err != nil {
		return nil, err
	}
	if len(groupBy) == 0 {
		return nil, errorOf(kindBadRequest, "read_group needs at least one field to group by (groupby)")
	}
	lazy, err := boolArg("lazy", inv.args["lazy"], true)
	if err != nil {
		return nil, err
	}
	if lazy {
		// Odoo's lazy grouping groups by the first field only.
		groupBy = groupBy[:1]
	}
	offset, err := nonNegative("offset", inv.args["offset"])
	if err != nil {
		return nil, err
	}
	limit, err := nonNegative("limit", inv.args["limit"])
	if err != nil {
		return nil, err
	}
	if limit == 0 || limit > inv.limits.MaxRecords {
		limit = inv.limits.MaxRecords
	}
	order, err := stringArg("orderby", inv.args["orderby"])
	if err != nil {
		return nil, err
	}
	m, _ := env.Registry().Model(inv.model)
	aggregates := aggregatesOf(m, fields, groupBy)
	groups, err := env.ReadGroup(ctx, inv.model, dom, aggregates, groupBy, orm.GroupOptions{
		Offset: offset, Limit: limit, Order: order, IncludeArchived: inv.includeArchived,
	})
	if err != nil {
		return nil, err
	}
	if lazy {
		// Odoo names the count of a lazy group after its field.
		key := strings.SplitN(groupBy[0], ":", 2)[0] + "_count"
		for _, g := range groups {
			if n, ok := g["__count"]; ok {
				g[key] = n
			}
		}
	}
	return groups, nil
}

// aggregatesOf turns read_group's fields into the ORM's aggregate specs: "f:agg"
// passes through, a bare numeric field is summed, and anything else (the group-by
// fields themselves, names) is left out as Odoo leaves it out.
func aggregatesOf(m *orm.Model, fields, groupBy []string) []string {
	var out []string
	for _, f := range fields {
		if strings.Contains(f, ":") {
			out = append(out, f)
			continue
		}
		if f == "__count" || slices.Contains(groupBy, f) {
			continue
		}
		if fd, ok := m.Field(f); ok {
			switch fd.Type {
			case orm.Integer, orm.Float, orm.Monetary:
				if fd.IsStored() && f != "id" {
					out = append(out, f+":sum")
				}
			}
		}
	}
	return out
}

func runDefaultGet(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	names, err := stringsArg("fields_list", inv.args["fields_list"], maxFieldNames)
	if err != nil {
		return nil, err
	}
	return env.DefaultGet(ctx, inv.model, names)
}

func runExists(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	return env.Exists(ctx, inv.model, inv.ids)
}

// accessRightsChecker is the ORM's own check of model access rights, used when the
// ORM offers it.
type accessRightsChecker interface {
	CheckAccessRights(ctx context.Context, model, operation string) error
}

// runCheckAccessRights answers whether the user's groups grant the operation on the
// model. The ORM checks access rights before anything else in every operation, so an
// operation on no records is a faithful probe that reads and changes nothing.
func runCheckAccessRights(ctx context.Context, env *orm.Env, inv *invocation) (any, error) {
	op, err := stringArg("operation", inv.args["operation"])
	if err != nil {
		return nil, err
	}
	raise, err := boolArg("raise_exception", inv.args["raise_exception"], true)
	if err != nil {
		return nil, err
	}
	err = probeAccess(ctx, env, inv.model, op)
	if err == nil {
		return true, nil
	}
	var denied *orm.AccessError
	if errors.As(err, &denied) && !raise {
		return false, nil
	}
	return nil, err
}

func probeAccess(ctx context.Context, env *orm.Env, model, op string) error {
	if c, ok := any(env).(accessRightsChecker); ok {
		return c.CheckAccessRights(ctx, model, op)
	}
	switch op {
	case "read":
		_, err := env.Read(ctx, model, nil, []string{"id"})
		return err
	case "write":
		return env.Write(ctx, model, nil, map[string]any{})
	case "create":
		_, err := env.Create(ctx, model, nil)
		return err
	case "unlink":
		return env.Unlink(ctx, model, nil)
	}
	return errorOf(kindBadRequest, "operation: expected read, write, create or unlink, got %s", quoteClip(op))
}
