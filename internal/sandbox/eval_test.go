package sandbox

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestCancellationStopsExpensiveEvaluation(t *testing.T) {
	// Budgets far above what the expression needs, so only time can stop it.
	generous := Config{CostLimit: 1 << 50, MemoryLimit: 1 << 30, TimeLimit: time.Hour}
	// A billion steps that allocate nothing: only cancellation ends it early.
	const expensive = `big.exists(x, big.exists(y, big.exists(z, x + y + z < 0)))`
	cases := []struct {
		name string
		cfg  Config
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"context already cancelled", generous, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
		{"caller deadline already passed", generous, func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}},
		{"tiny configured time limit", Config{CostLimit: 1 << 50, MemoryLimit: 1 << 30, TimeLimit: time.Nanosecond},
			func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }},
		{"caller cancels mid-evaluation", generous, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(time.Millisecond, cancel)
			return ctx, cancel
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := newTestSandbox(t, tc.cfg)
			p, err := sb.Compile(expensive, testVars()...)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := tc.ctx()
			defer cancel()
			got, err := p.Eval(ctx, testBindings())
			if !errors.Is(err, ErrBudget) {
				t.Fatalf("got %#v, %v; want ErrBudget", got, err)
			}
		})
	}
}

func TestCostBudgetIsEnforcedAndAdjustable(t *testing.T) {
	const src = `big.map(x, x * 2).size()`
	small := newTestSandbox(t, Config{CostLimit: 500})
	p, err := small.Compile(src, testVars()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Eval(context.Background(), testBindings()); !errors.Is(err, ErrBudget) {
		t.Fatalf("cost limit 500: got %v, want ErrBudget", err)
	}
	large := newTestSandbox(t, Config{CostLimit: 100_000})
	p, err = large.Compile(src, testVars()...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Eval(context.Background(), testBindings())
	if err != nil || got != int64(1000) {
		t.Fatalf("cost limit 100000: got %#v, %v; want 1000", got, err)
	}
}

func TestClock(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	p, err := sb.Compile(`[now(), today(), now()]`)
	if err != nil {
		t.Fatal(err)
	}
	instant := time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)
	calls := 0
	clock := WithClock(func() time.Time { calls++; return instant })
	tokyo := time.FixedZone("UTC+9", 9*3600)
	honolulu := time.FixedZone("UTC-10", -10*3600)
	cases := []struct {
		name  string
		loc   *time.Location
		today time.Time
	}{
		{"UTC by default", nil, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"a zone ahead is already tomorrow", tokyo, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)},
		{"a zone behind is still today", honolulu, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			opts := []EvalOption{clock}
			if tc.loc != nil {
				opts = append(opts, WithLocation(tc.loc))
			}
			got, err := p.Eval(context.Background(), nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			want := []any{instant, tc.today, instant}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			if calls != 1 {
				t.Errorf("the clock was read %d times in one evaluation, want 1", calls)
			}
		})
	}
	if _, err := p.Eval(context.Background(), nil, clock, WithLocation(nil)); !errors.Is(err, ErrInput) {
		t.Errorf("nil location: got %v, want ErrInput", err)
	}
}

func TestExpect(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	cases := []struct {
		name       string
		src        string
		expect     Type
		compileErr error
		evalErr    error
	}{
		{"bool condition", `a > 1`, TypeBool, nil, nil},
		{"string where bool is required", `"yes"`, TypeBool, ErrType, nil},
		{"int where double is required", `a`, TypeDouble, ErrType, nil},
		{"list of ints", `[1, a]`, ListOf(TypeInt), nil, nil},
		{"list of strings where ints are required", `tags`, ListOf(TypeInt), ErrType, nil},
		{"map of dyn", `m`, MapOf(TypeDyn), nil, nil},
		{"dyn value that is a bool", `m.x == 1`, TypeBool, nil, nil},
		{"dyn value that is not a bool", `m.x`, TypeBool, nil, ErrType},
		{"dyn list that is not strings", `items.map(i, i.qty)`, ListOf(TypeString), nil, ErrType},
		{"anything fits dyn", `s`, TypeDyn, nil, nil},
		{"unknown expected type", `a`, Type("object"), ErrInput, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sb.Compile(tc.src, append(testVars(), Expect(tc.expect))...)
			if !errors.Is(err, tc.compileErr) || (err == nil) != (tc.compileErr == nil) {
				t.Fatalf("compile: got %v, want %v", err, tc.compileErr)
			}
			if err != nil {
				return
			}
			_, err = p.Eval(context.Background(), testBindings())
			if !errors.Is(err, tc.evalErr) || (err == nil) != (tc.evalErr == nil) {
				t.Fatalf("eval: got %v, want %v", err, tc.evalErr)
			}
		})
	}
	if _, err := sb.Compile(`a`, Variable{"a", TypeInt}, Expect(TypeInt), Expect(TypeInt)); !errors.Is(err, ErrInput) {
		t.Errorf("two Expect options: got %v, want ErrInput", err)
	}
}

