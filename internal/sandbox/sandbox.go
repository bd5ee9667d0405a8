package sandbox

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/env"
)

// Sandbox compiles expressions under one Config. It is immutable and safe for
// concurrent use.
type Sandbox struct {
	cfg Config
	env *cel.Env
}

// New builds a Sandbox; zero Config fields take their defaults.
func New(cfg Config) (*Sandbox, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	opts := []cel.EnvOption{
		cel.CustomTypeProvider(closedTypeProvider{}),
		cel.StdLib(cel.StdLibSubset(&env.LibrarySubset{
			// type() and dyn() are the only reflective functions in the
			// standard library; with declared types neither is needed.
			ExcludeFunctions: []*env.Function{
				env.NewFunction("type"),
				env.NewFunction("dyn"),
			},
		})),
		cel.ParserExpressionSizeLimit(cfg.MaxSourceBytes),
		cel.ParserRecursionLimit(cfg.MaxDepth),
		cel.ExpressionNodeLimit(cfg.MaxNodes),
		cel.ExpressionNestingDepthLimit(cfg.MaxDepth),
		cel.ParserErrorRecoveryLimit(4),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ASTValidators(
			cel.ValidateComprehensionNestingLimit(cfg.MaxComprehensionNesting),
			cel.ValidateDurationLiterals(),
			cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals(),
		),
		cel.RegexProgramSizeLimit(regexProgramSizeLimit),
	}
	opts = append(opts, extraFunctions(int(cfg.MemoryLimit))...)
	celEnv, err := cel.NewCustomEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build expression environment: %w", err)
	}
	return &Sandbox{cfg: cfg, env: celEnv}, nil
}

// regexProgramSizeLimit bounds patterns given to matches(); RE2 runs in
// linear time, and this keeps compiled patterns small as well.
const regexProgramSizeLimit = 1000

// Config returns the limits in force, defaults filled in.
func (s *Sandbox) Config() Config { return s.cfg }
