package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckMethodName(t *testing.T) {
	for _, name := range []string{"search", "search_read", "action_confirm", "action_post2"} {
		if err := checkMethodName("m", name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
	for _, name := range []string{"", "_x", "__init__", "init", "sudo", "Sudo", "readRows", "a.b", "a b", "2x", "é", strings.Repeat("a", 129)} {
		var ce *callError
		if err := checkMethodName("m", name); !errors.As(err, &ce) || ce.kind != kindAccessError {
			t.Errorf("%q: %v, want an access error", name, err)
		}
	}
}

func TestBind(t *testing.T) {
	params := []param{p("domain", "args"), p("offset"), p("limit")}
	tests := []struct {
		name       string
		positional []any
		kwargs     map[string]any
		want       map[string]any
		err        string
	}{
		{"positional", []any{"d", int64(1)}, nil, map[string]any{"domain": "d", "offset": int64(1)}, ""},
		{"keywords and alias", nil, map[string]any{"args": "d", "limit": int64(3), "context": map[string]any{}}, map[string]any{"domain": "d", "limit": int64(3)}, ""},
		{"too many", []any{1, 2, 3, 4}, nil, nil, "at most 3 arguments"},
		{"unknown keyword", nil, map[string]any{"limt": 1}, nil, "unexpected keyword"},
		{"twice", []any{"d"}, map[string]any{"domain": "e"}, nil, "multiple values"},
	}
	for _, tt := range tests {
		got, err := bind("search", params, tt.positional, tt.kwargs)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%s: %v %v", tt.name, got, err)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", tt.name, k, got[k], v)
			}
		}
	}
}

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newRateLimiter(Rate{PerSecond: 2, Burst: 3}, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if w := l.take("k"); w != 0 {
			t.Fatalf("burst request %d refused (%s)", i, w)
		}
	}
	if w := l.take("k"); w < time.Second {
		t.Fatalf("over the burst: wait %s", w)
	}
	if w := l.take("other"); w != 0 {
		t.Fatalf("another key shares the bucket")
	}
	now = now.Add(time.Second)
	for i := 0; i < 2; i++ {
		if w := l.take("k"); w != 0 {
			t.Fatalf("refilled request %d refused", i)
		}
	}
	if w := l.take("k"); w == 0 {
		t.Fatal("refill exceeded the rate")
	}
	off := newRateLimiter(Rate{PerSecond: -1}, time.Now)
	for i := 0; i < 1000; i++ {
		if off.take("k") != 0 {
			t.Fatal("disabled limiter refused")
		}
	}
}

func TestRateLimiterBoundsMemory(t *testing.T) {
	now := time.Unix(0, 0)
	l := newRateLimiter(Rate{PerSecond: 1, Burst: 1}, func() time.Time { return now })
	for i := 0; i < maxBuckets+10; i++ {
		l.take(itoa(int64(i)))
	}
	if len(l.buckets) > maxBuckets {
		t.Fatalf("%d buckets kept", len(l.buckets))
	}
}

// FuzzBindJSON2 feeds arbitrary bodies to the JSON-2 parameter binding and then to
// the argument binding of every standard method: it must refuse with a clear error
// or produce a call, never panic, and never let ids through for methods that take
// none.
func FuzzBindJSON2(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `{"ids": [1, 2], "fields": ["name"]}`, `{"domain": [["name", "ilike", "a"]], "limit": 5, "offset": 1, "order": "name"}`,
		`{"vals_list": [{"name": "x"}], "context": {"active_test": false}}`, `{"ids": 7, "vals": {"name": 1}}`,
		`{"ids": [-1]}`, `{"ids": ["a"]}`, `[1]`, `{"a": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"limit": 1e400}`, `{"limit": "ten"}`, "{\"x\": \"\xff\"}", `{"operation": "read", "raise_exception": 0}`,
	} {
		f.Add("search", s)
		f.Add("read", s)
	}
	methods := make([]string, 0, len(standardMethods))
	for name := range standardMethods {
		methods = append(methods, name)
	}
	lim := DefaultLimits()
	f.Fuzz(func(t *testing.T, method, body string) {
		c, err := bindJSON2("res.partner", method, strings.NewReader(body))
		if err != nil {
			var ce *callError
			if !errors.As(err, &ce) || ce.message == "" {
				t.Fatalf("unclear error %T: %v", err, err)
			}
			return
		}
		for _, name := range methods {
			std := standardMethods[name]
			cc, err := bindJSON2("res.partner", name, strings.NewReader(body))
			if err != nil {
				if !std.onRecords && strings.Contains(err.Error(), "leave ids out") {
					continue
				}
				var ce *callError
				if !errors.As(err, &ce) {
					t.Fatalf("%s: unclear error %v", name, err)
				}
				continue
			}
			if !std.onRecords && len(cc.ids) > 0 {
				t.Fatalf("%s accepted ids", name)
			}
			inv := &invocation{limits: lim}
			if args, err := bind(name, std.params, nil, cc.kwargs); err == nil {
				inv.args = args
				_, _, _ = inv.page()
			}
		}
		_ = c
	})
}
