package domain

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokLBracket
	tokRBracket
	tokLParen
	tokRParen
	tokComma
	tokDot
	tokString
	tokNumber
	tokConstant // True, False, None
	tokName     // identifier or dotted identifier, resolved by the caller
)

type token struct {
	kind  tokenKind
	pos   int
	text  string // name text
	value Value  // for tokString, tokNumber, tokConstant
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the text"
	case tokLBracket:
		return "'['"
	case tokRBracket:
		return "']'"
	case tokLParen:
		return "'('"
	case tokRParen:
		return "')'"
	case tokComma:
		return "','"
	case tokDot:
		return "'.'"
	case tokString:
		return "a string"
	case tokNumber:
		return "a number"
	case tokConstant:
		return t.value.String()
	default:
		return "name " + excerpt(t.text)
	}
}

// scanner splits domain text into tokens. It knows the whole accepted
// vocabulary, so anything else (operators, comments, prefixes) is refused
// where it first appears, with a message that names it.
type scanner struct {
	src string
	pos int
	lim Limits
}

// pythonKeywords may not be used as names; spelling one out usually means
// someone tried to write code (lambda, for, import, not in) in a domain.
var pythonKeywords = map[string]bool{
	"and": true, "as": true, "assert": true, "async": true, "await": true, "break": true,
	"class": true, "continue": true, "def": true, "del": true, "elif": true, "else": true,
	"except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true,
	"or": true, "pass": true, "raise": true, "return": true, "try": true, "while": true,
	"with": true, "yield": true,
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) next() (token, *Error) {
	s.skipSpace()
	start := s.pos
	if start >= len(s.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := s.src[start]
	if k := punctuation(c); k != tokEOF {
		s.pos++
		return token{kind: k, pos: start}, nil
	}
	switch {
	case c == '\'' || c == '"':
		return s.scanString()
	case isDigit(c) || c == '.' && s.peekDigit(1) || c == '-' && (s.peekDigit(1) || s.peekByte(1) == '.' && s.peekDigit(2)):
		return s.scanNumber()
	case c == '.':
		s.pos++
		return token{kind: tokDot, pos: start}, nil
	case isIdentStart(c):
		return s.scanName()
	}
	return token{}, s.unexpected(start)
}

func punctuation(c byte) tokenKind {
	switch c {
	case '[':
		return tokLBracket
	case ']':
		return tokRBracket
	case '(':
		return tokLParen
	case ')':
		return tokRParen
	case ',':
		return tokComma
	}
	return tokEOF
}

func (s *scanner) unexpected(pos int) *Error {
	c := s.src[pos]
	switch c {
	case '&', '|', '!':
		return errorAtOffset(pos, "%q must be written as a quoted string, like '%c'", c, c)
	case '+', '-', '*', '/', '%', '<', '>', '=', '~', '^', '@':
		return errorAtOffset(pos, "operators such as %q are not allowed; a domain holds only literal values and names", c)
	case '{', '}':
		return errorAtOffset(pos, "dictionaries and sets are not allowed in a domain")
	case ':':
		return errorAtOffset(pos, "':' is not allowed; slices, dictionaries and lambdas are not part of a domain")
	case ';':
		return errorAtOffset(pos, "';' is not allowed; a domain is a single list")
	case '#':
		return errorAtOffset(pos, "comments are not supported in a domain")
	case '\\':
		return errorAtOffset(pos, "a backslash is only allowed inside a string")
	}
	r, _ := utf8.DecodeRuneInString(s.src[pos:])
	if r < 0x20 || r == 0x7f {
		return errorAtOffset(pos, "unexpected control character %U", r)
	}
	return errorAtOffset(pos, "unexpected character %q", r)
}

func (s *scanner) peekByte(ahead int) byte {
	if s.pos+ahead < len(s.src) {
		return s.src[s.pos+ahead]
	}
	return 0
}

func (s *scanner) peekDigit(ahead int) bool { return isDigit(s.peekByte(ahead)) }

func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// scanName reads an identifier, or a dotted chain of them such as
// user.partner_id.id, which the caller's resolver looks up as a whole.
func (s *scanner) scanName() (token, *Error) {
	start := s.pos
	for {
		segStart := s.pos
		for s.pos < len(s.src) && isIdentChar(s.src[s.pos]) {
			s.pos++
		}
		seg := s.src[segStart:s.pos]
		if pythonKeywords[seg] {
			return token{}, errorAtOffset(segStart, "the Python keyword %q is not allowed in a domain", seg)
		}
		if strings.Contains(seg, "__") {
			return token{}, errorAtOffset(segStart, "names containing '__' are not allowed")
		}
		if segStart > start && (seg == "True" || seg == "False" || seg == "None") {
			return token{}, errorAtOffset(segStart, "%q cannot be part of a dotted name", seg)
		}
		if s.pos+1 < len(s.src) && s.src[s.pos] == '.' && isIdentStart(s.src[s.pos+1]) {
			s.pos++
			continue
		}
		break
	}
	name := s.src[start:s.pos]
	if c := s.peekByte(0); c == '\'' || c == '"' {
		return token{}, errorAtOffset(start, "string prefixes such as %s%c…%c are not supported; write a plain quoted string", excerpt(name), c, c)
	}
	switch name {
	case "True":
		return token{kind: tokConstant, pos: start, value: Bool(true)}, nil
	case "False":
		return token{kind: tokConstant, pos: start, value: Bool(false)}, nil
	case "None":
		return token{kind: tokConstant, pos: start, value: None{}}, nil
	}
	return token{kind: tokName, pos: start, text: name}, nil
}

// scanNumber reads a decimal integer or float, with an optional leading '-'.
func (s *scanner) scanNumber() (token, *Error) {
	start := s.pos
	if s.src[s.pos] == '-' {
		s.pos++
	}
	intStart := s.pos
	s.skipDigits()
	intDigits := s.src[intStart:s.pos]
	isFloat := false
	if s.peekByte(0) == '.' {
		isFloat = true
		s.pos++
		s.skipDigits()
	}
	if c := s.peekByte(0); c == 'e' || c == 'E' {
		isFloat = true
		s.pos++
		if c := s.peekByte(0); c == '+' || c == '-' {
			s.pos++
		}
		if !s.peekDigit(0) {
			return token{}, errorAtOffset(start, "malformed exponent in number %s", excerpt(s.src[start:s.pos]))
		}
		s.skipDigits()
	}
	if c := s.peekByte(0); isIdentChar(c) || c == '.' {
		switch {
		case c == '_':
			return token{}, errorAtOffset(start, "'_' digit separators are not supported in numbers")
		case c == '.':
			return token{}, errorAtOffset(s.pos, "attribute access is not allowed")
		case s.pos > start && s.src[s.pos-1] == '.' && isIdentStart(c):
			return token{}, errorAtOffset(s.pos-1, "attribute access is not allowed")
		default:
			return token{}, errorAtOffset(start, "only decimal numbers are supported (no 0x, 0o, 0b or complex numbers)")
		}
	}
	text := s.src[start:s.pos]
	if !isFloat {
		if len(intDigits) > 1 && intDigits[0] == '0' {
			return token{}, errorAtOffset(start, "leading zeros are not allowed in integers")
		}
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return token{}, errorAtOffset(start, "integer %s does not fit in 64 bits", excerpt(text))
		}
		return token{kind: tokNumber, pos: start, value: Int(i)}, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return token{}, errorAtOffset(start, "number %s is out of range", excerpt(text))
	}
	return token{kind: tokNumber, pos: start, value: Float(f)}, nil
}

