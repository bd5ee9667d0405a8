package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Call is a decoded methodCall. Params hold int64, bool, string, float64,
// time.Time (UTC), []byte, map[string]any, []any and nil.
type Call struct {
	Method string
	Params []any
}

// maxMethodName bounds a method name; Odoo's longest are far shorter.
const maxMethodName = 256

// DecodeCall reads a methodCall from r within lim.
func DecodeCall(r io.Reader, lim Limits) (Call, error) {
	p, err := newParser(r, lim)
	if err != nil {
		return Call{}, err
	}
	if err := p.expectStart("methodCall"); err != nil {
		return Call{}, err
	}
	if err := p.expectStart("methodName"); err != nil {
		return Call{}, err
	}
	name, err := p.text("methodName", maxMethodName)
	if err != nil {
		return Call{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Call{}, errorf("the method name is empty")
	}
	call := Call{Method: name, Params: []any{}}
	tok, err := p.next()
	if err != nil {
		return Call{}, err
	}
	if start, ok := tok.(xml.StartElement); ok {
		if start.Name.Local != "params" {
			return Call{}, errorf("expected <params>, found <%s>", clipName(start.Name.Local))
		}
		if call.Params, err = p.params(); err != nil {
			return Call{}, err
		}
		if tok, err = p.next(); err != nil {
			return Call{}, err
		}
	}
	if end, ok := tok.(xml.EndElement); !ok || end.Name.Local != "methodCall" {
		return Call{}, errorf("expected </methodCall>, found %s", describeToken(tok))
	}
	return call, p.end()
}

// DecodeResponse reads a methodResponse: its value, or a *Fault as the error.
func DecodeResponse(r io.Reader, lim Limits) (any, error) {
	p, err := newParser(r, lim)
	if err != nil {
		return nil, err
	}
	if err := p.expectStart("methodResponse"); err != nil {
		return nil, err
	}
	start, err := p.nextStart()
	if err != nil {
		return nil, err
	}
	var (
		value any
		fault *Fault
	)
	switch start.Name.Local {
	case "params":
		params, err := p.params()
		if err != nil {
			return nil, err
		}
		if len(params) != 1 {
			return nil, errorf("a response holds one value, found %d", len(params))
		}
		value = params[0]
	case "fault":
		if err := p.expectStart("value"); err != nil {
			return nil, err
		}
		v, err := p.value(0)
		if err != nil {
			return nil, err
		}
		fault, err = faultOf(v)
		if err != nil {
			return nil, err
		}
		if err := p.expectEnd("fault"); err != nil {
			return nil, err
		}
	default:
		return nil, errorf("expected <params> or <fault>, found <%s>", clipName(start.Name.Local))
	}
	if err := p.expectEnd("methodResponse"); err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	if fault != nil {
		return nil, fault
	}
	return value, nil
}

func faultOf(v any) (*Fault, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf("a fault must be a struct")
	}
	f := &Fault{}
	switch c := m["faultCode"].(type) {
	case int64:
		f.Code = int(c)
	case string:
		// Odoo's legacy endpoints send string codes; keep the text.
		f.String = c + ": "
	}
	s, _ := m["faultString"].(string)
	f.String += s
	return f, nil
}

type parser struct {
	d      *xml.Decoder
	lim    Limits
	values int
}

func newParser(r io.Reader, lim Limits) (*parser, error) {
	lim = lim.withDefaults()
	body, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errorf("the message is larger than %d bytes", tooLarge.Limit)
		}
		return nil, errorf("the message could not be read")
	}
	if int64(len(body)) > lim.MaxBytes {
		return nil, errorf("the message is larger than %d bytes", lim.MaxBytes)
	}
	if !utf8.Valid(body) {
		return nil, errorf("the message is not valid UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	// No entity map and no charset reader: only the predefined entities and UTF-8.
	d.Entity = nil
	d.CharsetReader = nil
	return &parser{d: d, lim: lim}, nil
}

// next returns the next token that matters: whitespace between elements, comments
// and the XML declaration are skipped; document type declarations are refused.
func (p *parser) next() (xml.Token, error) {
	for {
		tok, err := p.d.Token()
		if err == io.EOF {
			return nil, errorf("the message ends too early")
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
			return t.Copy(), nil
		case xml.Comment:
			continue
		case xml.ProcInst:
			if t.Target == "xml" {
				continue
			}
			return nil, errorf("processing instructions are not allowed")
		case xml.Directive:
			return nil, errorf("document type declarations and entities are not allowed")
		default:
			return tok, nil
		}
	}
}

func syntaxError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return errorf("the message is not well-formed XML (line %d): %s", se.Line, strings.TrimPrefix(se.Msg, "xml: "))
	}
	msg := err.Error()
	if strings.Contains(msg, "CharsetReader") {
		return errorf("the message must be encoded in UTF-8")
	}
	return errorf("the message is not well-formed XML: %s", strings.TrimPrefix(msg, "xml: "))
}

