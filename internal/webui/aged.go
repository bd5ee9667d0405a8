package webui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"time"

	"github.com/cockroachdb/apd/v3"

	erpaccount "github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/orm"
)

// agedSlug is the address of the aged receivables screen, under Invoicing.
const agedSlug = "aged-receivables"

// agedLabels head the columns of erpaccount.AgedBuckets, in order.
var agedLabels = [5]string{"Not due", "1–30 days", "31–60 days", "61–90 days", "Older"}

type agedView struct {
	Date    string
	CSVURL  string
	Labels  [5]string
	Rows    []agedRowView
	Buckets [5]string // column totals
	Total   string
	Error   string
}

type agedRowView struct {
	Name    string
	URL     string // the customer's open invoices
	Buckets [5]string
	Total   string
}

// agedReceivables shows what customers owe on a date, by how late it is: the
// report of erpaccount.AgedReceivables, computed as the user (so only the items
// their rules let them read), with totals and a CSV download.
func (u *UI) agedReceivables(rq *request) error {
	invoices, ok := u.views["invoices"]
	if !ok || !canRead(rq, erpaccount.MoveLine) {
		return errNotFound
	}
	q := rq.r.URL.Query()
	date := q.Get("date")
	status := 200
	data := &agedView{Labels: agedLabels}
	if date == "" {
		date = rq.env.Now().In(rq.env.Location()).Format(orm.DateLayout)
	} else if _, err := time.Parse(orm.DateLayout, date); err != nil || len(date) != len(orm.DateLayout) {
		data.Error = "Enter the date as YYYY-MM-DD."
		date = rq.env.Now().In(rq.env.Location()).Format(orm.DateLayout)
		status = 422
	}
	data.Date = date
	data.CSVURL = "/odoo/" + agedSlug + "?" + url.Values{"date": {date}, "format": {"csv"}}.Encode()
	rows, err := erpaccount.AgedReceivables(rq.ctx, rq.env, date)
	if err != nil {
		return err
	}
	if q.Get("format") == "csv" && data.Error == "" {
		return u.agedCSV(rq, date, rows)
	}
	var cols [5]*apd.Decimal
	for i := range cols {
		cols[i] = money.Zero()
	}
	total := money.Zero()
	for _, r := range rows {
		rv := agedRowView{Name: r.PartnerName, Total: formatDecimal(r.Total)}
		if rv.Name == "" {
			rv.Name = "No customer"
		}
		if r.PartnerID != 0 {
			rv.URL = "/odoo/" + invoices.Slug + "?" + url.Values{"f": {"unpaid"}, "gf": {"partner_id"}, "gv": {fmt.Sprint(r.PartnerID)}}.Encode()
		}
		for i, b := range r.Buckets {
			rv.Buckets[i] = formatDecimal(b)
			cols[i] = money.Add(cols[i], b)
		}
		total = money.Add(total, r.Total)
		data.Rows = append(data.Rows, rv)
	}
	for i, c := range cols {
		data.Buckets[i] = formatDecimal(c)
	}
	data.Total = formatDecimal(total)
	crumbs := []crumb{{Label: invoices.App, URL: "/odoo/" + invoices.Slug}, {Label: "Aged receivables"}}
	return rq.page(u, status, "aged", &page{Title: "Aged receivables", Active: appSlug(u, invoices), Crumbs: crumbs, Content: data})
}

// agedCSV downloads the report: amounts as plain numbers, names guarded against
// being read as formulas.
func (u *UI) agedCSV(rq *request, date string, rows []erpaccount.AgedRow) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := append([]string{"partner_id", "customer"}, agedLabels[:]...)
	w.Write(append(header, "total"))
	for _, r := range rows {
		line := []string{fmt.Sprint(r.PartnerID), neutraliseFormula(r.PartnerName)}
		for _, b := range r.Buckets {
			line = append(line, formatDecimal(b))
		}
		w.Write(append(line, formatDecimal(r.Total)))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("aged receivables csv: %w", err)
	}
	name := "aged-receivables-" + date + ".csv"
	rq.send("text/csv; charset=utf-8", buf.Bytes(), "Content-Disposition", `attachment; filename="`+name+`"`)
	return nil
}

// appReports are the report screens shown on an app's dashboard card.
func (u *UI) appReports(rq *request, app string) []crumb {
	if v, ok := u.views["invoices"]; ok && v.App == app && canRead(rq, erpaccount.MoveLine) {
		return []crumb{{Label: "Aged receivables", URL: "/odoo/" + agedSlug}}
	}
	return nil
}
