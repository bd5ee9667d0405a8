package domain

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Resolver gives the value of a name used in domain text, such as user.id or
// company_ids. It reports false for names it does not know.
type Resolver func(name string) (Value, bool)

// Parse reads domain text written in a strict subset of Python literal syntax:
// lists and tuples, quoted strings, decimal numbers, True, False, None, and
// names (user.id, company_ids) whose values come from names. Nothing that
// computes is accepted: no calls, operators, subscripts, attribute access on
// literals, comprehensions or lambdas. A nil Resolver knows no names.
func Parse(src string, names Resolver, lim Limits) (Domain, error) {
	lim = lim.withDefaults()
	resolve := func(name string, pos int) (Value, *Error) {
		if names != nil {
			if v, ok := names(name); ok {
				return v, nil
			}
		}
		return nil, errorAtOffset(pos, "unknown name %s", excerpt(name))
	}
	root, err := parseText(src, resolve, lim)
	if err != nil {
		return Domain{}, err
	}
	return Domain{root: root}, nil
}

// Validate checks domain text before it is stored (for example a record
// rule), when the values of its names are not known yet. Every name must be
// in allowedNames exactly as written (list "user.id" to allow user.id); the
// shape of values given by names is checked when the rule is parsed for use.
func Validate(src string, allowedNames []string, lim Limits) error {
	lim = lim.withDefaults()
	resolve := func(name string, pos int) (Value, *Error) {
		if slices.Contains(allowedNames, name) {
			return placeholder{name: name}, nil
		}
		if len(allowedNames) == 0 {
			return nil, errorAtOffset(pos, "unknown name %s; this domain may not use names", excerpt(name))
		}
		sorted := slices.Clone(allowedNames)
		slices.Sort(sorted)
		return nil, errorAtOffset(pos, "unknown name %s; allowed names are %s", excerpt(name), strings.Join(sorted, ", "))
	}
	_, err := parseText(src, resolve, lim)
	return err
}

type resolveFunc func(name string, pos int) (Value, *Error)

func parseText(src string, resolve resolveFunc, lim Limits) (Node, error) {
	if len(src) > lim.MaxSourceLen {
		return nil, errorf("the domain text is %d bytes; the limit is %d", len(src), lim.MaxSourceLen)
	}
	if !utf8.ValidString(src) {
		return nil, errorAtOffset(firstInvalidUTF8(src), "the text is not valid UTF-8")
	}
	p := parser{scan: scanner{src: src, lim: lim}, resolve: resolve, lim: lim}
	terms, err := p.parseDomain()
	if err != nil {
		return nil, err
	}
	return buildTree(terms, lim)
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(s)
}

// parser reads the fixed shape of a domain: a list of terms, a term being an
// operator string or a 3-element leaf whose value is a scalar, a name or a
// flat list. Brackets can therefore nest at most three deep, and the parser
// needs no recursion: ten thousand '[' fail at the second one.
type parser struct {
	scan    scanner
	resolve resolveFunc
	lim     Limits
	peeked  *token
}

func (p *parser) next() (token, *Error) {
	if p.peeked != nil {
		t := *p.peeked
		p.peeked = nil
		return t, nil
	}
	return p.scan.next()
}

func (p *parser) peek() (token, *Error) {
	if p.peeked == nil {
		t, err := p.scan.next()
		if err != nil {
			return token{}, err
		}
		p.peeked = &t
	}
	return *p.peeked, nil
}

func (p *parser) parseDomain() ([]term, *Error) {
	open, err := p.next()
	if err != nil {
		return nil, err
	}
	switch open.kind {
	case tokLBracket:
	case tokLParen:
		return nil, errorAtOffset(open.pos, "a domain must be a list in square brackets, not a tuple")
	default:
		return nil, errorAtOffset(open.pos, "a domain must be a list starting with '[', found %s", open.describe())
	}
	var terms []term
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tokRBracket {
			break
		}
		if len(terms) == p.lim.MaxTerms {
			return nil, errorAtOffset(t.pos, "the domain has more than %d terms", p.lim.MaxTerms)
		}
		tm, err := p.parseTerm(t)
		if err != nil {
			return nil, err
		}
		tm.index = len(terms)
		terms = append(terms, tm)
		done, err := p.separator(tokRBracket, "the domain list", open.pos)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
	}
	end, err := p.next()
	if err != nil {
		return nil, err
	}
	if end.kind != tokEOF {
		return nil, p.afterValueError(end, "after the end of the domain list")
	}
	return terms, nil
}

