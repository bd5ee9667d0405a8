package sandbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Program is a compiled expression. It is immutable and safe for concurrent
// use; cache it alongside the source it came from.
type Program struct {
	source  string
	ast     *cel.Ast
	prg     cel.Program
	vars    []declaredVariable
	expect  *cel.Type
	outType *cel.Type
	cfg     Config
}

// Source returns the expression text the program was compiled from.
func (p *Program) Source() string { return p.source }

// EvalOption configures one evaluation.
type EvalOption func(*evalSettings)

type evalSettings struct {
	clock    func() time.Time
	location *time.Location
}

// WithClock supplies the clock now() and today() read. It is called at most
// once per evaluation, so every call in one expression sees the same
// instant. Without a clock, now() and today() fail with ErrEval.
func WithClock(clock func() time.Time) EvalOption {
	return func(s *evalSettings) { s.clock = clock }
}

// WithLocation sets the time zone whose calendar day today() returns; the
// default is UTC.
func WithLocation(loc *time.Location) EvalOption {
	return func(s *evalSettings) { s.location = loc }
}

// Eval runs the program against vars, which must bind every declared
// variable (keys that were not declared are ignored, as the expression
// cannot name them). It stops at the cost, memory and time limits and at
// ctx's cancellation, whichever comes first.
func (p *Program) Eval(ctx context.Context, vars map[string]any, opts ...EvalOption) (Value, error) {
	settings := evalSettings{location: time.UTC}
	for _, o := range opts {
		o(&settings)
	}
	if settings.location == nil {
		return nil, newError(ErrInput, "WithLocation: nil location")
	}
	if err := ctx.Err(); err != nil {
		return nil, newError(ErrBudget, "evaluation cancelled before it started: %v", err)
	}

	bindings := make(map[string]any, len(p.vars))
	for _, v := range p.vars {
		raw, ok := vars[v.name]
		if !ok {
			return nil, newError(ErrInput, "variable %q is declared but not bound", v.name)
		}
		val, err := toCEL(raw, v.typ, 0)
		if err != nil {
			return nil, newError(ErrInput, "variable %q: %v", v.name, err)
		}
		bindings[v.name] = val
	}
	activation, err := cel.FunctionVars(bindings, clockFunctions(settings.clock, settings.location))
	if err != nil {
		return nil, newError(ErrInput, "bind variables: %v", err)
	}

	evalCtx, cancel := context.WithTimeout(ctx, p.cfg.TimeLimit)
	defer cancel()
	out, _, err := p.prg.ContextEval(evalCtx, activation)
	if err != nil {
		return nil, p.evalError(ctx, evalCtx, out, err)
	}

	conv := resultConverter{remaining: p.cfg.MaxResultSize, limit: p.cfg.MaxResultSize}
	result, err := conv.convert(out)
	if err != nil {
		return nil, err
	}
	if p.expect != nil && !valueFits(result, p.expect) {
		return nil, newError(ErrType, "the expression yielded %s, but %s is required",
			describeValue(result), cel.FormatCELType(p.expect))
	}
	return result, nil
}

// evalError classifies an evaluation failure. Budget failures come from
// cancellation panics inside CEL, from our own functions' size checks, or
// from the context; everything else is the data's fault (ErrEval).
func (p *Program) evalError(callerCtx, evalCtx context.Context, out ref.Val, err error) error {
	var own *Error
	if errors.As(err, &own) {
		return p.withPosition(own, out)
	}
	var cancelled interpreter.EvalCancelledError
	if errors.As(err, &cancelled) {
		switch cancelled.Cause {
		case interpreter.CostLimitExceeded:
			return newError(ErrBudget, "the expression needs more than its cost budget of %d", p.cfg.CostLimit)
		case interpreter.MemoryLimitExceeded:
			return newError(ErrBudget, "the expression builds values larger than the memory limit of %d", p.cfg.MemoryLimit)
		}
		return newError(ErrBudget, "evaluation cancelled: %v", cancelled.Message)
	}
	if callerCtx.Err() != nil {
		return newError(ErrBudget, "evaluation cancelled: %v", callerCtx.Err())
	}
	if evalCtx.Err() != nil || errors.Is(err, interpreter.InterruptError{}) {
		return newError(ErrBudget, "the expression ran longer than the time limit of %s", p.cfg.TimeLimit)
	}
	return p.withPosition(newError(ErrEval, "%v", err), out)
}

