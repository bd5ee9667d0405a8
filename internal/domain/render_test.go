package domain

import (
	"testing"
)

func TestDomainString(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{`[]`, `[]`},
		{`[(1,'=',1)]`, `[]`},
		{`[(0,'=',1)]`, `[(0, '=', 1)]`},
		{`[('a','=',1)]`, `[('a', '=', 1)]`},
		{`[('a','=',1),('b','=',2),('c','=',3)]`, `[('a', '=', 1), ('b', '=', 2), ('c', '=', 3)]`},
		{`['&','&',('a','=',1),('b','=',2),('c','=',3)]`, `[('a', '=', 1), ('b', '=', 2), ('c', '=', 3)]`},
		{`['|','|',('a','=',1),('b','=',2),('c','=',3)]`, `['|', '|', ('a', '=', 1), ('b', '=', 2), ('c', '=', 3)]`},
		{`['|',('a','=',1),'&',('b','=',2),('c','=',3)]`, `['|', ('a', '=', 1), '&', ('b', '=', 2), ('c', '=', 3)]`},
		{`['!','!',('a','=',1)]`, `['!', '!', ('a', '=', 1)]`},
		{`[('a','<>',None), ('b','in',5), ('c.d','=?',2.0)]`, `[('a', '!=', None), ('b', 'in', [5]), ('c.d', '=', 2.0)]`},
		{`[("name", "ILIKE", "it's \"x\"\n")]`, `[('name', 'ilike', 'it\'s "x"\n')]`},
		{`[('company_id','in',company_ids)]`, `[('company_id', 'in', [1, 2])]`},
	}
	for _, tt := range tests {
		d, err := Parse(tt.src, testResolver, DefaultLimits())
		if err != nil {
			t.Errorf("Parse(%s): %v", tt.src, err)
			continue
		}
		if got := d.String(); got != tt.want {
			t.Errorf("Parse(%s).String() = %s, want %s", tt.src, got, tt.want)
		}
	}
	if got := (Domain{}).String(); got != "[]" {
		t.Errorf("zero Domain renders %s, want []", got)
	}
}

// assertRoundTrip checks that the canonical text of d parses back to d, and
// that rendering is stable.
func assertRoundTrip(t *testing.T, d Domain) {
	t.Helper()
	text := d.String()
	roomy := Limits{MaxSourceLen: 4*len(text) + 16, MaxTerms: 1 << 30, MaxDepth: 1 << 30, MaxListLen: 1 << 30, MaxStringLen: 1 << 30}
	back, err := Parse(text, nil, roomy)
	if err != nil {
		t.Fatalf("canonical text %q does not parse: %v", text, err)
	}
	if !back.Equal(d) {
		t.Fatalf("round trip changed the domain\n text: %q\n  was: %#v\n  now: %#v", text, d.Root(), back.Root())
	}
	if again := back.String(); again != text {
		t.Fatalf("rendering is not stable: %q then %q", text, again)
	}
}

func TestRoundTrip(t *testing.T) {
	sources := []string{
		`[]`,
		`[(0, '=', 1)]`,
		`['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]`,
		`['!', '|', '&', ('a','=',1), ('b','=',2), ('c','=',3)]`,
		`['&', '|', ('a','=',1), ('b','=',2), '|', ('c','=',3), '!', ('d','=',4)]`,
		`[('a','in',[]), ('b','not in',[None, False, True, 0, -1, 1.5, '']), ('c','child_of',[1, 2])]`,
		`[('f','=',0.1), ('g','=',1e300), ('h','=',5e-324), ('i','=',-0.0), ('j','=',123456789012345678.0)]`,
		`[('s','=','\x00\x01\x1f\x7f\x80\x9f\xa0\xad'), ('t','=','\u2028\u200b\ufeff\uffff'), ('u','=','🙂 é \\ \' "')]`,
		`[('a.b.c.d.e.f.g.h', '=like', 'x%'), ('x', '=ilike', '_'), ('y', 'parent_of', 3)]`,
		`[('n', '>=', -9223372036854775808), ('m', '<', 9223372036854775807)]`,
	}
	for _, src := range sources {
		t.Run(src, func(t *testing.T) {
			d, err := Parse(src, testResolver, DefaultLimits())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertRoundTrip(t, d)
		})
	}
	built, err := FromNode(or(and(leaf("a", OpEqual, Int(1)), leaf("b", OpEqual, Int(2))), not(leaf("c", OpIn, List{}))), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	assertRoundTrip(t, built)
	assertRoundTrip(t, AndAll(built, OrAll(built, built)))
}
