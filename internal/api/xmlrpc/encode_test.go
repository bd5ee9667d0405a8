package xmlrpc

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
)

func TestEncodeRoundTrip(t *testing.T) {
	when := time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"bools", []any{true, false}, []any{true, false}},
		{"ints", []any{1, int32(-2), int64(1 << 40)}, []any{int64(1), int64(-2), int64(1 << 40)}},
		{"ids", []int64{3, 4}, []any{int64(3), int64(4)}},
		{"double", 0.1, 0.1},
		{"decimal", apd.New(12345, -2), 123.45},
		{"json number", json.Number("17"), int64(17)},
		{"string escapes", "a<b>&c\r\nd\te", "a<b>&c\r\nd\te"},
		{"control characters replaced", "a\x00b\x1fc", "a\uFFFDb\uFFFDc"},
		{"invalid utf-8 replaced", "a\xffb", "a\uFFFDb"},
		{"bytes", []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}},
		{"time", when, when},
		{"many2one pair", []any{int64(7), "Azure"}, []any{int64(7), "Azure"}},
		{"records", []map[string]any{{"id": int64(1), "name": "A", "parent_id": false}},
			[]any{map[string]any{"id": int64(1), "name": "A", "parent_id": false}}},
		{"pairs", [][2]any{{int64(1), "x"}}, []any{[]any{int64(1), "x"}}},
		{"nested maps", map[string]map[string]any{"name": {"type": "char"}}, map[string]any{"name": map[string]any{"type": "char"}}},
		{"strings", []string{"a", "b"}, []any{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf, err := AppendResponse(nil, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeResponse(bytes.NewReader(buf), Limits{})
			if err != nil {
				t.Fatalf("%v\n%s", err, buf)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v\n%s", got, tt.want, buf)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	self := map[string]any{}
	self["me"] = self
	for name, v := range map[string]any{
		"nan":       math.NaN(),
		"infinity":  math.Inf(1),
		"cycle":     self,
		"channel":   make(chan int),
		"int keyed": map[int]string{1: "a"},
	} {
		if _, err := AppendResponse(nil, v); err == nil {
			t.Errorf("%s: encoded without error", name)
		}
	}
}

func TestCallRoundTrip(t *testing.T) {
	buf, err := AppendCall(nil, "execute_kw", "db", int64(2), "key", "res.partner", "search",
		[]any{[]any{[]any{"is_company", "=", true}}}, map[string]any{"limit": 5})
	if err != nil {
		t.Fatal(err)
	}
	call, err := DecodeCall(bytes.NewReader(buf), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"db", int64(2), "key", "res.partner", "search",
		[]any{[]any{[]any{"is_company", "=", true}}}, map[string]any{"limit": int64(5)}}
	if call.Method != "execute_kw" || !reflect.DeepEqual(call.Params, want) {
		t.Fatalf("got %#v", call)
	}
}

func TestFaultEscapesMessage(t *testing.T) {
	buf := AppendFault(nil, &Fault{Code: 2, String: "<script>&"})
	if !strings.Contains(string(buf), "&lt;script&gt;&amp;") {
		t.Fatalf("fault not escaped: %s", buf)
	}
}
