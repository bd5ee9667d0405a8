package sandbox

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
)

// Variable declares a name the expression may read, with its type. Nothing
// that is not declared is visible.
type Variable struct {
	Name string
	Type Type
}

// CompileOption is a Variable or Expect.
type CompileOption interface {
	applyCompile(*compileSettings) error
}

type compileSettings struct {
	vars   []Variable
	expect *Type
}

func (v Variable) applyCompile(s *compileSettings) error {
	s.vars = append(s.vars, v)
	return nil
}

type expectOption Type

func (e expectOption) applyCompile(s *compileSettings) error {
	if s.expect != nil {
		return fmt.Errorf("Expect given twice")
	}
	t := Type(e)
	s.expect = &t
	return nil
}

// Expect requires the expression to yield type t: Compile refuses one whose
// checked type differs, and Eval refuses a dyn result that does not fit.
func Expect(t Type) CompileOption { return expectOption(t) }

// memorySampleInterval trades how far a comprehension may overshoot the
// memory limit (a few dozen steps, each also charged to the cost budget)
// against the time spent measuring.
const memorySampleInterval = 32

// maxVariableName bounds declared names; they are field names, not prose.
const maxVariableName = 64

// Compile parses and type-checks src against the declared variables and
// returns a Program ready to evaluate many times. Errors wrap ErrSyntax,
// ErrType or ErrBudget for problems in src, and ErrInput for bad declarations.
func (s *Sandbox) Compile(src string, opts ...CompileOption) (prg *Program, err error) {
	// Parsing hostile text is where a library bug would surface; fail closed
	// with a refusal instead of taking the process down.
	defer func() {
		if r := recover(); r != nil {
			prg, err = nil, newError(ErrSyntax, "the expression could not be compiled")
		}
	}()
	var settings compileSettings
	for _, o := range opts {
		if o == nil {
			return nil, newError(ErrInput, "nil compile option")
		}
		if err := o.applyCompile(&settings); err != nil {
			return nil, newError(ErrInput, "%v", err)
		}
	}
	declared, envOpts, declErr := declareVariables(settings.vars)
	if declErr != nil {
		return nil, declErr
	}
	var expect *cel.Type
	if settings.expect != nil {
		if expect, err = settings.expect.celType(); err != nil {
			return nil, newError(ErrInput, "Expect: %v", err)
		}
	}
	if err := checkSource(src, s.cfg.MaxSourceBytes); err != nil {
		return nil, err
	}

	parsed, iss := s.env.Parse(src)
	if iss.Err() != nil {
		return nil, issuesError(ErrSyntax, iss)
	}
	checkEnv, err := s.env.Extend(envOpts...)
	if err != nil {
		return nil, newError(ErrInput, "declare variables: %v", err)
	}
	checked, iss := checkEnv.Check(parsed)
	if iss.Err() != nil {
		return nil, issuesError(ErrType, iss)
	}

	out := checked.OutputType()
	if err := storableType(out); err != nil {
		return nil, newError(ErrType, "the expression yields %v", err)
	}
	if expect != nil && !resultFits(expect, out) {
		return nil, newError(ErrType, "the expression yields %s, but %s is required",
			cel.FormatCELType(out), cel.FormatCELType(expect))
	}

	celPrg, err := checkEnv.Program(checked,
		cel.CostLimit(s.cfg.CostLimit),
		cel.MemoryLimit(s.cfg.MemoryLimit),
		// Count text byte by byte (CEL's default is one unit per ten bytes)
		// so MemoryLimit means bytes or elements, as the Config documents.
		// Inside comprehensions, measure every memorySampleInterval-th step:
		// sizing a growing list each step would make a loop quadratic.
		cel.MemoryTracking(
			types.MemoryTrackerSizeCalculator(types.NewSizeCalculator(types.SizeCalculatorStringUnitLength(1))),
			types.MemoryTrackerSampleInterval(memorySampleInterval),
		),
		cel.InterruptCheckFrequency(s.cfg.InterruptCheckFrequency),
	)
	if err != nil {
		return nil, newError(ErrType, "plan the expression: %v", err)
	}
	return &Program{
		source:  src,
		ast:     checked,
		prg:     celPrg,
		vars:    declared,
		expect:  expect,
		cfg:     s.cfg,
		outType: out,
	}, nil
}