func TestTypedEvaluation(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	ctx, vars := context.Background(), testBindings()
	compile := func(src string) *Program {
		t.Helper()
		p, err := sb.Compile(src, testVars()...)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got, err := compile(`a > 1`).EvalBool(ctx, vars); err != nil || !got {
		t.Errorf("EvalBool = %v, %v", got, err)
	}
	if got, err := compile(`a * 2`).EvalInt(ctx, vars); err != nil || got != 6 {
		t.Errorf("EvalInt = %v, %v", got, err)
	}
	if got, err := compile(`price / 2.0`).EvalDouble(ctx, vars); err != nil || got != 6.25 {
		t.Errorf("EvalDouble = %v, %v", got, err)
	}
	if got, err := compile(`s.upper()`).EvalString(ctx, vars); err != nil || got != "HELLO" {
		t.Errorf("EvalString = %v, %v", got, err)
	}
	if got, err := compile(`due`).EvalTimestamp(ctx, vars); err != nil || !got.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("EvalTimestamp = %v, %v", got, err)
	}
	if _, err := compile(`s`).EvalBool(ctx, vars); !errors.Is(err, ErrType) {
		t.Errorf("EvalBool on a string: got %v, want ErrType", err)
	}
	if _, err := compile(`a`).EvalDouble(ctx, vars); !errors.Is(err, ErrType) {
		t.Errorf("EvalDouble on an int: got %v, want ErrType", err)
	}
}

type secretHolder struct{ Password string }

func (secretHolder) Delete() {}

func TestBadBindingsAreRefused(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	cyclic := []any{1}
	cyclic[0] = cyclic
	cases := []struct {
		name  string
		typ   Type
		value any
	}{
		{"missing binding", TypeInt, nil},
		{"string for int", TypeInt, "3"},
		{"float for int", TypeInt, 3.0},
		{"uint64 beyond int64", TypeInt, uint64(1 << 63)},
		{"int for bool", TypeBool, 1},
		{"invalid UTF-8 string", TypeString, "\xff"},
		{"nil for string", TypeString, nil},
		{"string for bytes", TypeBytes, "abc"},
		{"timestamp before year 1", TypeTimestamp, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"timestamp after year 9999", TypeTimestamp, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"int for duration", TypeDuration, 5},
		{"bytes for list", ListOf(TypeInt), []byte{1}},
		{"wrong list element", ListOf(TypeInt), []any{1, "2"}},
		{"map with int keys", MapOf(TypeInt), map[int]int{1: 1}},
		{"struct as dyn", TypeDyn, secretHolder{Password: "x"}},
		{"pointer as dyn", TypeDyn, &secretHolder{}},
		{"function as dyn", TypeDyn, func() {}},
		{"channel as dyn", TypeDyn, make(chan int)},
		{"struct inside a dyn map", MapOf(TypeDyn), map[string]any{"user": secretHolder{}}},
		{"struct inside a dyn list", ListOf(TypeDyn), []any{1, secretHolder{}}},
		{"self-containing list", TypeDyn, cyclic},
		{"invalid UTF-8 map key", MapOf(TypeInt), map[string]int{"\xff": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sb.Compile(`v == v`, Variable{"v", tc.typ})
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]any{"v": tc.value}
			if tc.name == "missing binding" {
				vars = map[string]any{"other": 1}
			}
			got, err := p.Eval(context.Background(), vars)
			if !errors.Is(err, ErrInput) {
				t.Fatalf("got %#v, %v; want ErrInput", got, err)
			}
		})
	}
}

