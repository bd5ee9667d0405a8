package orm

import (
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestCreateReadWriteUnlink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		co := d.create("test.company", map[string]any{"name": "Acme"})
		tag := d.create("test.tag", map[string]any{"name": "vip"})
		var pid int64
		d.sudo(func(ctx context.Context, env *Env) error {
			ids, err := env.Create(ctx, "test.partner", []map[string]any{{
				"name": "Ann", "email": "ann@example.com", "company_id": co, "tag_ids": []any{[]any{6, 0, []any{tag}}},
				"score": 7, "ratio": 0.5, "credit": "12.345", "birthday": "1990-02-03", "seen_at": "2024-05-06 07:08:09",
				"notes":     `<p onclick="x()">hi<script>alert(1)</script></p>`,
				"child_ids": []any{[]any{0, 0, map[string]any{"name": "Ann Jr"}}},
			}})
			if err != nil {
				return err
			}
			pid = ids[0]
			recs, err := env.Read(ctx, "test.partner", ids, nil)
			if err != nil {
				return err
			}
			r := recs[0]
			want := map[string]any{
				"name": "Ann", "email": "ann@example.com", "active": true, "is_company": false, "score": int64(7), "ratio": 0.5,
				"birthday": "1990-02-03", "seen_at": "2024-05-06 07:08:09", "kind": "person", "notes": "<p>hi</p>",
				"parent_id": false, "company_name": "Acme", "upper_name": "<Ann>", "display_name": "Ann",
			}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("%s = %#v, want %#v", k, r[k], v)
				}
			}
			if c := r["credit"].(*apd.Decimal); c.Text('f') != "12.345" {
				t.Errorf("credit = %s", c.Text('f'))
			}
			if pair := r["company_id"].([]any); pair[0] != co || pair[1] != "Acme" {
				t.Errorf("company_id = %v", pair)
			}
			if tags := r["tag_ids"].([]int64); len(tags) != 1 || tags[0] != tag {
				t.Errorf("tag_ids = %v", tags)
			}
			if kids := r["child_ids"].([]int64); len(kids) != 1 {
				t.Errorf("child_ids = %v", kids)
			}
			if err := env.Write(ctx, "test.partner", ids, map[string]any{"email": false, "score": 9, "tag_ids": []any{[]any{5}}}); err != nil {
				return err
			}
			recs, err = env.Read(ctx, "test.partner", ids, []string{"email", "score", "tag_ids"})
			if err != nil {
				return err
			}
			if recs[0]["email"] != false || recs[0]["score"] != int64(9) || len(recs[0]["tag_ids"].([]int64)) != 0 {
				t.Errorf("after write: %v", recs[0])
			}
			return nil
		})
		d.sudo(func(ctx context.Context, env *Env) error {
			if err := env.Unlink(ctx, "test.partner", []int64{pid}); err != nil {
				return err
			}
			_, err := env.Read(ctx, "test.partner", []int64{pid}, nil)
			var me *MissingError
			if !errors.As(err, &me) {
				t.Errorf("read after unlink: %v, want MissingError", err)
			}
			n, err := env.SearchCount(ctx, "test.partner", mustDomain([]any{}), SearchOptions{IncludeArchived: true})
			if n != 0 {
				t.Errorf("children not deleted in cascade: %d left", n)
			}
			return err
		})
	})
}
