package domain

// term is one element of a domain list after its own validation: either a
// logical operator or a normalised leaf. offset and index locate it for errors.
type term struct {
	logic  string // "&", "|", "!" or "" for a leaf
	leaf   Node
	offset int // byte offset in the source text, or -1
	index  int // position in the domain list
}

func (t term) errorf(format string, args ...any) *Error {
	e := errorf(format, args...)
	if t.offset >= 0 {
		e.Offset = t.offset
	} else {
		e.Term = t.index
	}
	return e
}

// buildTree turns a prefix-notation term list into a normalised tree. It
// reads the list right to left with an explicit stack, so no input can
// exhaust the goroutine stack.
func buildTree(terms []term, lim Limits) (Node, error) {
	stack := make([]Node, 0, len(terms))
	for i := len(terms) - 1; i >= 0; i-- {
		t := terms[i]
		if t.logic == "" {
			stack = append(stack, t.leaf)
			continue
		}
		arity := logicalArity(t.logic)
		if len(stack) < arity {
			return nil, t.errorf("operator %q needs %d operands after it, found %d", t.logic, arity, len(stack))
		}
		first := stack[len(stack)-1]
		if arity == 1 {
			stack[len(stack)-1] = Not{Child: first}
			continue
		}
		second := stack[len(stack)-2]
		stack = stack[:len(stack)-2]
		if t.logic == "&" {
			stack = append(stack, And{Children: []Node{first, second}})
		} else {
			stack = append(stack, Or{Children: []Node{first, second}})
		}
	}
	var root Node
	switch len(stack) {
	case 0:
		return True, nil
	case 1:
		root = stack[0]
	default:
		// Terms left unjoined are AND-ed, in their written order.
		children := make([]Node, len(stack))
		for i, n := range stack {
			children[len(stack)-1-i] = n
		}
		root = And{Children: children}
	}
	nz := normalizer{maxDepth: lim.MaxDepth, budget: -1}
	return nz.normalize(root)
}

// normalizer flattens nested And/Or, folds constants and measures depth,
// iteratively. With checkLeaves it also validates leaves (trees built in Go);
// with budget >= 0 it refuses trees of more nodes than that, which also stops
// cyclic trees built in Go.
type normalizer struct {
	lim         Limits
	checkLeaves bool
	maxDepth    int // 0: unlimited
	budget      int // -1: unlimited
	used        int
}

type nodeKind uint8

const (
	kindAnd nodeKind = iota + 1
	kindOr
	kindNot
)

// frame is an And, Or or Not whose operands are being normalised.
type frame struct {
	kind     nodeKind
	operands []Node
	next     int
	results  []Node
	depth    int  // greatest depth among results
	absorbed bool // an And saw False, or an Or saw True
}

func (nz *normalizer) count() *Error {
	nz.used++
	if nz.budget >= 0 && nz.used > nz.budget {
		return errorf("the domain has more than %d terms", nz.budget)
	}
	return nil
}

func (nz *normalizer) normalize(root Node) (Node, error) {
	if root == nil {
		return nil, errorf("the root node is nil")
	}
	var stack []*frame
	next := root
	for {
		var done Node
		var depth int
		if next != nil {
			n := next
			next = nil
			f, leaf, err := nz.enter(n)
			if err != nil {
				return nil, err
			}
			if f != nil {
				stack = append(stack, f)
				continue
			}
			done, depth = leaf, 1
		} else {
			top := stack[len(stack)-1]
			if top.next < len(top.operands) {
				next = top.operands[top.next]
				top.next++
				if next == nil {
					return nil, errorf("a logical node has a nil child")
				}
				continue
			}
			done, depth = top.finish()
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			if nz.maxDepth > 0 && depth > nz.maxDepth {
				return nil, errorf("the domain nests %d levels deep; the limit is %d", depth, nz.maxDepth)
			}
			return done, nil
		}
		stack[len(stack)-1].add(done, depth)
	}
}

// enter opens a frame for a logical node, or returns a leaf's normalised form.
func (nz *normalizer) enter(n Node) (*frame, Node, *Error) {
	if err := nz.count(); err != nil {
		return nil, nil, err
	}
	switch n := n.(type) {
	case And:
		ops, err := nz.gather(n.Children, kindAnd)
		return &frame{kind: kindAnd, operands: ops}, nil, err
	case Or:
		ops, err := nz.gather(n.Children, kindOr)
		return &frame{kind: kindOr, operands: ops}, nil, err
	case Not:
		if n.Child == nil {
			return nil, nil, errorf("a Not node has no child")
		}
		return &frame{kind: kindNot, operands: []Node{n.Child}}, nil, nil
	case Constant:
		return nil, n, nil
	case Leaf:
		if !nz.checkLeaves {
			return nil, n, nil
		}
		leaf, err := normalizeLeaf(n, nz.lim)
		return nil, leaf, err
	case nil:
		return nil, nil, errorf("a node is nil")
	default:
		return nil, nil, errorf("unsupported node type %T", n)
	}
}

