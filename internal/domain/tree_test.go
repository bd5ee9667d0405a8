package domain

import (
	"errors"
	"strings"
	"testing"
)

// leaf builds an expected leaf from a dotted path.
func leaf(path string, op Operator, v Value) Leaf {
	return Leaf{Path: strings.Split(path, "."), Operator: op, Value: v}
}

func and(children ...Node) And { return And{Children: children} }
func or(children ...Node) Or   { return Or{Children: children} }
func not(child Node) Not       { return Not{Child: child} }

// testResolver knows the names Odoo's record rules use.
func testResolver(name string) (Value, bool) {
	switch name {
	case "user.id":
		return Int(7), true
	case "user.partner_id.id":
		return Int(3), true
	case "company_id":
		return Int(1), true
	case "company_ids":
		return List{Int(1), Int(2)}, true
	case "user.name":
		return String("Ann"), true
	case "user.login":
		return None{}, true
	}
	return nil, false
}

func assertTree(t *testing.T, got Domain, want Node) {
	t.Helper()
	if !got.Equal(Domain{root: want}) {
		t.Errorf("tree mismatch\n got: %s (%#v)\nwant: %s (%#v)", got, got.Root(), Domain{root: want}, want)
	}
}

// asDomainError insists that err is a *Error and returns it.
func asDomainError(t *testing.T, err error) *Error {
	t.Helper()
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *domain.Error", err, err)
	}
	return de
}