func (p *parser) parseTerm(t token) (term, *Error) {
	switch t.kind {
	case tokString:
		s := string(t.value.(String))
		if logicalArity(s) == 0 {
			return term{}, errorAtOffset(t.pos, "%s is not a logical operator; use '&', '|' or '!', and write comparisons as (field, operator, value)", excerpt(s))
		}
		return term{logic: s, offset: t.pos}, nil
	case tokLParen, tokLBracket:
		leaf, err := p.parseLeaf(t)
		return term{leaf: leaf, offset: t.pos}, err
	case tokEOF:
		return term{}, errorAtOffset(t.pos, "unterminated domain list; add the closing ']'")
	default:
		return term{}, errorAtOffset(t.pos, "expected an operator such as '|' or a leaf such as ('name', '=', 'x'), found %s", t.describe())
	}
}

func closerOf(open tokenKind) tokenKind {
	if open == tokLParen {
		return tokRParen
	}
	return tokRBracket
}

// parseLeaf reads (field, operator, value) after its opening bracket.
func (p *parser) parseLeaf(open token) (Node, *Error) {
	closer := closerOf(open.kind)
	field, err := p.next()
	if err != nil {
		return nil, err
	}
	if field.kind != tokString && field.kind != tokNumber {
		if field.kind == closer {
			return nil, errorAtOffset(field.pos, "a leaf needs 3 elements (field, operator, value), found 0")
		}
		return nil, errorAtOffset(field.pos, "a leaf starts with the field name as a quoted string, found %s", field.describe())
	}
	if err := p.leafComma(closer, 1); err != nil {
		return nil, err
	}
	opTok, err := p.next()
	if err != nil {
		return nil, err
	}
	if opTok.kind == closer {
		return nil, errorAtOffset(opTok.pos, "a leaf needs 3 elements (field, operator, value), found 1")
	}
	if opTok.kind != tokString {
		return nil, errorAtOffset(opTok.pos, "the operator must be a quoted string such as '=', found %s", opTok.describe())
	}
	if err := p.leafComma(closer, 2); err != nil {
		return nil, err
	}
	valueTok, err := p.next()
	if err != nil {
		return nil, err
	}
	if valueTok.kind == closer {
		return nil, errorAtOffset(valueTok.pos, "a leaf needs 3 elements (field, operator, value), found 2")
	}
	value, err := p.parseValue(valueTok)
	if err != nil {
		return nil, err
	}
	done, err := p.separator(closer, "the leaf", open.pos)
	if err != nil {
		return nil, err
	}
	if !done {
		extra, err := p.peek()
		if err != nil {
			return nil, err
		}
		return nil, errorAtOffset(extra.pos, "a leaf has exactly 3 elements (field, operator, value); remove the extra ones")
	}

	op, opErr := parseOperator(string(opTok.value.(String)))
	if opErr != nil {
		opErr.Offset = opTok.pos
		return nil, opErr
	}
	if field.kind == tokNumber {
		n, err := constantLeaf(field.value, op, value)
		if err != nil {
			err.Offset = field.pos
		}
		return n, err
	}
	path, pathErr := parsePath(string(field.value.(String)))
	if pathErr != nil {
		pathErr.Offset = field.pos
		return nil, pathErr
	}
	n, leafErr := makeLeaf(path, op, value, p.lim)
	if leafErr != nil {
		leafErr.Offset = valueTok.pos
		return nil, leafErr
	}
	return n, nil
}

// leafComma expects the ',' after element number got of a leaf.
func (p *parser) leafComma(closer tokenKind, got int) *Error {
	t, err := p.next()
	if err != nil {
		return err
	}
	switch t.kind {
	case tokComma:
		return nil
	case closer:
		return errorAtOffset(t.pos, "a leaf needs 3 elements (field, operator, value), found %d", got)
	}
	return p.afterValueError(t, "in a leaf; expected ','")
}