func (p *parser) nextStart() (xml.StartElement, error) {
	tok, err := p.next()
	if err != nil {
		return xml.StartElement{}, err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return xml.StartElement{}, errorf("expected an element, found %s", describeToken(tok))
	}
	return start, nil
}

func (p *parser) expectStart(name string) error {
	tok, err := p.next()
	if err != nil {
		return err
	}
	if start, ok := tok.(xml.StartElement); !ok || start.Name.Local != name {
		return errorf("expected <%s>, found %s", name, describeToken(tok))
	}
	return nil
}

func (p *parser) expectEnd(name string) error {
	tok, err := p.next()
	if err != nil {
		return err
	}
	if end, ok := tok.(xml.EndElement); !ok || end.Name.Local != name {
		return errorf("expected </%s>, found %s", name, describeToken(tok))
	}
	return nil
}

// end checks that nothing but whitespace and comments follows the root element.
func (p *parser) end() error {
	for {
		tok, err := p.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.Comment:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errorf("text after the end of the message")
			}
		default:
			return errorf("content after the end of the message")
		}
	}
}

// params reads <param><value>…</value></param>* up to </params>.
func (p *parser) params() ([]any, error) {
	out := []any{}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local != "params" {
				return nil, errorf("expected </params>, found </%s>", clipName(t.Name.Local))
			}
			return out, nil
		case xml.StartElement:
			if t.Name.Local != "param" {
				return nil, errorf("expected <param>, found <%s>", clipName(t.Name.Local))
			}
			if err := p.expectStart("value"); err != nil {
				return nil, err
			}
			v, err := p.value(0)
			if err != nil {
				return nil, err
			}
			if err := p.expectEnd("param"); err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			return nil, errorf("expected <param>, found %s", describeToken(tok))
		}
	}
}

// value reads what follows <value>, up to and including </value>.
func (p *parser) value(depth int) (any, error) {
	p.values++
	if p.values > p.lim.MaxValues {
		return nil, errorf("the message holds more than %d values", p.lim.MaxValues)
	}
	// A value is either bare text (a string) or one typed element.
	var text []byte
	for {
		tok, err := p.d.Token()
		if err != nil {
			if err == io.EOF {
				return nil, errorf("the message ends too early")
			}
			return nil, syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			text = append(text, t...)
			if len(text) > p.lim.MaxString {
				return nil, errorf("a string is longer than %d bytes", p.lim.MaxString)
			}
		case xml.Comment:
		case xml.ProcInst:
			return nil, errorf("processing instructions are not allowed")
		case xml.Directive:
			return nil, errorf("document type declarations and entities are not allowed")
		case xml.EndElement:
			if t.Name.Local != "value" {
				return nil, errorf("expected </value>, found </%s>", clipName(t.Name.Local))
			}
			return string(text), nil
		case xml.StartElement:
			if len(bytes.TrimSpace(text)) != 0 {
				return nil, errorf("a value holds both text and <%s>", clipName(t.Name.Local))
			}
			v, err := p.typed(t, depth)
			if err != nil {
				return nil, err
			}
			if err := p.expectEnd("value"); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
}

func (p *parser) typed(start xml.StartElement, depth int) (any, error) {
	name := start.Name.Local
	switch name {
	case "int", "i4", "i8", "i1", "i2":
		s, err := p.text(name, 64)
		if err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, errorf("<%s> holds %q, not a 64-bit integer", name, clip(s))
		}
		return n, nil
	case "boolean":
		s, err := p.text(name, 16)
		if err != nil {
			return nil, err
		}
		switch strings.TrimSpace(s) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return nil, errorf("<boolean> holds %q; use 0 or 1", clip(s))
	case "double":
		s, err := p.text(name, 512)
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errorf("<double> holds %q, not a finite number", clip(s))
		}
		return f, nil
	case "string":
		return p.text(name, p.lim.MaxString)
	case "dateTime.iso8601":
		s, err := p.text(name, 64)
		if err != nil {
			return nil, err
		}
		return parseDateTime(strings.TrimSpace(s))
	case "base64":
		s, err := p.text(name, p.lim.MaxString)
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(stripSpace(s))
		if err != nil {
			return nil, errorf("<base64> does not hold valid base64")
		}
		return b, nil
	case "nil":
		if err := p.expectEnd(name); err != nil {
			return nil, errorf("<nil/> must be empty")
		}
		return nil, nil
	case "struct":
		if depth >= p.lim.MaxDepth {
			return nil, errorf("values nest deeper than %d levels", p.lim.MaxDepth)
		}
		return p.structure(depth + 1)
	case "array":
		if depth >= p.lim.MaxDepth {
			return nil, errorf("values nest deeper than %d levels", p.lim.MaxDepth)
		}
		return p.array(depth + 1)
	}
	return nil, errorf("unknown value type <%s>", clipName(name))
}

