package sandbox

import (
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	sb := newTestSandbox(t, Config{MaxDepth: 10})
	got := sb.Config()
	want := Config{
		MaxSourceBytes:          DefaultMaxSourceBytes,
		MaxDepth:                10,
		MaxNodes:                DefaultMaxNodes,
		MaxComprehensionNesting: DefaultMaxComprehensionNesting,
		CostLimit:               DefaultCostLimit,
		MemoryLimit:             DefaultMemoryLimit,
		MaxResultSize:           DefaultMaxResultSize,
		TimeLimit:               DefaultTimeLimit,
		InterruptCheckFrequency: DefaultInterruptCheckFrequency,
	}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestConfigRefusesNegativeLimits(t *testing.T) {
	cases := []Config{
		{MaxSourceBytes: -1},
		{MaxDepth: -1},
		{MaxNodes: -1},
		{MaxComprehensionNesting: -1},
		{MaxResultSize: -1},
		{TimeLimit: -time.Second},
		{MaxSourceBytes: 1 << 40},
	}
	for _, cfg := range cases {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}