func (s *scanner) skipDigits() {
	for s.pos < len(s.src) && isDigit(s.src[s.pos]) {
		s.pos++
	}
}

// scanString reads a single- or double-quoted string with Python's escapes
// \\ \' \" \n \t \r \xNN \uNNNN; anything else after a backslash is refused
// rather than kept literally, so that text always means one thing.
func (s *scanner) scanString() (token, *Error) {
	start := s.pos
	quote := s.src[start]
	if s.peekByte(1) == quote && s.peekByte(2) == quote {
		return token{}, errorAtOffset(start, "triple-quoted strings are not supported")
	}
	s.pos++
	var b strings.Builder
	chunk := s.pos // start of the run of plain bytes not yet copied
	decoded := 0
	for {
		if s.pos >= len(s.src) {
			return token{}, errorAtOffset(start, "unterminated string; add the closing %c", quote)
		}
		c := s.src[s.pos]
		switch {
		case c == quote:
			b.WriteString(s.src[chunk:s.pos])
			s.pos++
			return token{kind: tokString, pos: start, value: String(b.String())}, nil
		case c == '\n' || c == '\r':
			return token{}, errorAtOffset(start, "unterminated string: a line break must be written as \\n")
		case c == 0:
			return token{}, errorAtOffset(s.pos, "a raw NUL byte is not allowed; write it as \\x00")
		case c == '\\':
			b.WriteString(s.src[chunk:s.pos])
			n, err := s.scanEscape(&b)
			if err != nil {
				return token{}, err
			}
			decoded += n
			chunk = s.pos
		default:
			s.pos++
			decoded++
		}
		if decoded > s.lim.MaxStringLen {
			return token{}, errorAtOffset(start, "a string value exceeds the limit of %d bytes", s.lim.MaxStringLen)
		}
	}
}

// scanEscape decodes the escape at s.pos into b and returns the bytes written.
func (s *scanner) scanEscape(b *strings.Builder) (int, *Error) {
	at := s.pos
	if at+1 >= len(s.src) {
		return 0, errorAtOffset(at, "unterminated string after a backslash")
	}
	c := s.src[at+1]
	s.pos = at + 2
	digits := 0
	switch c {
	case '\\', '\'', '"':
		b.WriteByte(c)
		return 1, nil
	case 'n':
		b.WriteByte('\n')
		return 1, nil
	case 't':
		b.WriteByte('\t')
		return 1, nil
	case 'r':
		b.WriteByte('\r')
		return 1, nil
	case 'x':
		digits = 2
	case 'u':
		digits = 4
	default:
		r, _ := utf8.DecodeRuneInString(s.src[at+1:])
		return 0, errorAtOffset(at, "invalid escape \\%c; use \\\\ \\' \\\" \\n \\t \\r \\xNN or \\uNNNN", r)
	}
	if at+2+digits > len(s.src) {
		return 0, errorAtOffset(at, "\\%c needs %d hex digits", c, digits)
	}
	code, err := strconv.ParseUint(s.src[at+2:at+2+digits], 16, 32)
	if err != nil {
		return 0, errorAtOffset(at, "\\%c needs %d hex digits", c, digits)
	}
	r := rune(code)
	if 0xd800 <= r && r <= 0xdfff {
		return 0, errorAtOffset(at, "\\u%04x is a surrogate, not a character", r)
	}
	s.pos = at + 2 + digits
	n, _ := b.WriteRune(r)
	return n, nil
}
