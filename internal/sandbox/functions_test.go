package sandbox

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// TestBuildersCheckSizeBeforeAllocating drives each string and list builder
// to exactly its limit and one step past it.
func TestBuildersCheckSizeBeforeAllocating(t *testing.T) {
	const limit = 10
	list := func(elems ...string) traits.Lister { return types.NewStringList(types.DefaultTypeAdapter, elems) }
	manyEmpty := list(make([]string, 1000)...)
	cases := []struct {
		name string
		got  ref.Val
		want any // nil when the call must be refused with ErrBudget
	}{
		{"replace at the limit", replace("aaaaa", "a", "bb", limit), "bbbbbbbbbb"},
		{"replace past the limit", replace("aaaaa", "a", "bbb", limit), nil},
		{"replace with an empty needle past the limit", replace("abc", "", "xxxx", limit), nil},
		{"replace that shrinks", replace("aaaaaaaaaa", "aa", "", limit), ""},
		{"split at the limit", split("abcde", "", limit), []string{"a", "b", "c", "d", "e"}},
		{"split past the limit", split("abcdef", "", limit), nil},
		{"split on a separator", split("a,b", ",", limit), []string{"a", "b"}},
		{"join at the limit", join(list("aaaa", "bbbb"), "--", limit), "aaaa--bbbb"},
		{"join past the limit", join(list("aaaa", "bbbb"), "---", limit), nil},
		{"join of many empties with a long separator", join(manyEmpty, strings.Repeat("x", 1<<20), limit), nil},
		{"lower at the limit", caseMapping(strings.ToLower, limit)(types.String("ABCDEF")), "abcdef"},
		{"lower past the limit", caseMapping(strings.ToLower, limit)(types.String("ABCDEFG")), nil},
		{"trim keeps inner spaces", types.String(strings.TrimSpace(" a b ")), "a b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				err, ok := tc.got.(*types.Err)
				if !ok || !errors.Is(err, ErrBudget) {
					t.Fatalf("got %v, want a budget error", tc.got)
				}
				return
			}
			if types.IsError(tc.got) {
				t.Fatalf("unexpected error %v", tc.got)
			}
			native, err := tc.got.ConvertToNative(reflect.TypeOf(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(native, tc.want) {
				t.Fatalf("got %#v, want %#v", native, tc.want)
			}
		})
	}
}

func TestJoinRefusesNonStrings(t *testing.T) {
	l := types.NewDynamicList(types.DefaultTypeAdapter, []any{"a", 1})
	if got := join(l, ",", 100); !types.IsError(got) {
		t.Fatalf("join of mixed list = %v, want an error", got)
	}
}

func TestClockFunctionsWithoutClock(t *testing.T) {
	fns := clockFunctions(nil, nil)
	for name, fn := range fns {
		if got := fn(""); !types.IsError(got) {
			t.Errorf("%s() without a clock = %v, want an error", name, got)
		}
	}
}