func TestGoodBindingsConvert(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	cases := []struct {
		name  string
		typ   Type
		value any
		want  Value
	}{
		{"small ints widen", TypeInt, int8(-3), int64(-3)},
		{"uint32 fits", TypeInt, uint32(7), int64(7)},
		{"float32 widens", TypeDouble, float32(0.5), 0.5},
		{"typed slice", ListOf(TypeString), []string{"a"}, []any{"a"}},
		{"array", ListOf(TypeInt), [2]int{1, 2}, []any{int64(1), int64(2)}},
		{"typed map", MapOf(TypeInt), map[string]int{"k": 1}, map[string]any{"k": int64(1)}},
		{"nil inside dyn", MapOf(TypeDyn), map[string]any{"k": nil}, map[string]any{"k": nil}},
		{"zoned timestamp becomes UTC", TypeTimestamp, time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("X", 3600)),
			time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)},
		{"dyn nested values", TypeDyn, map[string]any{"l": []any{true, 1.5, []byte("b"), time.Second}},
			map[string]any{"l": []any{true, 1.5, []byte("b"), time.Second}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sb.Compile(`v`, Variable{"v", tc.typ})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Eval(context.Background(), map[string]any{"v": tc.value, "undeclared": "ignored"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestBadDeclarationsAreRefused(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	cases := []struct {
		name string
		opts []CompileOption
	}{
		{"empty name", []CompileOption{Variable{"", TypeInt}}},
		{"leading digit", []CompileOption{Variable{"1a", TypeInt}}},
		{"dash", []CompileOption{Variable{"a-b", TypeInt}}},
		{"dotted", []CompileOption{Variable{"a.b", TypeInt}}},
		{"dunder", []CompileOption{Variable{"__class__", TypeInt}}},
		{"keyword", []CompileOption{Variable{"in", TypeInt}}},
		{"type name", []CompileOption{Variable{"int", TypeInt}}},
		{"non-ASCII", []CompileOption{Variable{"prix_é", TypeInt}}},
		{"too long", []CompileOption{Variable{string(make([]byte, 65)), TypeInt}}},
		{"declared twice", []CompileOption{Variable{"a", TypeInt}, Variable{"a", TypeString}}},
		{"unknown type", []CompileOption{Variable{"a", Type("object")}}},
		{"Go type name", []CompileOption{Variable{"a", Type("*os.File")}}},
		{"unclosed list", []CompileOption{Variable{"a", Type("list(int")}}},
		{"trailing junk", []CompileOption{Variable{"a", Type("int)")}}},
		{"int-keyed map", []CompileOption{Variable{"a", Type("map(int, int)")}}},
		{"too deeply nested type", []CompileOption{Variable{"a", nestedListType(20)}}},
		{"nil option", []CompileOption{nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sb.Compile(`true`, tc.opts...); !errors.Is(err, ErrInput) {
				t.Fatalf("got %v, want ErrInput", err)
			}
		})
	}
}

func nestedListType(depth int) Type {
	t := TypeInt
	for range depth {
		t = ListOf(t)
	}
	return t
}

func TestErrorPositions(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	cases := []struct {
		src          string
		line, column int
	}{
		{"a +\n  nope", 2, 3},
		{"1 / (a - 3)", 1, 3},
		{"a +", 1, 4},
	}
	for _, tc := range cases {
		_, err := compileAndEval(sb, tc.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: got %v, want *Error", tc.src, err)
		}
		if e.Line != tc.line || e.Column != tc.column {
			t.Errorf("%q: position %d:%d, want %d:%d (%v)", tc.src, e.Line, e.Column, tc.line, tc.column, err)
		}
	}
}

func TestProgramIsSafeForConcurrentUse(t *testing.T) {
	sb := newTestSandbox(t, Config{})
	p, err := sb.Compile(`items.map(i, string(i.qty * n)).join(",") + "/" + string(n)`,
		Variable{"items", ListOf(MapOf(TypeInt))}, Variable{"n", TypeInt})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for n := range 16 {
		wg.Go(func() {
			for range 20 {
				vars := map[string]any{"items": []map[string]int{{"qty": 1}, {"qty": 2}}, "n": n}
				got, err := p.EvalString(context.Background(), vars)
				want := fmt.Sprintf("%d,%d/%d", n, 2*n, n)
				if err != nil || got != want {
					errs <- fmt.Errorf("n=%d: got %q, %v; want %q", n, got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
