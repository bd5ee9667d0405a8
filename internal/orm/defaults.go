package orm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/sandbox"
)

// defaultSandboxConfig bounds default expressions: they run on every create, so
// they get a budget far below the sandbox's general one.
func defaultSandboxConfig() sandbox.Config {
	return sandbox.Config{
		MaxSourceBytes: 1024,
		MaxNodes:       200,
		CostLimit:      10_000,
		MemoryLimit:    1 << 20,
		MaxResultSize:  64 << 10,
		TimeLimit:      50 * time.Millisecond,
	}
}

// DefaultExprVariables lists the only names a default expression may read,
// besides the functions now() and today().
func DefaultExprVariables() []sandbox.Variable {
	return []sandbox.Variable{
		{Name: "uid", Type: sandbox.TypeInt},
		{Name: "company_id", Type: sandbox.TypeInt},
		{Name: "company_ids", Type: sandbox.ListOf(sandbox.TypeInt)},
	}
}

// defaultExprTypes are the result types a default expression of a field may
// have, most natural first.
func defaultExprTypes(f *Field) []sandbox.Type {
	switch f.Type {
	case Char, Text, HTML, Selection:
		return []sandbox.Type{sandbox.TypeString}
	case Integer, Many2one:
		return []sandbox.Type{sandbox.TypeInt}
	case Float:
		return []sandbox.Type{sandbox.TypeDouble, sandbox.TypeInt}
	case Monetary:
		// Text keeps an amount exact; numbers are read at their shortest form.
		return []sandbox.Type{sandbox.TypeString, sandbox.TypeInt, sandbox.TypeDouble}
	case Boolean:
		return []sandbox.Type{sandbox.TypeBool}
	case Date, Datetime:
		return []sandbox.Type{sandbox.TypeTimestamp}
	}
	return nil
}

// compileDefaults compiles every DefaultExpr of the registry, so that a bad
// expression fails the start rather than a user's create.
func (r *Registry) compileDefaults() error {
	var sb *sandbox.Sandbox
	for _, m := range r.Models() {
		for _, f := range m.Fields {
			if f.DefaultExpr == "" {
				continue
			}
			if sb == nil {
				var err error
				if sb, err = sandbox.New(defaultSandboxConfig()); err != nil {
					return fmt.Errorf("default expressions: %w", err)
				}
			}
			prg, err := compileDefault(sb, f)
			if err != nil {
				return fmt.Errorf("field %s.%s: default expression: %w", m.Name, f.Name, err)
			}
			f.defaultProgram = prg
		}
	}
	return nil
}

func compileDefault(sb *sandbox.Sandbox, f *Field) (*sandbox.Program, error) {
	var first error
	for _, t := range defaultExprTypes(f) {
		opts := []sandbox.CompileOption{sandbox.Expect(t)}
		for _, v := range DefaultExprVariables() {
			opts = append(opts, v)
		}
		prg, err := sb.Compile(f.DefaultExpr, opts...)
		if err == nil {
			return prg, nil
		}
		if first == nil || !errors.Is(err, sandbox.ErrType) {
			first = err
		}
		if !errors.Is(err, sandbox.ErrType) {
			break // only a type mismatch is worth another expected type
		}
	}
	if first == nil {
		return nil, fmt.Errorf("a %s field cannot have a default expression", f.Type)
	}
	return nil, first
}

// evalDefault evaluates a field's default expression for this Env's user, with
// its clock and time zone, and returns the value in the form Create accepts.
func (e *Env) evalDefault(ctx context.Context, f *Field) (any, error) {
	companies := e.id.CompanyIDs
	if companies == nil {
		companies = []int64{}
	}
	vars := map[string]any{"uid": e.id.UID, "company_id": e.id.CompanyID, "company_ids": companies}
	v, err := f.defaultProgram.Eval(ctx, vars, sandbox.WithClock(e.clock), sandbox.WithLocation(e.Location()))
	if err != nil {
		return nil, validationf(f.model.Name, f.Name, "the default value could not be computed: %v", err)
	}
	switch x := v.(type) {
	case time.Time:
		if f.Type == Date {
			return x.Format(DateLayout), nil
		}
		return x.UTC().Format(DatetimeLayout), nil
	case int64:
		if f.Type == Many2one && x == 0 {
			return nil, nil // no user or company: no default
		}
	}
	return v, nil
}
