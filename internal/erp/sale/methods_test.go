package sale

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestQuantitiesArg(t *testing.T) {
	cases := []struct {
		in   any
		want string
		err  bool
	}{
		{nil, "map[]", false},
		{map[string]any{"12": 2.5}, "map[12:2.5]", false},
		{map[string]any{"12": "1.125"}, "map[12:1.125]", false},
		{map[string]any{"12": json.Number("3")}, "map[12:3]", false},
		{map[string]any{"0": 1.0}, "", true},
		{map[string]any{"-4": 1.0}, "", true},
		{map[string]any{"x": 1.0}, "", true},
		{map[string]any{"12": 1.0001}, "", true},
		{map[string]any{"12": "lots"}, "", true},
		{map[string]any{"12": true}, "", true},
		{[]any{1, 2}, "", true},
	}
	for _, c := range cases {
		got, err := quantitiesArg(c.in)
		if (err != nil) != c.err {
			t.Errorf("quantitiesArg(%v): error %v", c.in, err)
			continue
		}
		if err == nil {
			s := "map["
			for k, v := range got {
				s += jsonInt(k) + ":" + v.Text('f')
			}
			if s+"]" != c.want {
				t.Errorf("quantitiesArg(%v) = %s, want %s", c.in, s+"]", c.want)
			}
		}
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func FuzzQuantitiesArg(f *testing.F) {
	for _, s := range []string{`{"1": 2}`, `{"7": "0.5"}`, `{"1": 1e400}`, `{"99999999999999999999": 1}`, `{"3": -1}`, `[]`, `null`, `{"1": {"a": 1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		got, err := quantitiesArg(v)
		if err != nil {
			return
		}
		for id, q := range got {
			if id <= 0 || q.NumDigits() > 20 {
				t.Fatalf("accepted line %d quantity %s from %s", id, q, s)
			}
		}
	})
}