// text reads character data up to </name>, refusing elements inside.
func (p *parser) text(name string, max int) (string, error) {
	var b []byte
	for {
		tok, err := p.d.Token()
		if err != nil {
			if err == io.EOF {
				return "", errorf("the message ends too early")
			}
			return "", syntaxError(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b = append(b, t...)
			if len(b) > max {
				return "", errorf("<%s> is longer than %d bytes", name, max)
			}
		case xml.Comment:
		case xml.EndElement:
			if t.Name.Local != name {
				return "", errorf("expected </%s>, found </%s>", name, clipName(t.Name.Local))
			}
			return string(b), nil
		case xml.StartElement:
			return "", errorf("<%s> cannot contain <%s>", name, clipName(t.Name.Local))
		default:
			return "", errorf("<%s> holds something other than text", name)
		}
	}
}

func (p *parser) structure(depth int) (map[string]any, error) {
	out := map[string]any{}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local != "struct" {
				return nil, errorf("expected </struct>, found </%s>", clipName(t.Name.Local))
			}
			return out, nil
		case xml.StartElement:
			if t.Name.Local != "member" {
				return nil, errorf("expected <member>, found <%s>", clipName(t.Name.Local))
			}
			if err := p.expectStart("name"); err != nil {
				return nil, err
			}
			key, err := p.text("name", p.lim.MaxString)
			if err != nil {
				return nil, err
			}
			if _, dup := out[key]; dup {
				return nil, errorf("the struct member %q appears twice", clip(key))
			}
			if err := p.expectStart("value"); err != nil {
				return nil, err
			}
			v, err := p.value(depth)
			if err != nil {
				return nil, err
			}
			if err := p.expectEnd("member"); err != nil {
				return nil, err
			}
			out[key] = v
		default:
			return nil, errorf("expected <member>, found %s", describeToken(tok))
		}
	}
}

func (p *parser) array(depth int) ([]any, error) {
	if err := p.expectStart("data"); err != nil {
		return nil, err
	}
	out := []any{}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local != "data" {
				return nil, errorf("expected </data>, found </%s>", clipName(t.Name.Local))
			}
			if err := p.expectEnd("array"); err != nil {
				return nil, err
			}
			return out, nil
		case xml.StartElement:
			if t.Name.Local != "value" {
				return nil, errorf("expected <value>, found <%s>", clipName(t.Name.Local))
			}
			v, err := p.value(depth)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			return nil, errorf("expected <value>, found %s", describeToken(tok))
		}
	}
}

// dateTimeLayouts are the spellings clients send: the XML-RPC specification's
// compact form (Python's), and ISO 8601 with dashes, optionally with a zone.
var dateTimeLayouts = []string{
	"20060102T15:04:05",
	"20060102T150405",
	"2006-01-02T15:04:05",
	"20060102T15:04:05Z07:00",
	"2006-01-02T15:04:05Z07:00",
}

func parseDateTime(s string) (time.Time, error) {
	for _, layout := range dateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errorf("<dateTime.iso8601> holds %q; expected YYYYMMDDTHH:MM:SS", clip(s))
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
}

func describeToken(tok xml.Token) string {
	switch t := tok.(type) {
	case xml.StartElement:
		return "<" + clipName(t.Name.Local) + ">"
	case xml.EndElement:
		return "</" + clipName(t.Name.Local) + ">"
	case xml.CharData:
		return "text"
	}
	return "something else"
}

func clipName(s string) string { return clip(s) }

func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
