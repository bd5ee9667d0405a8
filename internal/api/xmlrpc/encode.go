package xmlrpc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// maxEncodeDepth stops a value that refers to itself from looping forever.
const maxEncodeDepth = 64

// dateTimeLayout is how dateTime.iso8601 values are written (Python's form).
const dateTimeLayout = "20060102T15:04:05"

const (
	responseHead = "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value>"
	responseTail = "</value></param></params></methodResponse>\n"
)

// AppendResponse appends a methodResponse holding v.
func AppendResponse(buf []byte, v any) ([]byte, error) {
	buf = append(buf, responseHead...)
	buf, err := appendValue(buf, v, 0)
	if err != nil {
		return nil, err
	}
	return append(buf, responseTail...), nil
}

// AppendFault appends a methodResponse holding a fault.
func AppendFault(buf []byte, f *Fault) []byte {
	buf = append(buf, "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>"...)
	buf = strconv.AppendInt(buf, int64(f.Code), 10)
	buf = append(buf, "</int></value></member><member><name>faultString</name><value><string>"...)
	buf = appendEscaped(buf, f.String)
	return append(buf, "</string></value></member></struct></value></fault></methodResponse>\n"...)
}

// AppendCall appends a methodCall, for clients (tests and load generators).
func AppendCall(buf []byte, method string, params ...any) ([]byte, error) {
	buf = append(buf, "<?xml version=\"1.0\"?>\n<methodCall><methodName>"...)
	buf = appendEscaped(buf, method)
	buf = append(buf, "</methodName><params>"...)
	for _, p := range params {
		buf = append(buf, "<param><value>"...)
		var err error
		if buf, err = appendValue(buf, p, 0); err != nil {
			return nil, err
		}
		buf = append(buf, "</value></param>"...)
	}
	return append(buf, "</params></methodCall>\n"...), nil
}

// appendValue writes the inside of a <value> element.
func appendValue(buf []byte, v any, depth int) ([]byte, error) {
	if depth > maxEncodeDepth {
		return nil, fmt.Errorf("xmlrpc: value nests deeper than %d levels", maxEncodeDepth)
	}
	switch v := v.(type) {
	case nil:
		return append(buf, "<nil/>"...), nil
	case bool:
		if v {
			return append(buf, "<boolean>1</boolean>"...), nil
		}
		return append(buf, "<boolean>0</boolean>"...), nil
	case int:
		return appendInt(buf, int64(v)), nil
	case int32:
		return appendInt(buf, int64(v)), nil
	case int64:
		return appendInt(buf, v), nil
	case float64:
		return appendDouble(buf, v)
	case float32:
		return appendDouble(buf, float64(v))
	case string:
		buf = append(buf, "<string>"...)
		buf = appendEscaped(buf, v)
		return append(buf, "</string>"...), nil
	case []byte:
		buf = append(buf, "<base64>"...)
		buf = base64.StdEncoding.AppendEncode(buf, v)
		return append(buf, "</base64>"...), nil
	case time.Time:
		buf = append(buf, "<dateTime.iso8601>"...)
		buf = v.UTC().AppendFormat(buf, dateTimeLayout)
		return append(buf, "</dateTime.iso8601>"...), nil
	case *apd.Decimal:
		if v == nil {
			return append(buf, "<nil/>"...), nil
		}
		return appendDecimal(buf, v)
	case apd.Decimal:
		return appendDecimal(buf, &v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return appendInt(buf, n), nil
		}
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("xmlrpc: %q is not a number", string(v))
		}
		return appendDouble(buf, f)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = append(buf, "<struct>"...)
		for _, k := range keys {
			var err error
			if buf, err = appendMember(buf, k, v[k], depth); err != nil {
				return nil, err
			}
		}
		return append(buf, "</struct>"...), nil
	case []any:
		buf = append(buf, "<array><data>"...)
		for _, item := range v {
			buf = append(buf, "<value>"...)
			var err error
			if buf, err = appendValue(buf, item, depth+1); err != nil {
				return nil, err
			}
			buf = append(buf, "</value>"...)
		}
		return append(buf, "</data></array>"...), nil
	case []int64:
		buf = append(buf, "<array><data>"...)
		for _, n := range v {
			buf = append(buf, "<value>"...)
			buf = appendInt(buf, n)
			buf = append(buf, "</value>"...)
		}
		return append(buf, "</data></array>"...), nil
	case []map[string]any:
		buf = append(buf, "<array><data>"...)
		for _, item := range v {
			buf = append(buf, "<value>"...)
			var err error
			if buf, err = appendValue(buf, item, depth+1); err != nil {
				return nil, err
			}
			buf = append(buf, "</value>"...)
		}
		return append(buf, "</data></array>"...), nil
	}
	return appendReflect(buf, reflect.ValueOf(v), depth)
}

