package sandbox

import (
	"errors"
	"fmt"
)

// The kinds of failure. Every error returned by this package wraps exactly one
// of them, so callers branch with errors.Is and show Error() to the user.
var (
	// ErrSyntax: the source is not a well-formed expression (including invalid
	// UTF-8, control characters and identifiers outside ASCII).
	ErrSyntax = errors.New("syntax error")
	// ErrType: the expression names an unknown variable or function, applies
	// an operator to the wrong types, or yields a type other than the one
	// required.
	ErrType = errors.New("type error")
	// ErrBudget: a resource limit was reached: source length, nesting depth,
	// node count, cost, memory, result size or time.
	ErrBudget = errors.New("budget exceeded")
	// ErrEval: evaluation failed on the given data, e.g. division by zero,
	// integer overflow, a missing map key.
	ErrEval = errors.New("evaluation error")
	// ErrInput: the calling code declared or bound variables wrongly. It
	// signals a bug in the caller, not in the user's expression.
	ErrInput = errors.New("invalid input")
)

// Error is a failure with its kind and, where CEL reports one, the position
// in the expression (1-based line and column; zero when unknown).
type Error struct {
	Kind    error
	Message string
	Line    int
	Column  int
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%v at line %d, column %d: %s", e.Kind, e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Message)
}

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
