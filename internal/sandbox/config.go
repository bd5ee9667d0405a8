package sandbox

import (
	"fmt"
	"math"
	"time"
)

// Config sets the limits every expression runs under. A zero field takes the
// default named beside it; a negative one is refused, since "unlimited" is
// never what a hosted ERP wants.
type Config struct {
	// MaxSourceBytes bounds the expression text. Default 4096.
	MaxSourceBytes int
	// MaxDepth bounds parser recursion, i.e. how deeply parentheses,
	// operators, calls and literals may nest. Default 32.
	MaxDepth int
	// MaxNodes bounds the expression tree, including macro expansion. Default 2000.
	MaxNodes int
	// MaxComprehensionNesting bounds macros such as all/map/filter inside
	// one another. Default 3.
	MaxComprehensionNesting int
	// CostLimit is the CEL cost budget of one evaluation (roughly one unit
	// per operation, plus one per ten bytes of text built or scanned), so it
	// also bounds total allocation. Default 1,000,000.
	CostLimit uint64
	// MemoryLimit bounds the largest value built during one evaluation, in
	// CEL's aggregate size units (about one per byte or element); bound
	// variables count too, so it must exceed the largest record passed in.
	// Default 4<<20.
	MemoryLimit uint32
	// MaxResultSize bounds the returned value: bytes of text plus elements of
	// lists and maps. Default 1<<20.
	MaxResultSize int
	// TimeLimit bounds the wall-clock time of one evaluation. Default 100ms.
	TimeLimit time.Duration
	// InterruptCheckFrequency is how many comprehension steps run between
	// checks for cancellation. Default 100.
	InterruptCheckFrequency uint
}

// Defaults for Config fields left at zero.
const (
	DefaultMaxSourceBytes          = 4096
	DefaultMaxDepth                = 32
	DefaultMaxNodes                = 2000
	DefaultMaxComprehensionNesting = 3
	DefaultCostLimit               = 1_000_000
	DefaultMemoryLimit             = 4 << 20
	DefaultMaxResultSize           = 1 << 20
	DefaultTimeLimit               = 100 * time.Millisecond
	DefaultInterruptCheckFrequency = 100
)

// withDefaults fills zero fields and refuses values that would switch a limit off.
func (c Config) withDefaults() (Config, error) {
	ints := []struct {
		name  string
		value *int
		def   int
	}{
		{"MaxSourceBytes", &c.MaxSourceBytes, DefaultMaxSourceBytes},
		{"MaxDepth", &c.MaxDepth, DefaultMaxDepth},
		{"MaxNodes", &c.MaxNodes, DefaultMaxNodes},
		{"MaxComprehensionNesting", &c.MaxComprehensionNesting, DefaultMaxComprehensionNesting},
		{"MaxResultSize", &c.MaxResultSize, DefaultMaxResultSize},
	}
	for _, f := range ints {
		if *f.value < 0 {
			return Config{}, fmt.Errorf("sandbox config: %s must not be negative, got %d", f.name, *f.value)
		}
		if *f.value == 0 {
			*f.value = f.def
		}
	}
	// The parser counts code points and our own check counts bytes; both
	// must fit an int32-sized budget to stay meaningful.
	if c.MaxSourceBytes > math.MaxInt32 {
		return Config{}, fmt.Errorf("sandbox config: MaxSourceBytes %d is too large", c.MaxSourceBytes)
	}
	if c.TimeLimit < 0 {
		return Config{}, fmt.Errorf("sandbox config: TimeLimit must not be negative, got %s", c.TimeLimit)
	}
	if c.TimeLimit == 0 {
		c.TimeLimit = DefaultTimeLimit
	}
	if c.CostLimit == 0 {
		c.CostLimit = DefaultCostLimit
	}
	if c.MemoryLimit == 0 {
		c.MemoryLimit = DefaultMemoryLimit
	}
	if c.InterruptCheckFrequency == 0 {
		c.InterruptCheckFrequency = DefaultInterruptCheckFrequency
	}
	return c, nil
}