// gather lists the operands of an And (or Or), looking through nested nodes
// of the same kind, so that each node is visited once however the input nests.
func (nz *normalizer) gather(children []Node, kind nodeKind) ([]Node, *Error) {
	type pending struct {
		list []Node
		i    int
	}
	out := make([]Node, 0, len(children))
	work := []pending{{list: children}}
	for len(work) > 0 {
		top := &work[len(work)-1]
		if top.i == len(top.list) {
			work = work[:len(work)-1]
			continue
		}
		c := top.list[top.i]
		top.i++
		if a, ok := c.(And); ok && kind == kindAnd {
			if err := nz.count(); err != nil {
				return nil, err
			}
			work = append(work, pending{list: a.Children})
			continue
		}
		if o, ok := c.(Or); ok && kind == kindOr {
			if err := nz.count(); err != nil {
				return nil, err
			}
			work = append(work, pending{list: o.Children})
			continue
		}
		if c == nil {
			return nil, errorf("a logical node has a nil child")
		}
		out = append(out, c)
	}
	return out, nil
}

// add takes one normalised operand: constants are folded, operands of the
// frame's own kind (produced by folding) are spliced in.
func (f *frame) add(n Node, depth int) {
	if f.kind == kindNot {
		f.results = append(f.results, n)
		f.depth = depth
		return
	}
	if c, ok := n.(Constant); ok {
		if bool(c) == (f.kind == kindOr) {
			f.absorbed = true
		}
		return
	}
	switch n := n.(type) {
	case And:
		if f.kind == kindAnd {
			f.results = append(f.results, n.Children...)
			f.depth = max(f.depth, depth-1)
			return
		}
	case Or:
		if f.kind == kindOr {
			f.results = append(f.results, n.Children...)
			f.depth = max(f.depth, depth-1)
			return
		}
	}
	f.results = append(f.results, n)
	f.depth = max(f.depth, depth)
}

func (f *frame) finish() (Node, int) {
	switch f.kind {
	case kindNot:
		child := f.results[0]
		if c, ok := child.(Constant); ok {
			return !c, 1
		}
		return Not{Child: child}, f.depth + 1
	case kindAnd:
		if f.absorbed {
			return False, 1
		}
		switch len(f.results) {
		case 0:
			return True, 1
		case 1:
			return f.results[0], f.depth
		}
		return And{Children: f.results}, f.depth + 1
	default:
		if f.absorbed {
			return True, 1
		}
		switch len(f.results) {
		case 0:
			return False, 1
		case 1:
			return f.results[0], f.depth
		}
		return Or{Children: f.results}, f.depth + 1
	}
}

// FromNode validates and normalises a tree built in Go, applying the same
// checks and limits as the parsers (MaxTerms counts nodes here).
func FromNode(root Node, lim Limits) (Domain, error) {
	lim = lim.withDefaults()
	nz := normalizer{lim: lim, checkLeaves: true, maxDepth: lim.MaxDepth, budget: lim.MaxTerms}
	n, err := nz.normalize(root)
	if err != nil {
		return Domain{}, err
	}
	return Domain{root: n}, nil
}

// AndAll matches records every domain matches; with no domains, everything.
// The ORM uses it to combine global record rules. Inputs are already within
// their limits, so the result is not measured again.
func AndAll(ds ...Domain) Domain { return combine(ds, kindAnd) }

// OrAll matches records any domain matches; with no domains, nothing. The ORM
// uses it to combine group record rules (and must skip it when no group rule
// applies, as Odoo does).
func OrAll(ds ...Domain) Domain { return combine(ds, kindOr) }

func combine(ds []Domain, kind nodeKind) Domain {
	children := make([]Node, len(ds))
	for i, d := range ds {
		children[i] = d.Root()
	}
	var root Node = And{Children: children}
	if kind == kindOr {
		root = Or{Children: children}
	}
	nz := normalizer{budget: -1}
	n, err := nz.normalize(root)
	if err != nil {
		// Unreachable: every Domain holds a normalised tree without nil nodes.
		panic("domain: combining normalised domains failed: " + err.Error())
	}
	return Domain{root: n}
}
