package orm

import (
	"context"
	"fmt"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestReadGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		d := openTestDB(t, e)
		ids := seedPartners(t, d)
		d.sudo(func(ctx context.Context, env *Env) error {
			groups, err := env.ReadGroup(ctx, "test.partner", domain.Domain{}, []string{"score:sum", "credit:sum", "ratio:max", "avg_score:avg(score)"}, []string{"company_id"}, GroupOptions{})
			if err != nil {
				return err
			}
			got := ""
			for _, g := range groups {
				name := "none"
				if pair, ok := g["company_id"].([]any); ok {
					name = pair[1].(string)
				}
				got += fmt.Sprintf("%s n=%v score=%v avg=%v credit=%s; ", name, g["__count"], g["score"], g["avg_score"], g["credit"].(*apd.Decimal).Text('f'))
			}
			want := "Company One n=2 score=11 avg=5.5 credit=105.50; Company Two n=2 score=5 avg=2.5 credit=0; none n=1 score=0 avg=false credit=0; "
			if got != want {
				t.Errorf("by company:\n got %s\nwant %s", got, want)
			}
			// __domain selects the group's records.
			dom, err := domain.FromValue(groups[0]["__domain"], domain.Limits{})
			if err != nil {
				return err
			}
			n, err := env.SearchCount(ctx, "test.partner", dom, SearchOptions{})
			if err != nil || n != 2 {
				t.Errorf("group domain selects %d records (%v)", n, err)
			}

			byYear, err := env.ReadGroup(ctx, "test.partner", domain.Domain{}, []string{"__count"}, []string{"birthday:year", "is_company"}, GroupOptions{Order: "__count desc, birthday:year"})
			if err != nil {
				return err
			}
			got = ""
			for _, g := range byYear {
				got += fmt.Sprintf("%v/%v=%v ", g["birthday:year"], g["is_company"], g["__count"])
			}
			if want := "false/false=3 1999/false=1 2000/true=1 "; got != want {
				t.Errorf("by year:\n got %s\nwant %s", got, want)
			}
			for gran, want := range map[string]int{"day": 2, "week": 1, "month": 2, "quarter": 2, "year": 2} {
				gs, err := env.ReadGroup(ctx, "test.partner", mustDomain([]any{[]any{"birthday", "!=", false}}), nil, []string{"birthday:" + gran}, GroupOptions{})
				if err != nil {
					return err
				}
				if len(gs) != want {
					t.Errorf("%s: %d groups, want %d", gran, len(gs), want)
				}
			}
			week, err := env.ReadGroup(ctx, "test.partner", mustDomain([]any{[]any{"id", "=", ids["alice"]}}), nil, []string{"birthday:week"}, GroupOptions{})
			if err != nil {
				return err
			}
			// 1999-12-31 is a Friday in ISO week 52 of 1999, which starts on Monday 27 December.
			if week[0]["birthday:week"] != "W52 1999" || week[0]["__range"].(map[string]any)["birthday:week"].(map[string]any)["from"] != "1999-12-27" {
				t.Errorf("week group: %v", week[0])
			}
			return nil
		})
		for _, bad := range [][]string{{"nope"}, {"tag_ids"}, {"name:month"}, {"birthday:fortnight"}, {"salary); DROP TABLE x;--"}} {
			err := d.run(Identity{}, true, func(ctx context.Context, env *Env) error {
				_, err := env.ReadGroup(ctx, "test.partner", domain.Domain{}, nil, bad, GroupOptions{})
				return err
			})
			if err == nil {
				t.Errorf("group by %v accepted", bad)
			}
		}
	})
}
