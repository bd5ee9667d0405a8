package domain

import (
	"bytes"
	"encoding/json"
	"testing"
)

var fuzzTextSeeds = []string{
	`[]`,
	`['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]`,
	`[('user_id', '=', user.id), ('partner_id', 'child_of', [user.partner_id.id])]`,
	`['!', '|', '&', ('a','=',1), ('b','<>',2.5), ('c.d','ilike','x%')]`,
	`[(1, '=', 1), (0, '=', 1), ('x', '=?', None), ('y', 'in', (1,)), ('z', 'not in', (company_id))]`,
	`[("s", "=", "\x00\u00e9\\\"'\n"), ('t', '=', -0.0), ('u', '>', 1e-7)]`,
	`[('a', '=', __import__('os'))]`,
	`[('a', '=', ''.join)]`,
	`[[[[[[[[[[`,
	"[('a', '=', 'unterminated",
}

// FuzzParse: any text either fails with a *Error or gives a domain whose
// canonical text parses back to the same domain.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Parse(src, testResolver, DefaultLimits())
		validateErr := Validate(src, []string{"user.id", "user.partner_id.id", "company_id", "company_ids", "user.name", "user.login"}, DefaultLimits())
		if err != nil {
			asDomainError(t, err)
			return
		}
		if validateErr != nil {
			// Validate skips value shapes for names, so it accepts at least what Parse does.
			t.Fatalf("Parse accepted %q but Validate refused it: %v", src, validateErr)
		}
		assertRoundTrip(t, d)
	})
}

var fuzzJSONSeeds = []string{
	`[]`,
	`["|",["company_id","=",false],["company_id","in",[1,2]]]`,
	`["!","&",["a","=",null],["b","not in",[1,"x",2.5,true,null]]]`,
	`[[1,"=",1],[0,"=",1],["c","=?",false],["d","<>",7.0]]`,
	`[["name","ilike","' OR 1=1 --\u0000/* */"]]`,
	`[["x","child_of",3],["y","in",5]]`,
	`["|",["a"]]`,
	`{"a":1}`,
	`[["a.b","=",1e400]]`,
}

// FuzzFromJSON: any JSON document either fails cleanly or gives a domain
// whose canonical text parses back to the same domain, decoded both with
// float64 numbers and with json.Number.
func FuzzFromJSON(f *testing.F) {
	for _, s := range fuzzJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(bytes.NewReader(data))
			if useNumber {
				dec.UseNumber()
			}
			var v any
			if dec.Decode(&v) != nil {
				return
			}
			d, err := FromValue(v, DefaultLimits())
			if err != nil {
				asDomainError(t, err)
				continue
			}
			assertRoundTrip(t, d)
		}
	})
}