// parseValue reads a leaf's value: a scalar, a name, or a flat list or tuple of those.
func (p *parser) parseValue(t token) (Value, *Error) {
	if t.kind != tokLBracket && t.kind != tokLParen {
		return p.parseScalar(t)
	}
	closer := closerOf(t.kind)
	var items List
	var positions []int
	trailingComma := false
	for {
		item, err := p.next()
		if err != nil {
			return nil, err
		}
		if item.kind == closer {
			break
		}
		if item.kind == tokLBracket || item.kind == tokLParen {
			return nil, errorAtOffset(item.pos, "lists inside lists are not allowed")
		}
		if len(items) == p.lim.MaxListLen {
			return nil, errorAtOffset(item.pos, "a list value has more than %d elements", p.lim.MaxListLen)
		}
		v, err := p.parseScalar(item)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		positions = append(positions, item.pos)
		done, err := p.separator(closer, "the list", t.pos)
		if err != nil {
			return nil, err
		}
		if done {
			trailingComma = false
			break
		}
		trailingComma = true
	}
	// As in Python, (x) is x itself, while (x,) and [x] are sequences.
	if t.kind == tokLParen && len(items) == 1 && !trailingComma {
		return items[0], nil
	}
	for i, v := range items {
		if _, nested := v.(List); nested {
			return nil, errorAtOffset(positions[i], "this name is a list, and lists inside lists are not allowed")
		}
	}
	if items == nil {
		items = List{}
	}
	return items, nil
}

// parseScalar reads a literal or a name; a name's value may be a list.
func (p *parser) parseScalar(t token) (Value, *Error) {
	switch t.kind {
	case tokString, tokNumber, tokConstant:
		return t.value, nil
	case tokName:
		after, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch after.kind {
		case tokLParen:
			return nil, errorAtOffset(t.pos, "calls are not allowed: %s(…) cannot be evaluated in a domain", excerpt(t.text))
		case tokLBracket:
			return nil, errorAtOffset(after.pos, "subscripts are not allowed")
		case tokDot:
			return nil, errorAtOffset(after.pos, "attribute access is not allowed")
		}
		v, rerr := p.resolve(t.text, t.pos)
		if rerr != nil {
			return nil, rerr
		}
		if v == nil {
			return nil, errorAtOffset(t.pos, "name %s has no value", excerpt(t.text))
		}
		if err := checkValue(v, p.lim); err != nil {
			err.Offset = t.pos
			err.Message = fmt.Sprintf("name %s: %s", excerpt(t.text), err.Message)
			return nil, err
		}
		return v, nil
	case tokEOF:
		return nil, errorAtOffset(t.pos, "the text ends where a value was expected")
	default:
		return nil, errorAtOffset(t.pos, "expected a value, found %s", t.describe())
	}
}

// separator reads what follows an element: ',' (then possibly the closer, as
// trailing commas are allowed) or the closer itself. It reports whether the
// sequence ended.
func (p *parser) separator(closer tokenKind, what string, openPos int) (bool, *Error) {
	t, err := p.next()
	if err != nil {
		return false, err
	}
	switch t.kind {
	case closer:
		return true, nil
	case tokComma:
		after, err := p.peek()
		if err != nil {
			return false, err
		}
		if after.kind == closer {
			_, _ = p.next()
			return true, nil
		}
		return false, nil
	case tokEOF:
		return false, errorAtOffset(t.pos, "%s opened at offset %d is never closed", what, openPos)
	}
	expected := "',' or ']'"
	if closer == tokRParen {
		expected = "',' or ')'"
	}
	return false, p.afterValueError(t, "in "+what+"; expected "+expected)
}

// afterValueError explains a token that cannot follow a value, naming the
// construct a person was probably attempting.
func (p *parser) afterValueError(t token, context string) *Error {
	switch t.kind {
	case tokLParen:
		return errorAtOffset(t.pos, "calls are not allowed")
	case tokLBracket:
		return errorAtOffset(t.pos, "subscripts are not allowed")
	case tokDot:
		return errorAtOffset(t.pos, "attribute access is not allowed")
	case tokString:
		return errorAtOffset(t.pos, "unexpected string %s; separate elements with ','", context)
	case tokNumber:
		if p.scan.src[t.pos] == '-' {
			return errorAtOffset(t.pos, "operators such as '-' are not allowed; a domain holds only literal values and names")
		}
	}
	return errorAtOffset(t.pos, "found %s %s", t.describe(), context)
}
