package api

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
)

// Argument readers: each accepts what XML-RPC and JSON decoders produce (int64,
// float64, json.Number, string, bool, nil, []any, map[string]any) and treats Odoo's
// false and None as "not given".

func given(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}

func domainArg(name string, v any, lim domain.Limits) (domain.Domain, error) {
	if !given(v) {
		return domain.Domain{}, nil
	}
	d, err := domain.FromValue(v, lim)
	if err != nil {
		return domain.Domain{}, errorOf(kindValidation, "invalid %s: %s", name, strings.TrimPrefix(err.Error(), "domain: "))
	}
	return d, nil
}

func intArg(name string, v any) (int64, error) {
	switch n := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if !n {
			return 0, nil
		}
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case float64:
		if n == math.Trunc(n) && math.Abs(n) <= 1<<53 {
			return int64(n), nil
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
	}
	return 0, errorOf(kindBadRequest, "%s: expected a whole number, got %s", name, describe(v))
}

func nonNegative(name string, v any) (int, error) {
	n, err := intArg(name, v)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > math.MaxInt32 {
		return 0, errorOf(kindBadRequest, "%s: expected a whole number from 0 to %d, got %d", name, math.MaxInt32, n)
	}
	return int(n), nil
}

func stringArg(name string, v any) (string, error) {
	switch s := v.(type) {
	case nil:
		return "", nil
	case bool:
		if !s {
			return "", nil
		}
	case string:
		return s, nil
	}
	return "", errorOf(kindBadRequest, "%s: expected text, got %s", name, describe(v))
}

func boolArg(name string, v any, def bool) (bool, error) {
	switch b := v.(type) {
	case nil:
		return def, nil
	case bool:
		return b, nil
	case int64:
		return b != 0, nil
	case json.Number:
		return b != "0", nil
	}
	return false, errorOf(kindBadRequest, "%s: expected true or false, got %s", name, describe(v))
}

// stringsArg reads a list of names; a single name is taken as a list of one, as
// Odoo's clients sometimes send groupby="partner_id".
func stringsArg(name string, v any, max int) ([]string, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if !l {
			return nil, nil
		}
	case string:
		return []string{l}, nil
	case []any:
		if len(l) > max {
			return nil, errorOf(kindBadRequest, "%s: at most %d names, got %d", name, max, len(l))
		}
		out := make([]string, len(l))
		for i, item := range l {
			s, ok := item.(string)
			if !ok {
				return nil, errorOf(kindBadRequest, "%s: expected a list of names, item %d is %s", name, i, describe(item))
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, errorOf(kindBadRequest, "%s: expected a list of names, got %s", name, describe(v))
}

// idsArg reads record ids: one id, or a list of ids.
func idsArg(v any, max int) ([]int64, error) {
	switch l := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if !l {
			return nil, nil
		}
	case []any:
		if len(l) > max {
			return nil, errorOf(kindBadRequest, "%d ids exceed the limit of %d records per call; send them in batches", len(l), max)
		}
		out := make([]int64, len(l))
		for i, item := range l {
			id, err := intArg("ids", item)
			if err != nil || id <= 0 {
				return nil, errorOf(kindBadRequest, "ids: expected positive record ids, item %d is %s", i, describe(item))
			}
			out[i] = id
		}
		return out, nil
	case []int64:
		if len(l) > max {
			return nil, errorOf(kindBadRequest, "%d ids exceed the limit of %d records per call; send them in batches", len(l), max)
		}
		return l, nil
	default:
		id, err := intArg("ids", v)
		if err == nil && id > 0 {
			return []int64{id}, nil
		}
	}
	return nil, errorOf(kindBadRequest, "ids: expected a record id or a list of record ids, got %s", describe(v))
}

// looksLikeIDs reports whether a first positional argument is a record id or a list
// of them, as Odoo clients pass the records a method is called on.
func looksLikeIDs(v any) bool {
	switch l := v.(type) {
	case int64, int, json.Number:
		return true
	case []any:
		for _, item := range l {
			switch item.(type) {
			case int64, int, json.Number:
			default:
				return false
			}
		}
		return true
	}
	return false
}

func mapArg(name string, v any) (map[string]any, error) {
	switch m := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if !m {
			return nil, nil
		}
	case map[string]any:
		return m, nil
	}
	return nil, errorOf(kindBadRequest, "%s: expected a mapping of field names to values, got %s", name, describe(v))
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case string:
		return "the text " + quoteClip(v)
	case int64, int, float64, json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "a value of another type"
}

func quoteClip(s string) string {
	b, _ := json.Marshal(clip(s))
	return string(b)
}
