package sandbox

import (
	"strings"
	"time"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// Overload ids of the extras; the cost models below are keyed by them.
const (
	overloadNow       = "sandbox_now"
	overloadToday     = "sandbox_today"
	overloadLower     = "sandbox_string_lower"
	overloadUpper     = "sandbox_string_upper"
	overloadTrim      = "sandbox_string_trim"
	overloadReplace   = "sandbox_string_replace_string_string"
	overloadSplit     = "sandbox_string_split_string"
	overloadJoin      = "sandbox_list_string_join_string"
	functionNow       = "now"
	functionToday     = "today"
	caseGrowthPercent = 150 // Unicode case mapping grows UTF-8 text by at most half (e.g. U+023A → U+2C65).
)

// extraFunctions declares the functions the ERP adds to CEL's standard
// library. Builders of strings and lists check the size of their result
// before allocating it, against maxBytes, so a single call cannot take more
// memory than the evaluation's memory budget allows.
func extraFunctions(maxBytes int) []cel.EnvOption {
	return []cel.EnvOption{
		// now() and today() are bound per evaluation to the caller's clock.
		cel.Function(functionNow,
			cel.Overload(overloadNow, nil, cel.TimestampType, cel.LateFunctionBinding())),
		cel.Function(functionToday,
			cel.Overload(overloadToday, nil, cel.TimestampType, cel.LateFunctionBinding())),

		cel.Function("lower",
			cel.MemberOverload(overloadLower, []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(caseMapping(strings.ToLower, maxBytes)))),
		cel.Function("upper",
			cel.MemberOverload(overloadUpper, []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(caseMapping(strings.ToUpper, maxBytes)))),
		cel.Function("trim",
			cel.MemberOverload(overloadTrim, []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(func(s ref.Val) ref.Val {
					return types.String(strings.TrimSpace(string(s.(types.String))))
				}))),
		cel.Function("replace",
			cel.MemberOverload(overloadReplace, []*cel.Type{cel.StringType, cel.StringType, cel.StringType}, cel.StringType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					return replace(string(args[0].(types.String)), string(args[1].(types.String)), string(args[2].(types.String)), maxBytes)
				}))),
		cel.Function("split",
			cel.MemberOverload(overloadSplit, []*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
				cel.BinaryBinding(func(s, sep ref.Val) ref.Val {
					return split(string(s.(types.String)), string(sep.(types.String)), maxBytes)
				}))),
		cel.Function("join",
			cel.MemberOverload(overloadJoin, []*cel.Type{cel.ListType(cel.StringType), cel.StringType}, cel.StringType,
				cel.BinaryBinding(func(list, sep ref.Val) ref.Val {
					return join(list.(traits.Lister), string(sep.(types.String)), maxBytes)
				}))),

		cel.CostModel(extraCostModels()...),
	}
}

// extraCostModels charges every extra at least one call, plus a scan of
// its input and the size of what it builds, as CEL's own string library does.
func extraCostModels() []cost.OverloadModel {
	call := cost.Const(cost.CallCost)
	scanTarget := cost.StringScan(cost.Length(cost.Target()))
	transform := cost.EvalCost(cost.Sum(call, scanTarget, cost.Length(cost.Result())))
	return []cost.OverloadModel{
		cost.Overload(overloadNow, cost.EvalCost(call)),
		cost.Overload(overloadToday, cost.EvalCost(call)),
		cost.MemberOverload(overloadLower, transform,
			cost.ResultSize(cost.AtMost(cost.Scale(cost.Target(), caseGrowthPercent/100.0)))),
		cost.MemberOverload(overloadUpper, transform,
			cost.ResultSize(cost.AtMost(cost.Scale(cost.Target(), caseGrowthPercent/100.0)))),
		cost.MemberOverload(overloadTrim, transform,
			cost.ResultSize(cost.AtMost(cost.Target()))),
		cost.MemberOverload(overloadReplace,
			cost.EvalCost(cost.Sum(call,
				cost.StringScan(cost.Mul(
					cost.AtLeastOneQuantity(cost.Length(cost.Target())),
					cost.AtLeastOneQuantity(cost.Length(cost.Arg(0))))),
				cost.Length(cost.Result()))),
			cost.ResultSize(cost.AtMost(cost.Mul(
				cost.Sum(cost.Target(), cost.Const(1)),
				cost.Sum(cost.Arg(1), cost.Const(1)))))),
		cost.MemberOverload(overloadSplit,
			cost.EvalCost(cost.AllocList(
				cost.StringScan(cost.Sum(cost.Length(cost.Target()), cost.Const(1))),
				cost.Length(cost.Result()))),
			cost.ResultSize(cost.List(
				cost.AtMost(cost.Sum(cost.Target(), cost.Const(1))),
				cost.AtMost(cost.Target())))),
		cost.MemberOverload(overloadJoin,
			cost.EvalCost(cost.Sum(call,
				cost.StringScan(cost.Sum(cost.Length(cost.Target()), cost.Const(1))),
				cost.Length(cost.Result()))),
			cost.ResultSize(cost.AtMost(cost.Sum(
				cost.ElemTotal(cost.Target()),
				cost.Mul(cost.Length(cost.Target()), cost.Arg(0)))))),
	}
}

