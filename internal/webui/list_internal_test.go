package webui

import (
	"net/url"
	"slices"
	"testing"
)

// FuzzParseListQuery: any query string is either refused or read into a
// query whose ids are distinct and positive, at most maxListIDs of them, and
// which the list's own links carry over unchanged.
func FuzzParseListQuery(fz *testing.F) {
	for _, s := range []string{"", "ids=1,2", "ids=1,,2", "ids=-1", "ids=0", "ids=a", "ids=1&ids=2", "q=x&f=draft&o=name&d=1&p=3&ids=7",
		"g=state&gf=state&gv=draft", "ids=9223372036854775807", "ids=9223372036854775808", "ids=2,1,2", "p=-5&o=secret"} {
		fz.Add(s)
	}
	v := &View{Slug: "things", Columns: []string{"name", "state"}, GroupBy: []string{"state"}, Filters: []Filter{{Name: "draft"}}}
	fz.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, err := parseListQuery(v, q)
		if err != nil {
			return
		}
		if len(lq.IDs) > maxListIDs {
			t.Fatalf("%q: %d ids", raw, len(lq.IDs))
		}
		seen := map[int64]bool{}
		for _, id := range lq.IDs {
			if id <= 0 || seen[id] {
				t.Fatalf("%q: id %d", raw, id)
			}
			seen[id] = true
		}
		link, err := url.Parse(lq.url(v, nil))
		if err != nil {
			t.Fatalf("%q: link %v", raw, err)
		}
		again, err := parseListQuery(v, link.Query())
		if err != nil || !slices.Equal(again.IDs, lq.IDs) || again.Text != lq.Text || again.Page != lq.Page || again.Order != lq.Order {
			t.Fatalf("%q: the link %s reads back as %+v (%v), want %+v", raw, link, again, err, lq)
		}
	})
}
