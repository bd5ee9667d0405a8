package webui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Bounds of the many2many tags editor.
const (
	// maxTagOptions is how many records the multi-select offers, besides the
	// current tags, when scripts are off (the search box finds the others).
	maxTagOptions = 80
	// maxTags is how many tags one field may be given in one save.
	maxTags = 500
)

// tagView is one tag of a many2many field.
type tagView struct {
	ID   int64
	Name string
}

// fillTags gives a many2many field its current tags, named, and (when it can be
// edited) the options of its multi-select. ids are as Read returns them, or as
// the user submitted them after a refused save. Everything is read as the user:
// an id they may not read is shown as restricted (and kept selected, so saving
// the form does not drop a linked record) whether or not it exists, so the page
// neither names a record the user could not read nor tells which ids exist.
func (u *UI) fillTags(rq *request, f *orm.Field, fv *fieldView, val any) error {
	ids := tagIDs(val)
	if len(ids) > maxTags {
		ids = ids[:maxTags]
	}
	return fillTagsOffering(rq, f, fv, ids, domain.Domain{})
}

// fillTagsOffering names the tags ids, as fillTags does, and offers the records
// of choices as options.
func fillTagsOffering(rq *request, f *orm.Field, fv *fieldView, ids []int64, choices domain.Domain) error {
	if len(ids) > 0 {
		readable, err := rq.env.Search(rq.ctx, f.Comodel, leaf("id", "in", int64sAny(ids)), orm.SearchOptions{IncludeArchived: true})
		if err != nil {
			return fmt.Errorf("tags of %s: %w", f.Name, err)
		}
		names := map[int64]string{}
		if len(readable) > 0 {
			recs, err := rq.env.Read(rq.ctx, f.Comodel, readable, []string{"display_name"})
			if err != nil {
				return fmt.Errorf("name tags of %s: %w", f.Name, err)
			}
			for _, r := range recs {
				names[r["id"].(int64)], _ = r["display_name"].(string)
			}
		}
		for _, id := range ids {
			name, ok := names[id]
			if !ok {
				name = "Restricted record"
			}
			fv.TagList = append(fv.TagList, tagView{ID: id, Name: name})
		}
	}
	if fv.Readonly {
		return nil
	}
	for _, t := range fv.TagList {
		fv.Options = append(fv.Options, option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name, Selected: true})
	}
	found, err := rq.env.NameSearch(rq.ctx, f.Comodel, "", choices, "ilike", maxTagOptions)
	if err != nil {
		return fmt.Errorf("tag options of %s: %w", f.Name, err)
	}
	for _, p := range found {
		id := p[0].(int64)
		if slices.Contains(ids, id) {
			continue
		}
		name, _ := p[1].(string)
		fv.Options = append(fv.Options, option{Value: strconv.FormatInt(id, 10), Label: name})
	}
	return nil
}

// tagIDs reads the ids of a many2many value: a list of ids as Read returns it, or
// a declared default in a form Create accepts (ids, or one "set" command).
func tagIDs(val any) []int64 {
	switch x := val.(type) {
	case []int64:
		return x
	case []any:
		if len(x) == 1 {
			if cmd, ok := x[0].([]any); ok && len(cmd) == 3 && fmt.Sprint(cmd[0]) == "6" {
				return tagIDs(cmd[2])
			}
		}
		out := make([]int64, 0, len(x))
		for _, v := range x {
			switch id := v.(type) {
			case int64:
				out = append(out, id)
			case int:
				out = append(out, int64(id))
			}
		}
		return out
	}
	return nil
}

func int64sAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// parseTags reads the ids chosen for a many2many (comma-separated, as the form
// handler joins the select's values) into the command that sets exactly them.
// Whether the user may link each one is the ORM's decision, in the same write.
func parseTags(f *orm.Field, raw string) (val, shown any, err error) {
	ids := []int64{}
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, perr := strconv.ParseInt(part, 10, 64)
		if perr != nil || id <= 0 {
			return nil, []int64{}, &fieldError{f.Name, "pick values from the list"}
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		if len(ids) > maxTags {
			return nil, []int64{}, &fieldError{f.Name, fmt.Sprintf("pick at most %d", maxTags)}
		}
	}
	set := make([]any, len(ids))
	for i, id := range ids {
		set[i] = id
	}
	return []any{[]any{int64(6), int64(0), set}}, ids, nil
}
