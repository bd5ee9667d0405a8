package webui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/orm"
)

func TestParseTags(t *testing.T) {
	f := &orm.Field{Name: "tag_ids", Type: orm.Many2many, Comodel: "x"}
	cases := []struct {
		raw  string
		want []int64
		ok   bool
	}{
		{"", []int64{}, true},
		{"3", []int64{3}, true},
		{"3,1,3, 2 ", []int64{3, 1, 2}, true},
		{",,", []int64{}, true},
		{"0", nil, false},
		{"-1", nil, false},
		{"1,x", nil, false},
		{"99999999999999999999", nil, false},
		{"1.5", nil, false},
		{strings.Repeat("7,", maxTags+5), []int64{7}, true},
		{func() string {
			var b strings.Builder
			for i := 1; i <= maxTags+1; i++ {
				fmt.Fprintf(&b, "%d,", i)
			}
			return b.String()
		}(), nil, false},
	}
	for _, c := range cases {
		val, shown, err := parseTags(f, c.raw)
		var fe *fieldError
		if c.ok != (err == nil) || err != nil && !errors.As(err, &fe) {
			t.Errorf("%.40q: error %v", c.raw, err)
			continue
		}
		if !c.ok {
			continue
		}
		if got := shown.([]int64); !slices.Equal(got, c.want) {
			t.Errorf("%.40q: shown %v, want %v", c.raw, got, c.want)
		}
		cmd := val.([]any)[0].([]any)
		if cmd[0] != int64(6) || cmd[1] != int64(0) || len(cmd[2].([]any)) != len(c.want) {
			t.Errorf("%.40q: command %v", c.raw, cmd)
		}
	}
}

func TestTagIDs(t *testing.T) {
	cases := []struct {
		val  any
		want []int64
	}{
		{nil, nil},
		{false, nil},
		{[]int64{4, 2}, []int64{4, 2}},
		{[]any{int64(3), 5}, []int64{3, 5}},
		{[]any{[]any{6, 0, []any{int64(7), 8}}}, []int64{7, 8}},
		{[]any{[]any{6, 0, []int64{9}}}, []int64{9}},
		{[]any{"x", 1.5}, []int64{}},
	}
	for _, c := range cases {
		if got := tagIDs(c.val); !slices.Equal(got, c.want) {
			t.Errorf("tagIDs(%v) = %v, want %v", c.val, got, c.want)
		}
	}
}

// FuzzParseTags: any input gives either a field error or a command 6 with
// distinct positive ids, at most maxTags of them.
func FuzzParseTags(fz *testing.F) {
	for _, s := range []string{"", "1", "1,2,3", "1,,2", "-1", "a", "0x10", "1 ,2", "9223372036854775807", "9223372036854775808"} {
		fz.Add(s)
	}
	f := &orm.Field{Name: "tag_ids", Type: orm.Many2many, Comodel: "x"}
	fz.Fuzz(func(t *testing.T, raw string) {
		val, _, err := parseTags(f, raw)
		if err != nil {
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		ids := val.([]any)[0].([]any)[2].([]any)
		if len(ids) > maxTags {
			t.Fatalf("%q: %d ids", raw, len(ids))
		}
		seen := map[int64]bool{}
		for _, v := range ids {
			id := v.(int64)
			if id <= 0 || seen[id] {
				t.Fatalf("%q: id %d", raw, id)
			}
			seen[id] = true
		}
	})
}
