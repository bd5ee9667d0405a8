package sandbox

import (
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// closedTypeProvider knows no message types, enums or type identifiers.
// CEL's default registry would let an expression build protobuf messages
// (google.protobuf.Any with attacker-chosen bytes among them) and name types
// as values; with this provider such expressions fail to type-check, so the
// only values an expression can hold are those of the closed Type set.
type closedTypeProvider struct{}

var _ types.Provider = closedTypeProvider{}

func (closedTypeProvider) EnumValue(name string) ref.Val {
	return types.NewErr("unknown enum %q", name)
}

func (closedTypeProvider) FindIdent(string) (ref.Val, bool) { return nil, false }

func (closedTypeProvider) FindStructType(string) (*types.Type, bool) { return nil, false }

func (closedTypeProvider) FindStructFieldNames(string) ([]string, bool) { return nil, false }

func (closedTypeProvider) FindStructFieldType(string, string) (*types.FieldType, bool) {
	return nil, false
}

func (closedTypeProvider) NewValue(name string, _ map[string]ref.Val) ref.Val {
	return types.NewErr("unknown type %q", name)
}
