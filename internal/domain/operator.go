package domain

import (
	"strings"
)

// Operator is the comparison in a leaf. Only the constants below appear in a
// normalised Domain.
type Operator string

// The comparison operators of Odoo's domain notation. The input alias '<>'
// becomes OpNotEqual, and '=?' is resolved during normalisation (see makeLeaf).
const (
	OpEqual          Operator = "="
	OpNotEqual       Operator = "!="
	OpLess           Operator = "<"
	OpLessOrEqual    Operator = "<="
	OpGreater        Operator = ">"
	OpGreaterOrEqual Operator = ">="
	OpLike           Operator = "like"
	OpNotLike        Operator = "not like"
	OpILike          Operator = "ilike"
	OpNotILike       Operator = "not ilike"
	OpEqualLike      Operator = "=like"
	OpEqualILike     Operator = "=ilike"
	OpIn             Operator = "in"
	OpNotIn          Operator = "not in"
	OpChildOf        Operator = "child_of"
	OpParentOf       Operator = "parent_of"

	// opEqualOrUnset ('=?') means "true when the value is None or False,
	// otherwise '='"; it never survives normalisation.
	opEqualOrUnset Operator = "=?"
)

var operatorList = "=, !=, <>, <, <=, >, >=, =?, like, not like, ilike, not ilike, =like, =ilike, in, not in, child_of, parent_of"

// parseOperator recognises an operator as written by a user. Like Odoo it
// ignores letter case and accepts '<>' for '!='.
func parseOperator(s string) (Operator, *Error) {
	if len(s) > len("not ilike") {
		return "", errorf("unknown operator %s; use one of %s", excerpt(s), operatorList)
	}
	op := Operator(strings.ToLower(s))
	switch op {
	case "<>":
		return OpNotEqual, nil
	case OpEqual, OpNotEqual, OpLess, OpLessOrEqual, OpGreater, OpGreaterOrEqual,
		OpLike, OpNotLike, OpILike, OpNotILike, OpEqualLike, OpEqualILike,
		OpIn, OpNotIn, OpChildOf, OpParentOf, opEqualOrUnset:
		return op, nil
	}
	if s == "&" || s == "|" || s == "!" {
		return "", errorf("%q is a logical operator; it goes before leaves in the domain list, not inside a leaf", s)
	}
	return "", errorf("unknown operator %s; use one of %s", excerpt(s), operatorList)
}

// logicalArity returns how many operands a logical operator takes, or 0 when
// s is not one.
func logicalArity(s string) int {
	switch s {
	case "&", "|":
		return 2
	case "!":
		return 1
	}
	return 0
}
