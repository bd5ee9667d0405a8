package sandbox

import (
	"testing"

	"cel.dev/cel-go/cel"
)

func TestTypeTranslation(t *testing.T) {
	valid := []struct {
		typ  Type
		want *cel.Type
	}{
		{TypeBool, cel.BoolType},
		{TypeInt, cel.IntType},
		{TypeDouble, cel.DoubleType},
		{TypeString, cel.StringType},
		{TypeBytes, cel.BytesType},
		{TypeTimestamp, cel.TimestampType},
		{TypeDuration, cel.DurationType},
		{TypeDyn, cel.DynType},
		{ListOf(TypeInt), cel.ListType(cel.IntType)},
		{MapOf(TypeString), cel.MapType(cel.StringType, cel.StringType)},
		{ListOf(MapOf(ListOf(TypeDyn))), cel.ListType(cel.MapType(cel.StringType, cel.ListType(cel.DynType)))},
		{nestedListType(maxTypeNesting), nil},
	}
	for _, tc := range valid {
		got, err := tc.typ.celType()
		if err != nil {
			t.Errorf("%q: %v", tc.typ, err)
			continue
		}
		if tc.want != nil && !got.IsExactType(tc.want) {
			t.Errorf("%q = %s, want %s", tc.typ, cel.FormatCELType(got), cel.FormatCELType(tc.want))
		}
	}
	invalid := []Type{"", "object", "integer", "intx", "int ", "list()", "list(int", "list(int))",
		"map(int, int)", "map(string,int)", "map(string, int", "google.protobuf.Any", "uint", "null_type",
		"type", nestedListType(maxTypeNesting + 1)}
	for _, typ := range invalid {
		if got, err := typ.celType(); err == nil {
			t.Errorf("%q was accepted as %s", typ, cel.FormatCELType(got))
		}
	}
}
