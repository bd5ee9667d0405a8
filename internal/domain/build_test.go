package domain

import (
	"strings"
	"testing"
)

func TestFromNode(t *testing.T) {
	a1 := leaf("a", OpEqual, Int(1))
	b2 := leaf("b", OpEqual, Int(2))
	c3 := leaf("c", OpEqual, Int(3))
	tests := []struct {
		name    string
		in      Node
		want    Node
		wantErr string
	}{
		{"leaf", a1, a1, ""},
		{"nested ands flatten", and(a1, and(b2, and(c3))), and(a1, b2, c3), ""},
		{"single-child and unwraps", and(a1), a1, ""},
		{"empty and is TRUE", and(), True, ""},
		{"empty or is FALSE", or(), False, ""},
		{"or in and kept", and(a1, or(b2, c3)), and(a1, or(b2, c3)), ""},
		{"folded child spliced", and(a1, or(False, and(b2, c3))), and(a1, b2, c3), ""},
		{"not of FALSE", not(False), True, ""},
		{"=? resolved", leaf("a", opEqualOrUnset, None{}), True, ""},
		{"alias operator", leaf("a", "<>", Int(1)), leaf("a", OpNotEqual, Int(1)), ""},
		{"scalar wrapped", leaf("a", OpIn, Int(1)), leaf("a", OpIn, List{Int(1)}), ""},
		{"bad path", leaf("A", OpEqual, Int(1)), nil, "lower-case"},
		{"empty path", Leaf{Operator: OpEqual, Value: Int(1)}, nil, "no field path"},
		{"bad operator", leaf("a", "===", Int(1)), nil, "unknown operator"},
		{"bad value", leaf("a", OpLike, Int(1)), nil, "needs a string"},
		{"nil value", leaf("a", OpEqual, nil), nil, "missing"},
		{"nil root", nil, nil, "nil"},
		{"nil child", and(a1, nil), nil, "nil child"},
		{"nil not", Not{}, nil, "no child"},
		{"pointer node", &And{}, nil, "unsupported node type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FromNode(tt.in, DefaultLimits())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromNode = %s, %v; want error %q", d, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromNode: %v", err)
			}
			assertTree(t, d, tt.want)
		})
	}
}

func TestFromNodeLimits(t *testing.T) {
	a1 := leaf("a", OpEqual, Int(1))
	wide := make([]Node, 11)
	for i := range wide {
		wide[i] = a1
	}
	lim := Limits{MaxTerms: 10, MaxDepth: 3}
	if _, err := FromNode(And{Children: wide}, lim); err == nil || !strings.Contains(err.Error(), "more than 10 terms") {
		t.Errorf("wide tree: error %v, want term limit", err)
	}
	if _, err := FromNode(not(not(not(a1))), lim); err == nil || !strings.Contains(err.Error(), "nests 4 levels") {
		t.Errorf("deep tree: error %v, want depth limit", err)
	}
	// A tree that refers to itself must end in an error, not loop forever.
	self := make([]Node, 1)
	self[0] = And{Children: self}
	if _, err := FromNode(self[0], DefaultLimits()); err == nil || !strings.Contains(err.Error(), "more than 1000 terms") {
		t.Errorf("cyclic tree: error %v, want term limit", err)
	}
	orSelf := make([]Node, 2)
	orSelf[0] = a1
	orSelf[1] = Not{Child: Or{Children: orSelf}}
	if _, err := FromNode(Or{Children: orSelf}, DefaultLimits()); err == nil {
		t.Error("cyclic tree through Not accepted")
	}
}

// FromNode copies what it keeps: changing the caller's tree later has no effect.
func TestFromNodeCopiesLeaves(t *testing.T) {
	path := []string{"a"}
	ids := List{Int(1)}
	d, err := FromNode(Leaf{Path: path, Operator: OpIn, Value: ids}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	path[0], ids[0] = "b", Int(2)
	assertTree(t, d, leaf("a", OpIn, List{Int(1)}))
}

func TestNormalisedDepth(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{`[]`, 1},
		{`[('a','=',1)]`, 1},
		{`['!', ('a','=',1)]`, 2},
		{`[('a','=',1), ('b','=',1)]`, 2},
		{`['|', '|', ('a','=',1), ('b','=',1), ('c','=',1)]`, 2},
		{`['|', '&', ('a','=',1), ('b','=',1), ('c','=',1)]`, 3},
		{`['&', ('a','=',1), '|', (0,'=',1), '&', ('b','=',1), ('c','=',1)]`, 2},
	}
	for _, tt := range tests {
		for limit := 1; limit <= 4; limit++ {
			_, err := Parse(tt.src, nil, Limits{MaxDepth: limit})
			if accepted := err == nil; accepted != (tt.want <= limit) {
				t.Errorf("Parse(%s) with MaxDepth %d: %v; the tree is %d deep", tt.src, limit, err, tt.want)
			}
		}
	}
}

func TestAndAllOrAll(t *testing.T) {
	parse := func(src string) Domain {
		t.Helper()
		d, err := Parse(src, testResolver, DefaultLimits())
		if err != nil {
			t.Fatalf("Parse(%s): %v", src, err)
		}
		return d
	}
	global1 := parse(`[('company_id', 'in', company_ids)]`)
	global2 := parse(`[('active', '=', True), ('type', '!=', 'private')]`)
	group1 := parse(`[('user_id', '=', user.id)]`)
	group2 := parse(`['|', ('public', '=', True), ('team', '=', 1)]`)
	tests := []struct {
		name string
		got  Domain
		want string
	}{
		{"and of none", AndAll(), `[]`},
		{"or of none", OrAll(), `[(0, '=', 1)]`},
		{"and of one", AndAll(group1), `[('user_id', '=', 7)]`},
		{"and flattens", AndAll(global1, global2), `[('company_id', 'in', [1, 2]), ('active', '=', True), ('type', '!=', 'private')]`},
		{"or flattens", OrAll(group1, group2), `['|', '|', ('user_id', '=', 7), ('public', '=', True), ('team', '=', 1)]`},
		{"global and group", AndAll(global1, OrAll(group1, group2)),
			`[('company_id', 'in', [1, 2]), '|', '|', ('user_id', '=', 7), ('public', '=', True), ('team', '=', 1)]`},
		{"and with TRUE", AndAll(Domain{}, group1), `[('user_id', '=', 7)]`},
		{"and with FALSE", AndAll(group1, OrAll()), `[(0, '=', 1)]`},
		{"or with TRUE", OrAll(group1, Domain{}), `[]`},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	if !AndAll().MatchesAll() || !OrAll().MatchesNone() || group1.MatchesAll() || group1.MatchesNone() {
		t.Error("MatchesAll/MatchesNone disagree with the constants")
	}
}
