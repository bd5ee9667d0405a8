package xmlrpc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeCallTypes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want any
	}{
		{"int", `<int>42</int>`, int64(42)},
		{"i4 negative", `<i4>-7</i4>`, int64(-7)},
		{"i8 beyond 32 bits", `<i8>9007199254740993</i8>`, int64(9007199254740993)},
		{"boolean true", `<boolean>1</boolean>`, true},
		{"boolean false", `<boolean>0</boolean>`, false},
		{"double", `<double>-1.5</double>`, -1.5},
		{"string", `<string>a &amp; b &lt;c&gt;</string>`, "a & b <c>"},
		{"empty string", `<string/>`, ""},
		{"untyped string", `plain text`, "plain text"},
		{"untyped empty", ``, ""},
		{"character reference", `<string>&#233;t&#xE9;</string>`, "été"},
		{"unicode", `<string>日本語</string>`, "日本語"},
		{"datetime compact", `<dateTime.iso8601>20240131T08:09:10</dateTime.iso8601>`, time.Date(2024, 1, 31, 8, 9, 10, 0, time.UTC)},
		{"datetime dashed zone", `<dateTime.iso8601>2024-01-31T10:09:10+02:00</dateTime.iso8601>`, time.Date(2024, 1, 31, 8, 9, 10, 0, time.UTC)},
		{"base64", `<base64>aGVs
bG8=</base64>`, []byte("hello")},
		{"nil", `<nil/>`, nil},
		{"struct", `<struct><member><name>a</name><value><int>1</int></value></member><member><name>b</name><value>x</value></member></struct>`,
			map[string]any{"a": int64(1), "b": "x"}},
		{"empty struct", `<struct></struct>`, map[string]any{}},
		{"array", `<array><data><value><int>1</int></value><value><string>two</string></value><value><array><data/></array></value></data></array>`,
			[]any{int64(1), "two", []any{}}},
		{"comment inside", `<!-- hi --><int>3</int>`, int64(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `<?xml version="1.0"?><methodCall><methodName>m</methodName><params><param><value>` + tt.body + `</value></param></params></methodCall>`
			call, err := DecodeCall(strings.NewReader(body), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if call.Method != "m" || len(call.Params) != 1 {
				t.Fatalf("call = %+v", call)
			}
			if !reflect.DeepEqual(call.Params[0], tt.want) {
				t.Fatalf("got %#v, want %#v", call.Params[0], tt.want)
			}
		})
	}
}

func TestDecodeCallWithoutParams(t *testing.T) {
	for _, body := range []string{
		`<methodCall><methodName>version</methodName></methodCall>`,
		`<?xml version='1.0'?>
<methodCall>
<methodName>version</methodName>
<params>
</params>
</methodCall>
`,
	} {
		call, err := DecodeCall(strings.NewReader(body), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if call.Method != "version" || len(call.Params) != 0 {
			t.Fatalf("call = %+v", call)
		}
	}
}

// TestDecodeRefuses feeds hostile and broken messages; each must give an *Error
// whose text names the problem.
func TestDecodeRefuses(t *testing.T) {
	wrap := func(v string) string {
		return `<methodCall><methodName>m</methodName><params><param><value>` + v + `</value></param></params></methodCall>`
	}
	billionLaughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` + wrap(`<string>&lol3;</string>`)
	external := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + wrap(`<string>&xxe;</string>`)
	deep := wrap(strings.Repeat(`<array><data><value>`, 40) + `<int>1</int>` + strings.Repeat(`</value></data></array>`, 40))
	many := wrap(`<array><data>` + strings.Repeat(`<value><int>1</int></value>`, 101) + `</data></array>`)
	tests := []struct {
		name, body, want string
		lim              Limits
	}{
		{"empty", ``, "ends too early", Limits{}},
		{"not xml", `hello`, "expected <methodCall>", Limits{}},
		{"broken xml", `<methodCall><methodName>m</methodName`, "not well-formed", Limits{}},
		{"mismatched tags", wrap(`<int>1</i4>`), "not well-formed", Limits{}},
		{"billion laughs", billionLaughs, "document type declarations", Limits{}},
		{"external entity", external, "document type declarations", Limits{}},
		{"undeclared entity", wrap(`<string>&lol;</string>`), "not well-formed", Limits{}},
		{"processing instruction", `<?php echo 1 ?>` + wrap(`<int>1</int>`), "processing instructions", Limits{}},
		{"deep nesting", deep, "deeper than 32", Limits{}},
		{"too many values", many, "more than 100 values", Limits{MaxValues: 100}},
		{"too large", wrap(`<string>` + strings.Repeat("a", 200) + `</string>`), "larger than 100 bytes", Limits{MaxBytes: 100}},
		{"long string", wrap(`<string>` + strings.Repeat("a", 200) + `</string>`), "longer than 100 bytes", Limits{MaxString: 100}},
		{"long untyped string", wrap(strings.Repeat("a", 200)), "longer than 100 bytes", Limits{MaxString: 100}},
		{"non utf-8", wrap("<string>\xff\xfe</string>"), "not valid UTF-8", Limits{}},
		{"latin-1 declared", `<?xml version="1.0" encoding="ISO-8859-1"?>` + wrap(`<string>x</string>`), "UTF-8", Limits{}},
		{"int overflow", wrap(`<int>99999999999999999999</int>`), "not a 64-bit integer", Limits{}},
		{"int text", wrap(`<int>one</int>`), "not a 64-bit integer", Limits{}},
		{"boolean word", wrap(`<boolean>yes</boolean>`), "use 0 or 1", Limits{}},
		{"double nan", wrap(`<double>NaN</double>`), "not a finite number", Limits{}},
		{"bad date", wrap(`<dateTime.iso8601>yesterday</dateTime.iso8601>`), "expected YYYYMMDDTHH:MM:SS", Limits{}},
		{"bad base64", wrap(`<base64>***</base64>`), "valid base64", Limits{}},
		{"unknown type", wrap(`<object>1</object>`), "unknown value type", Limits{}},
		{"text and element", wrap(`x<int>1</int>`), "both text and", Limits{}},
		{"element in int", wrap(`<int><b>1</b></int>`), "cannot contain", Limits{}},
		{"duplicate member", wrap(`<struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct>`), "appears twice", Limits{}},
		{"member without value", wrap(`<struct><member><name>a</name></member></struct>`), "expected <value>", Limits{}},
		{"array without data", wrap(`<array><value>1</value></array>`), "expected <data>", Limits{}},
		{"nil with content", wrap(`<nil>x</nil>`), "must be empty", Limits{}},
		{"empty method", `<methodCall><methodName> </methodName></methodCall>`, "method name is empty", Limits{}},
		{"trailing element", `<methodCall><methodName>m</methodName></methodCall><x/>`, "after the end", Limits{}},
		{"wrong root", `<methodResponse/>`, "expected <methodCall>", Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCall(strings.NewReader(tt.body), tt.lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want *Error", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDecodeResponseAndFault(t *testing.T) {
	buf, err := AppendResponse(nil, map[string]any{"server_version": "17.0", "ids": []int64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := DecodeResponse(bytes.NewReader(buf), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"server_version": "17.0", "ids": []any{int64(1), int64(2)}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v", v)
	}
	_, err = DecodeResponse(bytes.NewReader(AppendFault(nil, &Fault{Code: 3, String: "Access Denied"})), Limits{})
	var f *Fault
	if !errors.As(err, &f) || f.Code != 3 || f.String != "Access Denied" {
		t.Fatalf("fault = %#v", err)
	}
}
