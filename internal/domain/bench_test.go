package domain

import (
	"encoding/json"
	"testing"
)

// A typical record rule of ten leaves, as an integrator or an admin writes it.
const benchRule = `[
	'|', ('company_id', '=', False), ('company_id', 'in', company_ids),
	'|', ('user_id', '=', user.id), ('user_id', '=', False),
	('state', 'in', ['draft', 'sent', 'sale']),
	('active', '=', True),
	'!', ('partner_id.country_id.code', '=', 'BE'),
	('amount_total', '>=', 100.5),
	('name', 'ilike', 'S0%'),
	('partner_id', 'child_of', [user.partner_id.id]),
]`

func BenchmarkParse(b *testing.B) {
	lim := DefaultLimits()
	b.SetBytes(int64(len(benchRule)))
	for b.Loop() {
		if _, err := Parse(benchRule, testResolver, lim); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromValue(b *testing.B) {
	d, err := Parse(benchRule, testResolver, DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	// The same rule as an API client sends it.
	raw, err := json.Marshal(pythonToJSON(b, d))
	if err != nil {
		b.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		b.Fatal(err)
	}
	lim := DefaultLimits()
	for b.Loop() {
		if _, err := FromValue(v, lim); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	d, err := Parse(benchRule, testResolver, DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_ = d.String()
	}
}

// pythonToJSON turns a domain into the []any an API client would send.
func pythonToJSON(b *testing.B, d Domain) []any {
	var out []any
	var walk func(n Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case And:
			for range len(n.Children) - 1 {
				out = append(out, "&")
			}
			for _, c := range n.Children {
				walk(c)
			}
		case Or:
			for range len(n.Children) - 1 {
				out = append(out, "|")
			}
			for _, c := range n.Children {
				walk(c)
			}
		case Not:
			out = append(out, "!")
			walk(n.Child)
		case Leaf:
			out = append(out, []any{n.Field(), string(n.Operator), jsonValue(n.Value)})
		default:
			b.Fatalf("unexpected node %#v", n)
		}
	}
	walk(d.Root())
	return out
}

func jsonValue(v Value) any {
	switch v := v.(type) {
	case None:
		return nil
	case Bool:
		return bool(v)
	case Int:
		return int64(v)
	case Float:
		return float64(v)
	case String:
		return string(v)
	case List:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = jsonValue(item)
		}
		return out
	}
	return nil
}