func appendMember(buf []byte, name string, v any, depth int) ([]byte, error) {
	buf = append(buf, "<member><name>"...)
	buf = appendEscaped(buf, name)
	buf = append(buf, "</name><value>"...)
	buf, err := appendValue(buf, v, depth+1)
	if err != nil {
		return nil, err
	}
	return append(buf, "</value></member>"...), nil
}

// appendReflect covers the remaining slices, arrays and string-keyed maps.
func appendReflect(buf []byte, rv reflect.Value, depth int) ([]byte, error) {
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return append(buf, "<array><data></data></array>"...), nil
		}
		buf = append(buf, "<array><data>"...)
		for i := 0; i < rv.Len(); i++ {
			buf = append(buf, "<value>"...)
			var err error
			if buf, err = appendValue(buf, rv.Index(i).Interface(), depth+1); err != nil {
				return nil, err
			}
			buf = append(buf, "</value>"...)
		}
		return append(buf, "</data></array>"...), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		buf = append(buf, "<struct>"...)
		for _, k := range keys {
			var err error
			kv := reflect.ValueOf(k).Convert(rv.Type().Key())
			if buf, err = appendMember(buf, k, rv.MapIndex(kv).Interface(), depth); err != nil {
				return nil, err
			}
		}
		return append(buf, "</struct>"...), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(buf, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() > math.MaxInt64 {
			return nil, fmt.Errorf("xmlrpc: %d is too large", rv.Uint())
		}
		return appendInt(buf, int64(rv.Uint())), nil
	case reflect.String:
		return appendValue(buf, rv.String(), depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(buf, "<nil/>"...), nil
		}
		return appendValue(buf, rv.Elem().Interface(), depth+1)
	}
	return nil, fmt.Errorf("xmlrpc: cannot encode a value of type %s", rv.Type())
}

func appendInt(buf []byte, n int64) []byte {
	buf = append(buf, "<int>"...)
	buf = strconv.AppendInt(buf, n, 10)
	return append(buf, "</int>"...)
}

func appendDouble(buf []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("xmlrpc: %v cannot be sent", f)
	}
	buf = append(buf, "<double>"...)
	buf = strconv.AppendFloat(buf, f, 'f', -1, 64)
	return append(buf, "</double>"...), nil
}

// appendDecimal writes an exact amount as a double in plain notation, digit for digit.
func appendDecimal(buf []byte, d *apd.Decimal) ([]byte, error) {
	if d.Form != apd.Finite {
		return nil, fmt.Errorf("xmlrpc: %s cannot be sent", d.String())
	}
	buf = append(buf, "<double>"...)
	buf = append(buf, d.Text('f')...)
	return append(buf, "</double>"...), nil
}

// appendEscaped writes s as XML character data. Characters XML 1.0 cannot carry
// (most control characters, invalid UTF-8) become U+FFFD, so that any client's
// parser accepts the message; a carriage return is written as a reference so that
// parsers do not turn it into a line feed.
func appendEscaped(buf []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		var repl string
		width := 1
		switch {
		case c == '&':
			repl = "&amp;"
		case c == '<':
			repl = "&lt;"
		case c == '>':
			repl = "&gt;"
		case c == '\r':
			repl = "&#13;"
		case c == '\n' || c == '\t':
			i++
			continue
		case c < 0x20:
			repl = "\uFFFD"
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			width = size
			if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
				repl = "\uFFFD"
			} else {
				i += size
				continue
			}
		}
		buf = append(buf, s[start:i]...)
		buf = append(buf, repl...)
		i += width
		start = i
	}
	return append(buf, s[start:]...)
}
