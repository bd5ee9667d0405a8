package orm

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoValuesFormattedIntoSQL is the grep the ORM's promise rests on: outside
// this package no Go code formats a value into SQL text. A format string that
// holds an SQL keyword may only interpolate identifiers (%s of a quoted name);
// verbs that render values (%d, %v, %f, %x, %t, or %s inside quotes) are refused.
func TestNoValuesFormattedIntoSQL(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skipf("module root not found from %s", root)
	}
	var offenders []string
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules", "vendor":
				return filepath.SkipDir
			}
			if path == filepath.Join(root, "internal", "orm") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, f := range valueFormatsInSQL(string(src)) {
			offenders = append(offenders, rel+": "+clip(f))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offenders {
		t.Errorf("a value may be formatted into SQL: %s", o)
	}
}

var (
	formatCall = regexp.MustCompile(`(Sprintf|Appendf|Fprintf)\(\s*(?:[&\w.]+,\s*)?("(?:[^"\\]|\\.)*"|` + "`[^`]*`" + `)`)
	sqlKeyword = regexp.MustCompile(`(?i)\b(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WHERE|VALUES)\b`)
	valueVerb  = regexp.MustCompile(`%[-+# 0-9.]*[dvfxXtge]|'%[-+# 0-9.]*s'`)
)

// valueFormatsInSQL returns the format strings of src that look like SQL and
// render a value.
func valueFormatsInSQL(src string) []string {
	var out []string
	for _, m := range formatCall.FindAllStringSubmatch(src, -1) {
		if sqlKeyword.MatchString(m[2]) && valueVerb.MatchString(m[2]) {
			out = append(out, m[2])
		}
	}
	return out
}

func TestValueFormatsInSQL(t *testing.T) {
	for _, c := range []struct {
		src  string
		want int
	}{
		{"fmt.Sprintf(`SELECT * FROM %s WHERE id = ?`, quote(t))", 0},
		{`fmt.Sprintf("DELETE FROM %s WHERE id IN (%s)", quote(t), placeholders(n))`, 0},
		{`fmt.Sprintf("SELECT * FROM t WHERE id = %d", id)`, 1},
		{"fmt.Sprintf(`UPDATE t SET name = '%s' WHERE id = ?`, name)", 1},
		{`fmt.Sprintf("select x from t where v = %v", v)`, 1},
		{`fmt.Fprintf(&b, "INSERT INTO t VALUES (%d)", n)`, 1},
		{`fmt.Sprintf("%d records", n)`, 0},
	} {
		if got := len(valueFormatsInSQL(c.src)); got != c.want {
			t.Errorf("%s: %d findings, want %d", c.src, got, c.want)
		}
	}
}
