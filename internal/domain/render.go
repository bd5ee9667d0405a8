package domain

import "strings"

// String renders the domain as canonical Python text in prefix notation, e.g.
// ['|', ('company_id', '=', False), ('company_id', 'in', [1, 2])]. Parse reads
// it back to an equal Domain. Terms at the top are joined implicitly, as
// people write them; True renders as [] and False as [(0, '=', 1)]. The text
// may be longer than the source it was parsed from (escapes, resolved names).
func (d Domain) String() string {
	var b strings.Builder
	b.WriteByte('[')
	switch root := d.Root().(type) {
	case Constant:
		if !root {
			writeNode(&b, root)
		}
	case And:
		for i, c := range root.Children {
			if i > 0 {
				b.WriteString(", ")
			}
			writeNode(&b, c)
		}
	default:
		writeNode(&b, root)
	}
	b.WriteByte(']')
	return b.String()
}

// writeNode recurses; normalised trees are at most Limits.MaxDepth deep.
func writeNode(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case And:
		writeNary(b, "'&', ", n.Children)
	case Or:
		writeNary(b, "'|', ", n.Children)
	case Not:
		b.WriteString("'!', ")
		writeNode(b, n.Child)
	case Constant:
		if n {
			b.WriteString("(1, '=', 1)")
		} else {
			b.WriteString("(0, '=', 1)")
		}
	case Leaf:
		b.WriteByte('(')
		b.WriteString(quotePython(n.Field()))
		b.WriteString(", ")
		b.WriteString(quotePython(string(n.Operator)))
		b.WriteString(", ")
		b.WriteString(n.Value.String())
		b.WriteByte(')')
	}
}

// writeNary writes an n-ary node as n-1 binary operators followed by its
// children, which Parse folds back into one node.
func writeNary(b *strings.Builder, op string, children []Node) {
	for range len(children) - 1 {
		b.WriteString(op)
	}
	for i, c := range children {
		if i > 0 {
			b.WriteString(", ")
		}
		writeNode(b, c)
	}
}