// withPosition attaches the source position of the node that failed, when
// CEL recorded one.
func (p *Program) withPosition(e *Error, out ref.Val) *Error {
	celErr, ok := out.(*types.Err)
	if !ok || e.Line > 0 {
		return e
	}
	id := celErr.NodeID()
	if id == 0 {
		return e
	}
	loc := p.ast.NativeRep().SourceInfo().GetStartLocation(id)
	if loc.Line() > 0 {
		positioned := *e
		positioned.Line, positioned.Column = loc.Line(), loc.Column()+1
		return &positioned
	}
	return e
}

// EvalBool evaluates a condition; a non-bool result is ErrType.
func (p *Program) EvalBool(ctx context.Context, vars map[string]any, opts ...EvalOption) (bool, error) {
	return evalAs[bool](ctx, p, vars, opts, "bool")
}

// EvalInt evaluates an expression that must yield an int.
func (p *Program) EvalInt(ctx context.Context, vars map[string]any, opts ...EvalOption) (int64, error) {
	return evalAs[int64](ctx, p, vars, opts, "int")
}

// EvalDouble evaluates an expression that must yield a double.
func (p *Program) EvalDouble(ctx context.Context, vars map[string]any, opts ...EvalOption) (float64, error) {
	return evalAs[float64](ctx, p, vars, opts, "double")
}

// EvalString evaluates an expression that must yield a string.
func (p *Program) EvalString(ctx context.Context, vars map[string]any, opts ...EvalOption) (string, error) {
	return evalAs[string](ctx, p, vars, opts, "string")
}

// EvalTimestamp evaluates an expression that must yield a timestamp.
func (p *Program) EvalTimestamp(ctx context.Context, vars map[string]any, opts ...EvalOption) (time.Time, error) {
	return evalAs[time.Time](ctx, p, vars, opts, "timestamp")
}

func evalAs[T any](ctx context.Context, p *Program, vars map[string]any, opts []EvalOption, name string) (T, error) {
	var zero T
	v, err := p.Eval(ctx, vars, opts...)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, newError(ErrType, "the expression yielded %s, but %s is required", describeValue(v), name)
	}
	return t, nil
}

// valueFits reports whether a converted result has the expected type.
func valueFits(v Value, t *cel.Type) bool {
	switch t.Kind() {
	case cel.DynKind:
		return true
	case cel.BoolKind:
		_, ok := v.(bool)
		return ok
	case cel.IntKind:
		_, ok := v.(int64)
		return ok
	case cel.DoubleKind:
		_, ok := v.(float64)
		return ok
	case cel.StringKind:
		_, ok := v.(string)
		return ok
	case cel.BytesKind:
		_, ok := v.([]byte)
		return ok
	case cel.TimestampKind:
		_, ok := v.(time.Time)
		return ok
	case cel.DurationKind:
		_, ok := v.(time.Duration)
		return ok
	case cel.ListKind:
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			if !valueFits(e, t.Parameters()[0]) {
				return false
			}
		}
		return true
	case cel.MapKind:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for _, e := range m {
			if !valueFits(e, t.Parameters()[1]) {
				return false
			}
		}
		return true
	}
	return false
}

func describeValue(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a bool"
	case int64:
		return "an int"
	case uint64:
		return "a uint"
	case float64:
		return "a double"
	case string:
		return "a string"
	case []byte:
		return "bytes"
	case time.Time:
		return "a timestamp"
	case time.Duration:
		return "a duration"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("a %T", v)
}
