package orm

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store"
	"golang.org/x/net/html"
)

// FuzzCompileDomain checks that any domain the domain package accepts either
// compiles to SQL with exactly one placeholder per bound value, or is refused.
func FuzzCompileDomain(f *testing.F) {
	for _, seed := range []string{
		`[["name","=","x"]]`,
		`["|",["email","=",false],["parent_id.name","ilike","a%_\\"]]`,
		`["!",["tag_ids","in",[1,2,false]]]`,
		`[["id","child_of",[1,2]],["score","not in",[1,null]]]`,
		`[["child_ids.tag_ids.name","not like","x"],["credit",">=","1.5"]]`,
		`[["company_id","ilike","one"],["birthday","<","2000-01-01"],["is_company","!=",true]]`,
	} {
		f.Add([]byte(seed))
	}
	reg := newTestRegistry(f)
	m, _ := reg.Model("test.partner")
	var envs []*Env
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		env, err := reg.NewEnv(nil, engine, Identity{})
		if err != nil {
			f.Fatal(err)
		}
		envs = append(envs, env.Sudo())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		dom, err := domain.FromValue(v, domain.Limits{})
		if err != nil {
			return
		}
		for _, env := range envs {
			c := env.newCompiler(nil, false)
			sql, err := c.domain(m, "t", dom)
			if err != nil {
				continue
			}
			if n := strings.Count(sql, "?"); n != len(c.args) {
				t.Fatalf("%s: %d placeholders for %d values in %s", env.Engine(), n, len(c.args), sql)
			}
		}
	})
}

// FuzzParseOrder checks that accepted orders name only fields of the model.
func FuzzParseOrder(f *testing.F) {
	for _, seed := range []string{"name", "name desc, id", "score DESC,email asc", "", " , ", "name; drop", "id desc nulls"} {
		f.Add(seed)
	}
	reg := newTestRegistry(f)
	m, _ := reg.Model("test.partner")
	f.Fuzz(func(t *testing.T, spec string) {
		terms, err := parseOrder(m, spec)
		if err != nil {
			return
		}
		for _, term := range terms {
			if got, ok := m.Field(term.field.Name); !ok || got != term.field || !got.IsStored() {
				t.Fatalf("order %q accepted field %q", spec, term.field.Name)
			}
		}
		sql := orderSQL(reg, dialect{engine: store.Postgres}, "t", terms)
		if strings.Contains(sql, ";") || strings.Contains(sql, "--") {
			t.Fatalf("order %q rendered %q", spec, sql)
		}
	})
}

// FuzzParseCommands checks that x2many values never panic and parse to valid commands.
func FuzzParseCommands(f *testing.F) {
	for _, seed := range []string{`[[0,0,{"name":"x"}]]`, `[[6,0,[1,2]]]`, `[[5]]`, `[1,2,3]`, `[[4,1],[3,2],[2,3],[1,4,{}]]`, `[[9]]`, `false`, `[[0]]`, `[[1,"x",{}]]`} {
		f.Add([]byte(seed))
	}
	reg := newTestRegistry(f)
	m, _ := reg.Model("test.partner")
	fields := []*Field{m.fields["tag_ids"], m.fields["child_ids"]}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		for _, field := range fields {
			cmds, err := parseCommands(field, v, 100)
			if err != nil {
				continue
			}
			for _, c := range cmds {
				if c.op < cmdCreate || c.op > cmdSet {
					t.Fatalf("command %d accepted", c.op)
				}
				if (c.op == cmdUpdate || c.op == cmdDelete || c.op == cmdUnlink || c.op == cmdLink) && c.id <= 0 {
					t.Fatalf("command %d with id %d accepted", c.op, c.id)
				}
				if len(c.ids) > 100 {
					t.Fatalf("%d ids accepted", len(c.ids))
				}
			}
		}
	})
}

// FuzzLikePattern checks that rendering a pattern for PostgreSQL keeps its meaning
// (scanning the rendering gives the same tokens) and that the GLOB rendering has
// a wildcard exactly where the pattern has one.
func FuzzLikePattern(f *testing.F) {
	for _, seed := range []string{"a%b_c", `\%`, `\\`, `tail\`, "[*?]", "é_%", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		toks := scanLikePattern(p)
		again := scanLikePattern(renderLike(toks))
		if len(again) != len(toks) {
			t.Fatalf("%q: %d tokens, %d after rendering", p, len(toks), len(again))
		}
		wild := 0
		for i := range toks {
			if toks[i] != again[i] {
				t.Fatalf("%q: token %d changed", p, i)
			}
			if toks[i].wildcard {
				wild++
			}
		}
		glob := renderGlob(toks)
		bare := strings.NewReplacer("[*]", "", "[?]", "", "[[]", "").Replace(glob)
		if got := strings.Count(bare, "*") + strings.Count(bare, "?"); got != wild {
			t.Fatalf("%q: glob %q has %d wildcards, want %d", p, glob, got, wild)
		}
	})
}

// FuzzSanitizeHTML checks that sanitised HTML holds only allowed elements and
// attributes, and no script.
func FuzzSanitizeHTML(f *testing.F) {
	for _, seed := range []string{`<p onclick="x()">hi</p>`, `<a href="javascript:alert(1)">x</a>`, `<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`, `<svg><script>x</script></svg>`, `<a href="https://e.com" title='t"'>ok</a>`, `<<p>>`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitizeHTML(s)
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
				continue
			}
			tok := z.Token()
			if !allowedTag(tok.Data) {
				t.Fatalf("%q kept element %q in %q", s, tok.Data, out)
			}
			for _, a := range tok.Attr {
				switch {
				case a.Key == "title", a.Key == "rel":
				case a.Key == "href" && safeLink(a.Val):
				default:
					t.Fatalf("%q kept attribute %s=%q in %q", s, a.Key, a.Val, out)
				}
			}
		}
	})
}
