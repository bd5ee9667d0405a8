package webui

import (
	"strconv"

	"github.com/cockroachdb/apd/v3"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/orm"
)

type dashboardCard struct {
	App, URL string
	Figures  []figureValue
	Reports  []crumb
}

type figureValue struct {
	Label, Value string
}

// home is the start page: one card per application the user may open, with its
// figures (counts and sums), each computed as the user through the ORM.
func (u *UI) home(rq *request) error {
	var cards []dashboardCard
	for _, app := range u.apps(rq) {
		card := dashboardCard{App: app.Label, URL: app.URL, Reports: u.appReports(rq, app.Label)}
		for _, v := range u.viewsOfApp(app.Label) {
			if !canRead(rq, v.Model) {
				continue
			}
			for _, fg := range v.Figures {
				val, err := u.figure(rq, v, fg)
				if err != nil {
					return err
				}
				card.Figures = append(card.Figures, figureValue{Label: fg.Label, Value: val})
			}
		}
		cards = append(cards, card)
	}
	return rq.page(u, 200, "home", &page{Title: "Start", Content: cards})
}

func (u *UI) figure(rq *request, v *View, fg Figure) (string, error) {
	extra, err := domain.FromValue(fg.Domain, domain.Limits{})
	if err != nil {
		return "", err
	}
	dom := domain.AndAll(v.domain, extra)
	if fg.Sum == "" {
		n, err := rq.env.SearchCount(rq.ctx, v.Model, dom, orm.SearchOptions{})
		return strconv.FormatInt(n, 10), err
	}
	// A sum is a read_group over one group per company, added up.
	groups, err := rq.env.ReadGroup(rq.ctx, v.Model, dom, []string{fg.Sum + ":sum"}, []string{"company_id"}, orm.GroupOptions{})
	if err != nil {
		return "", err
	}
	var total *apd.Decimal
	for _, g := range groups {
		total = addDecimal(total, g[fg.Sum])
	}
	if total == nil {
		total = apd.New(0, 0)
	}
	return formatDecimal(total), nil
}
