// Package sandbox evaluates user-supplied expressions (computed defaults,
// automation conditions, server-side filters) in CEL, the Common Expression
// Language, under limits chosen by the operator.
//
// The guarantees, each enforced by construction rather than by filtering:
//
//   - Nothing from Go is reachable. Variables are declared per compilation from
//     a closed set of types (bool, int, double, string, bytes, timestamp,
//     duration, list, map with string keys, dyn); values are converted by this
//     package, never by reflection-based type providers, so no Go struct,
//     method, pointer or function can enter an evaluation.
//   - Only allow-listed functions exist: the CEL standard operators and macros
//     (without type() and dyn()), and the extras declared in functions.go, each
//     with a cost model. now() and today() read a clock passed at evaluation
//     time, never the process clock.
//   - CEL has no loops, recursion, assignment, imports or I/O. Every
//     comprehension runs over a finite list, so evaluation always terminates;
//     the cost budget, the memory budget and the wall-clock limit make it
//     terminate early.
//   - Source is bounded before parsing (length, UTF-8, no control characters)
//     and while parsing (nesting depth, node count, comprehension nesting).
//   - Results come back as plain Go values, bounded in size.
//
// Every failure carries one of the kinds ErrSyntax, ErrType, ErrBudget, ErrEval
// or ErrInput (see errors.go), and a message a user can act on.
//
// A Sandbox and the Programs it compiles are safe for concurrent use; a Program
// can be cached and evaluated many times.
package sandbox
