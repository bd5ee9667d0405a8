package domain

import "strings"

// Node is one node of a domain tree: And, Or, Not, Leaf or a Constant.
//
// In a normalised tree (every Node reachable from a Domain) And and Or have
// at least two children and never a child of their own kind, constants
// appear only as the whole tree, and leaves carry canonical operators with
// values of the right shape.
type Node interface{ isNode() }

// And matches records matched by every child.
type And struct{ Children []Node }

// Or matches records matched by any child.
type Or struct{ Children []Node }

// Not matches records its child does not match.
type Not struct{ Child Node }

// Leaf compares a field, reached through Path (one or more field names,
// as in partner_id.country_id.code), with Value. In a normalised leaf the
// operators in, not in, child_of and parent_of always carry a List (of Ints
// for the last two), the comparisons and likes carry a scalar, and '=?' has
// been resolved into '=' or True.
type Leaf struct {
	Path     []string
	Operator Operator
	Value    Value
}

// Constant is a leaf that matches every record (True) or none (False), Odoo's
// (1, '=', 1) and (0, '=', 1).
type Constant bool

// The two constant domains.
const (
	True  Constant = true
	False Constant = false
)

func (And) isNode()      {}
func (Or) isNode()       {}
func (Not) isNode()      {}
func (Leaf) isNode()     {}
func (Constant) isNode() {}

// Field returns the dotted field path, e.g. "partner_id.country_id.code".
func (l Leaf) Field() string { return strings.Join(l.Path, ".") }

// Domain is a validated, normalised domain. The zero Domain matches every
// record. Domains are immutable; share them freely. Compare them with Equal:
// == panics on trees that hold slices.
type Domain struct{ root Node }

// Root returns the tree; True for the empty domain.
func (d Domain) Root() Node {
	if d.root == nil {
		return True
	}
	return d.root
}

// MatchesAll reports whether the domain is the constant True.
func (d Domain) MatchesAll() bool { return d.Root() == Node(True) }

// MatchesNone reports whether the domain is the constant False.
func (d Domain) MatchesNone() bool { return d.Root() == Node(False) }

// Equal reports whether two domains have structurally identical trees.
func (d Domain) Equal(other Domain) bool { return nodesEqual(d.Root(), other.Root()) }

// nodesEqual recurses; normalised trees are at most Limits.MaxDepth deep.
func nodesEqual(a, b Node) bool {
	switch a := a.(type) {
	case And:
		bb, ok := b.(And)
		return ok && childrenEqual(a.Children, bb.Children)
	case Or:
		bb, ok := b.(Or)
		return ok && childrenEqual(a.Children, bb.Children)
	case Not:
		bb, ok := b.(Not)
		return ok && nodesEqual(a.Child, bb.Child)
	case Constant:
		bb, ok := b.(Constant)
		return ok && a == bb
	case Leaf:
		bb, ok := b.(Leaf)
		if !ok || a.Operator != bb.Operator || len(a.Path) != len(bb.Path) {
			return false
		}
		for i := range a.Path {
			if a.Path[i] != bb.Path[i] {
				return false
			}
		}
		return valuesEqual(a.Value, bb.Value)
	default:
		return false
	}
}

func childrenEqual(a, b []Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !nodesEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}