// resultFits reports whether a checked result type satisfies the expected
// one. A dyn result is accepted here and checked again at evaluation.
func resultFits(expect, out *cel.Type) bool {
	if out.Kind() == cel.DynKind || expect.Kind() == cel.DynKind {
		return true
	}
	if expect.Kind() != out.Kind() {
		return false
	}
	ep, op := expect.Parameters(), out.Parameters()
	if len(ep) != len(op) {
		return false
	}
	for i := range ep {
		if !resultFits(ep[i], op[i]) {
			return false
		}
	}
	return true
}

type declaredVariable struct {
	name string
	typ  *cel.Type
}

func declareVariables(vars []Variable) ([]declaredVariable, []cel.EnvOption, error) {
	seen := make(map[string]bool, len(vars))
	declared := make([]declaredVariable, 0, len(vars))
	opts := make([]cel.EnvOption, 0, len(vars))
	for _, v := range vars {
		if err := checkVariableName(v.Name); err != nil {
			return nil, nil, newError(ErrInput, "variable %q: %v", v.Name, err)
		}
		if seen[v.Name] {
			return nil, nil, newError(ErrInput, "variable %q is declared twice", v.Name)
		}
		seen[v.Name] = true
		t, err := v.Type.celType()
		if err != nil {
			return nil, nil, newError(ErrInput, "variable %q: %v", v.Name, err)
		}
		declared = append(declared, declaredVariable{name: v.Name, typ: t})
		opts = append(opts, cel.Variable(v.Name, t))
	}
	return declared, opts, nil
}

// isReservedName reports CEL keywords and the names of CEL's built-in types;
// a variable by one of these names would be unreachable or would shadow a type.
func isReservedName(name string) bool {
	switch name {
	case "as", "break", "const", "continue", "else", "false", "for", "function", "if",
		"import", "in", "let", "loop", "namespace", "null", "package", "return", "true",
		"var", "void", "while",
		"bool", "bytes", "double", "dyn", "int", "list", "map", "null_type", "string",
		"type", "uint", "google":
		return true
	}
	return false
}

func checkVariableName(name string) error {
	if name == "" || len(name) > maxVariableName {
		return fmt.Errorf("a name must have 1 to %d characters", maxVariableName)
	}
	for i, c := range name {
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return fmt.Errorf("a name must be an ASCII letter or underscore followed by letters, digits or underscores")
		}
	}
	if strings.HasPrefix(name, "__") {
		return fmt.Errorf("names starting with __ are reserved")
	}
	if isReservedName(name) {
		return fmt.Errorf("%q is a reserved word", name)
	}
	return nil
}

// issuesError converts CEL's issues into an *Error of the given kind, keeping
// the first issue's position and message.
func issuesError(kind error, iss *cel.Issues) *Error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return newError(kind, "%s", iss.String())
	}
	first := errs[0]
	e := &Error{Kind: kind, Message: first.Message}
	for _, issue := range errs {
		if isLimitMessage(issue.Message) {
			e.Kind, e.Message, first = ErrBudget, issue.Message, issue
			break
		}
	}
	if loc := first.Location; loc != nil && loc.Line() > 0 {
		e.Line, e.Column = loc.Line(), loc.Column()+1
	}
	return e
}

// isLimitMessage recognises the phrases CEL uses when a parse or check stops
// at one of the configured limits; such failures are budget errors, not
// mistakes in the expression.
func isLimitMessage(msg string) bool {
	for _, m := range []string{"exceeds limit", "limit exceeded", "exceeds nesting limit", "depth exceeded"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
