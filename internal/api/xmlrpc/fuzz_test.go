package xmlrpc

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeCall checks that any input either decodes or gives an *Error, within
// the limits, and that whatever decodes survives a round trip through the encoder.
func FuzzDecodeCall(f *testing.F) {
	seeds := []string{
		`<methodCall><methodName>version</methodName></methodCall>`,
		`<?xml version="1.0"?><methodCall><methodName>execute_kw</methodName><params><param><value><string>db</string></value></param><param><value><int>2</int></value></param><param><value><array><data><value><array><data><value>name</value><value>ilike</value><value>a</value></data></array></value></data></array></value></param><param><value><struct><member><name>limit</name><value><i4>5</i4></value></member></struct></value></param></params></methodCall>`,
		`<methodCall><methodName>m</methodName><params><param><value><base64>aGk=</base64></value></param><param><value><dateTime.iso8601>20240101T00:00:00</dateTime.iso8601></value></param><param><value><nil/></value></param><param><value><double>1.5</double></value></param><param><value><boolean>1</boolean></value></param></params></methodCall>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><methodCall><methodName>&a;</methodName></methodCall>`,
		`<methodCall><methodName>m</methodName><params><param><value><array><data><value><array><data></data></array></value></data></array></value></param></params></methodCall>`,
		"<methodCall><methodName>\xff</methodName></methodCall>",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBytes: 1 << 16, MaxDepth: 8, MaxValues: 1000, MaxString: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		call, err := DecodeCall(bytes.NewReader(data), lim)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if strings.TrimSpace(call.Method) == "" {
			t.Fatal("empty method name accepted")
		}
		if strings.Contains(string(data), "<!") && strings.Contains(string(data), "ENTITY") && !strings.Contains(string(data), "<!--") {
			t.Fatalf("a declaration was accepted: %q", data)
		}
		enc, err := AppendCall(nil, call.Method, call.Params...)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := DecodeCall(bytes.NewReader(enc), Limits{})
		if err != nil {
			t.Fatalf("decode re-encoded: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(normalise(again.Params), normalise(call.Params)) {
			t.Fatalf("round trip changed the params:\n%#v\n%#v", call.Params, again.Params)
		}
	})
}

// normalise maps values the encoder writes differently but equivalently: text that
// XML cannot carry is replaced on the way out.
func normalise(v any) any {
	switch v := v.(type) {
	case string:
		var b []byte
		return string(appendEscapedRaw(b, v))
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalise(x)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[string(appendEscapedRaw(nil, k))] = normalise(x)
		}
		return out
	}
	return v
}

// appendEscapedRaw is appendEscaped's replacement of unrepresentable characters
// without the XML escaping.
func appendEscapedRaw(buf []byte, s string) []byte {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			r = '\uFFFD'
		}
		buf = append(buf, string(r)...)
	}
	return buf
}