func caseMapping(mapping func(string) string, maxBytes int) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		s := string(v.(types.String))
		if len(s) > maxBytes*100/caseGrowthPercent {
			return tooLarge("text", len(s)*caseGrowthPercent/100, maxBytes)
		}
		return types.String(mapping(s))
	}
}

func replace(s, old, replacement string, maxBytes int) ref.Val {
	matches := strings.Count(s, old)
	// Compute the result length before building it; int64 cannot overflow
	// here because every factor is bounded by the inputs' sizes.
	size := int64(len(s)) + int64(matches)*(int64(len(replacement))-int64(len(old)))
	if size > int64(maxBytes) {
		return tooLarge("text", int(min(size, int64(^uint(0)>>1))), maxBytes)
	}
	return types.String(strings.ReplaceAll(s, old, replacement))
}

func split(s, sep string, maxBytes int) ref.Val {
	parts := strings.Count(s, sep) + 1
	if sep == "" {
		parts = utf8.RuneCountInString(s)
	}
	// Each part costs at least one unit as a list element.
	if parts+len(s) > maxBytes {
		return tooLarge("list", parts+len(s), maxBytes)
	}
	return types.NewStringList(types.DefaultTypeAdapter, strings.Split(s, sep))
}

func join(list traits.Lister, sep string, maxBytes int) ref.Val {
	n := int(list.Size().(types.Int))
	size := 0
	if n > 1 && len(sep) > 0 {
		// Divide rather than multiply so a long list cannot overflow the check.
		if n-1 > maxBytes/len(sep) {
			return tooLarge("text", maxBytes+1, maxBytes)
		}
		size = (n - 1) * len(sep)
	}
	parts := make([]string, 0, n)
	for it := list.Iterator(); it.HasNext() == types.True; {
		elem, ok := it.Next().(types.String)
		if !ok {
			return types.NewErr("join: list elements must be strings")
		}
		size += len(elem)
		if size > maxBytes {
			return tooLarge("text", size, maxBytes)
		}
		parts = append(parts, string(elem))
	}
	return types.String(strings.Join(parts, sep))
}

// tooLarge reports a value that would exceed the memory budget as ErrBudget.
func tooLarge(what string, size, limit int) ref.Val {
	return types.WrapErr(newError(ErrBudget, "%s of %d bytes would exceed the limit of %d", what, size, limit))
}

// clockFunctions binds now() and today() for one evaluation. The clock is read
// at most once, so every call within the evaluation sees the same instant.
func clockFunctions(clock func() time.Time, loc *time.Location) map[string]cel.LateBoundFunction {
	var (
		read    bool
		instant time.Time
	)
	current := func() (time.Time, bool) {
		if clock == nil {
			return time.Time{}, false
		}
		if !read {
			instant, read = clock(), true
		}
		return instant, true
	}
	noClock := func(name string) ref.Val {
		return types.NewErr("%s() is not available here: no clock was provided", name)
	}
	return map[string]cel.LateBoundFunction{
		functionNow: func(string, ...ref.Val) ref.Val {
			t, ok := current()
			if !ok {
				return noClock(functionNow)
			}
			return types.Timestamp{Time: t.UTC()}
		},
		functionToday: func(string, ...ref.Val) ref.Val {
			t, ok := current()
			if !ok {
				return noClock(functionToday)
			}
			// A date is midnight UTC of the caller's calendar day, the way
			// the ERP stores date fields, so today().getDate() is that day.
			y, m, d := t.In(loc).Date()
			return types.Timestamp{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
		},
	}
}
