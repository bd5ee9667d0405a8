// Package report renders quotations, sales orders, invoices and credit notes as
// PDF. Everything is read through the caller's orm.Env, so a user only prints
// what they may read; text from the database is written as plain text cells
// (never through a markup interpreter). The company's logo is printed when the
// environment reaches the tenant's filestore; a logo that cannot be printed is
// left out and logged, never a reason to refuse the document.
package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/go-pdf/fpdf"
	xdraw "golang.org/x/image/draw"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/base"
	"github.com/instant-erp/instanterp/internal/erp/money"
	"github.com/instant-erp/instanterp/internal/erp/sale"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// document is what a printed order or invoice holds.
type document struct {
	title     string
	company   []string // name then address lines
	customer  []string
	dates     [][2]string // label, value
	lines     []line
	untaxed   string
	taxes     [][2]string // tax name, amount
	total     string
	currency  string
	footer    []string
	amountDue string
	dueLabel  string
	// logo is the company's logo as PNG or JPEG (logoType), nil when it has none
	// or it cannot be printed.
	logo     []byte
	logoType string
}

type line struct {
	description, quantity, price, discount, taxes, amount string
}

// Order renders a quotation or sales order. log receives what the document is
// printed without (a logo that cannot be printed); nil discards it.
func Order(ctx context.Context, env *orm.Env, id int64, log *slog.Logger) ([]byte, error) {
	recs, err := env.Read(ctx, sale.Order, []int64{id}, []string{"name", "state", "partner_id", "date_order", "validity_date",
		"company_id", "currency_id", "amount_untaxed", "amount_tax", "amount_total", "payment_term_id", "note", "client_order_ref",
		"signed_by", "signed_on", "signature_address"})
	if err != nil {
		return nil, err
	}
	o := recs[0]
	digits, err := account.CurrencyDigits(ctx, env, account.M2O(o["currency_id"]))
	if err != nil {
		return nil, err
	}
	d := &document{title: "Quotation " + account.Str(o["name"]), currency: pairName(o["currency_id"])}
	if s := o["state"]; s == sale.StateSale || s == sale.StateCancel {
		d.title = "Order " + account.Str(o["name"])
	}
	if d.logo, d.logoType, err = companyLogo(ctx, env, account.M2O(o["company_id"]), orDiscard(log)); err != nil {
		return nil, err
	}
	if d.company, err = companyBlock(ctx, env, account.M2O(o["company_id"])); err != nil {
		return nil, err
	}
	if d.customer, err = partnerBlock(ctx, env, account.M2O(o["partner_id"])); err != nil {
		return nil, err
	}
	d.dates = append(d.dates, [2]string{"Order Date", account.Str(o["date_order"])[:min(10, len(account.Str(o["date_order"])))]})
	if v := account.Str(o["validity_date"]); v != "" {
		d.dates = append(d.dates, [2]string{"Expiration", v})
	}
	if ref := account.Str(o["client_order_ref"]); ref != "" {
		d.dates = append(d.dates, [2]string{"Your Reference", ref})
	}
	lines, err := env.SearchRead(ctx, sale.OrderLine, seed.Dom("order_id", "=", id), []string{"name", "product_id", "product_uom_qty", "price_unit",
		"discount", "tax_id", "price_subtotal"}, orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, err
	}
	byTax := map[int64]*apd.Decimal{}
	var taxOrder []int64
	taxNames := map[int64]string{}
	for _, l := range lines {
		names, err := taxLabels(ctx, env, account.IDs(l["tax_id"]), taxNames)
		if err != nil {
			return nil, err
		}
		d.lines = append(d.lines, line{description: describe(l["name"], l["product_id"]), quantity: qty(l["product_uom_qty"]),
			price: amount(l["price_unit"], digits), discount: percent(l["discount"]), taxes: names, amount: amount(l["price_subtotal"], digits)})
	}
	// Tax amounts per tax, as the order's totals were computed.
	totals, err := orderTaxes(ctx, env, id, digits)
	if err != nil {
		return nil, err
	}
	for _, t := range totals {
		if _, ok := byTax[t.Tax.ID]; !ok {
			taxOrder = append(taxOrder, t.Tax.ID)
		}
		byTax[t.Tax.ID] = t.Amount
		taxNames[t.Tax.ID] = t.Tax.Name
	}
	for _, tid := range taxOrder {
		d.taxes = append(d.taxes, [2]string{taxNames[tid], money.Format(byTax[tid], digits)})
	}
	d.untaxed, d.total = amount(o["amount_untaxed"], digits), amount(o["amount_total"], digits)
	if term := pairName(o["payment_term_id"]); term != "" {
		d.footer = append(d.footer, "Payment terms: "+term)
	}
	if note := account.Str(o["note"]); note != "" {
		d.footer = append(d.footer, note)
	}
	if signer := account.Str(o["signed_by"]); signer != "" {
		sig := "Signed by " + signer + " on " + account.Str(o["signed_on"]) + " UTC"
		if from := account.Str(o["signature_address"]); from != "" {
			sig += " from " + from
		}
		d.footer = append(d.footer, sig)
	}
	return render(d, orDiscard(log))
}

func orderTaxes(ctx context.Context, env *orm.Env, id int64, digits int) ([]account.TaxAmount, error) {
	o, err := env.Read(ctx, sale.Order, []int64{id}, []string{"company_id"})
	if err != nil {
		return nil, err
	}
	method, err := account.RoundingMethod(ctx, env, account.M2O(o[0]["company_id"]))
	if err != nil {
		return nil, err
	}
	lines, err := env.SearchRead(ctx, sale.OrderLine, seed.Dom("order_id", "=", id), []string{"product_uom_qty", "price_unit", "discount", "tax_id"}, orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, err
	}
	var in []account.LineInput
	for _, l := range lines {
		taxes, err := account.TaxSpecs(ctx, env, account.IDs(l["tax_id"]))
		if err != nil {
			return nil, err
		}
		in = append(in, account.LineInput{PriceUnit: account.Dec(l["price_unit"]), Quantity: account.Dec(l["product_uom_qty"]), Discount: account.Dec(l["discount"]), Taxes: taxes})
	}
	return account.ComputeTotals(in, digits, method).ByTax, nil
}

// Invoice renders an invoice or credit note with its payment reference. log
// receives what the document is printed without, as for Order.
func Invoice(ctx context.Context, env *orm.Env, id int64, log *slog.Logger) ([]byte, error) {
	recs, err := env.Read(ctx, account.Move, []int64{id}, []string{"name", "state", "move_type", "partner_id", "invoice_date", "invoice_date_due",
		"company_id", "currency_id", "amount_untaxed", "amount_tax", "amount_total", "amount_residual", "invoice_origin", "invoice_payment_term_id", "narration"})
	if err != nil {
		return nil, err
	}
	m := recs[0]
	if t := m["move_type"]; t != account.TypeInvoice && t != account.TypeRefund {
		return nil, &orm.UserError{Message: "only invoices and credit notes are printed"}
	}
	digits, err := account.CurrencyDigits(ctx, env, account.M2O(m["currency_id"]))
	if err != nil {
		return nil, err
	}
	name := account.Str(m["name"])
	kind := "Invoice"
	if m["move_type"] == account.TypeRefund {
		kind = "Credit Note"
	}
	switch m["state"] {
	case account.StateDraft:
		kind = "Draft " + kind
		name = ""
	case account.StateCancel:
		kind = "Cancelled " + kind
	}
	d := &document{title: strings.TrimSpace(kind + " " + name), currency: pairName(m["currency_id"])}
	if d.logo, d.logoType, err = companyLogo(ctx, env, account.M2O(m["company_id"]), orDiscard(log)); err != nil {
		return nil, err
	}
	if d.company, err = companyBlock(ctx, env, account.M2O(m["company_id"])); err != nil {
		return nil, err
	}
	if d.customer, err = partnerBlock(ctx, env, account.M2O(m["partner_id"])); err != nil {
		return nil, err
	}
	for _, f := range []struct{ label, field string }{{"Invoice Date", "invoice_date"}, {"Due Date", "invoice_date_due"}, {"Source", "invoice_origin"}} {
		if v := account.Str(m[f.field]); v != "" {
			d.dates = append(d.dates, [2]string{f.label, v})
		}
	}
	lines, err := env.SearchRead(ctx, account.MoveLine, seed.Dom("move_id", "=", id, "display_type", "=", account.LineProduct),
		[]string{"name", "product_id", "quantity", "price_unit", "discount", "tax_ids", "price_subtotal"}, orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, err
	}
	taxNames := map[int64]string{}
	for _, l := range lines {
		names, err := taxLabels(ctx, env, account.IDs(l["tax_ids"]), taxNames)
		if err != nil {
			return nil, err
		}
		d.lines = append(d.lines, line{description: describe(l["name"], l["product_id"]), quantity: qty(l["quantity"]),
			price: amount(l["price_unit"], digits), discount: percent(l["discount"]), taxes: names, amount: amount(l["price_subtotal"], digits)})
	}
	taxLines, err := env.SearchRead(ctx, account.MoveLine, seed.Dom("move_id", "=", id, "display_type", "=", account.LineTax),
		[]string{"name", "amount_currency"}, orm.SearchOptions{Order: "sequence, id"})
	if err != nil {
		return nil, err
	}
	for _, t := range taxLines {
		d.taxes = append(d.taxes, [2]string{account.Str(t["name"]), money.Format(money.Abs(account.Dec(t["amount_currency"])), digits)})
	}
	d.untaxed, d.total = amount(m["amount_untaxed"], digits), amount(m["amount_total"], digits)
	if m["state"] == account.StatePosted {
		d.dueLabel, d.amountDue = "Amount Due", amount(m["amount_residual"], digits)
		if m["move_type"] == account.TypeInvoice {
			d.footer = append(d.footer, "Please use the following communication for your payment: "+name)
		}
	}
	if term := pairName(m["invoice_payment_term_id"]); term != "" {
		d.footer = append(d.footer, "Payment terms: "+term)
	}
	if note := account.Str(m["narration"]); note != "" {
		d.footer = append(d.footer, note)
	}
	return render(d, orDiscard(log))
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

func pairName(v any) string {
	if p, ok := v.([]any); ok && len(p) == 2 {
		s, _ := p[1].(string)
		return s
	}
	return ""
}

func describe(name, product any) string {
	if s := account.Str(name); s != "" {
		return s
	}
	return pairName(product)
}

func qty(v any) string {
	return account.Dec(v).Text('f')
}

func percent(v any) string {
	d := account.Dec(v)
	if d.IsZero() {
		return ""
	}
	return d.Text('f')
}

func amount(v any, digits int) string { return money.Format(account.Dec(v), digits) }

func taxLabels(ctx context.Context, env *orm.Env, ids []int64, cache map[int64]string) (string, error) {
	var names []string
	for _, id := range ids {
		if _, ok := cache[id]; !ok {
			r, err := env.Sudo().Read(ctx, account.Tax, []int64{id}, []string{"name"})
			if err != nil {
				return "", err
			}
			cache[id] = account.Str(r[0]["name"])
		}
		names = append(names, cache[id])
	}
	return strings.Join(names, ", "), nil
}

func companyBlock(ctx context.Context, env *orm.Env, id int64) ([]string, error) {
	c, err := env.Sudo().Read(ctx, "res.company", []int64{id}, []string{"name", "partner_id", "email", "phone", "vat"})
	if err != nil {
		return nil, err
	}
	out := []string{account.Str(c[0]["name"])}
	if p := account.M2O(c[0]["partner_id"]); p != 0 {
		addr, err := partnerBlock(ctx, env.Sudo(), p)
		if err != nil {
			return nil, err
		}
		out = append(out, addr[1:]...)
	}
	for _, f := range []string{"email", "phone"} {
		if v := account.Str(c[0][f]); v != "" {
			out = append(out, v)
		}
	}
	if v := account.Str(c[0]["vat"]); v != "" {
		out = append(out, "Tax ID: "+v)
	}
	return out, nil
}

// companyLogo returns the logo of company id ready for the PDF (printableLogo).
// The logo is read as the system, like the company's address: the caller
// passes the company of a document the user may read. An environment without
// the tenant's filestore and a company without a logo print no logo; a stored
// logo that is missing from the filestore, damaged or not an image is logged
// and the document printed without it. Only a failure of the database is an
// error.
func companyLogo(ctx context.Context, env *orm.Env, id int64, log *slog.Logger) ([]byte, string, error) {
	if env.Filestore() == nil || id == 0 {
		return nil, "", nil
	}
	c, err := env.Sudo().Read(ctx, "res.company", []int64{id}, []string{"logo"})
	if errors.Is(err, orm.ErrDamagedFile) {
		log.WarnContext(ctx, "document printed without its company's logo", "company", id, "error", err)
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("logo of company %d: %w", id, err)
	}
	s, _ := c[0]["logo"].(string)
	if s == "" {
		return nil, "", nil
	}
	var logo []byte
	var imageType string
	data, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		logo, imageType, err = printableLogo(data)
	}
	if err != nil {
		log.WarnContext(ctx, "document printed without its company's logo", "company", id, "error", err)
		return nil, "", nil
	}
	return logo, imageType, nil
}

// printableLogo turns a stored logo into an image the PDF writer embeds. It is
// checked and decoded as an upload is (base.DecodeImage); a JPEG is then kept
// as it is, and a PNG or WebP written again as an 8-bit, non-interlaced PNG, the
// only PNG the PDF writer reads (WebP it does not read at all), no larger than
// the logo's box at 300 dpi and with its transparency.
func printableLogo(data []byte) (logo []byte, imageType string, err error) {
	img, ct, err := base.DecodeImage(data)
	if err != nil {
		return nil, "", err
	}
	switch ct {
	case base.ImageJPEG:
		return data, "JPG", nil
	case base.ImagePNG, base.ImageWebP:
	default:
		return nil, "", fmt.Errorf("a %s logo is not printed", ct)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, fitLogo(img)); err != nil {
		return nil, "", fmt.Errorf("encode the logo as PNG: %w", err)
	}
	return buf.Bytes(), "PNG", nil
}

// The logo's box on the page, 40 × 20 mm, in pixels at 300 dpi: a larger logo
// is scaled down to it, so that an accepted 4096 × 4096 image is not written
// out, compressed and embedded in full on every document.
const (
	logoBoxWidth  = 472
	logoBoxHeight = 236
)

// fitLogo returns img as 8-bit RGBA with alpha, scaled down to fit the logo's
// box when it is larger.
func fitLogo(img image.Image) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= logoBoxWidth && h <= logoBoxHeight {
		flat := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(flat, flat.Bounds(), img, b.Min, draw.Src)
		return flat
	}
	scale := min(float64(logoBoxWidth)/float64(w), float64(logoBoxHeight)/float64(h))
	fit := image.NewNRGBA(image.Rect(0, 0, max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))))
	// The scaler's kernel spreads over every source pixel under a target
	// pixel, a second of work for a 4096-pixel image: blocks of pixels are
	// first averaged down to no less than twice the target's size.
	src := image.Image(img)
	if factor := min(int(1/(2*scale)), w, h); factor >= 2 {
		src = shrink(img, factor)
	}
	xdraw.CatmullRom.Scale(fit, fit.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	return fit
}

// shrink averages blocks of factor × factor pixels of img (a box filter, on
// premultiplied colours so that transparent pixels lend no colour). The last
// columns and rows that do not fill a block, fewer than factor, are left out.
// img is converted one band of rows at a time, never whole.
func shrink(img image.Image, factor int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx()/factor, b.Dy()/factor
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	band := image.NewRGBA(image.Rect(0, 0, w*factor, factor))
	area := uint32(factor * factor)
	sums := make([]uint32, 4*w)
	for y := 0; y < h; y++ {
		draw.Draw(band, band.Bounds(), img, image.Pt(b.Min.X, b.Min.Y+y*factor), draw.Src)
		clear(sums)
		for row := 0; row < factor; row++ {
			pix := band.Pix[row*band.Stride : row*band.Stride+4*w*factor]
			for x := 0; x < w; x++ {
				sum := sums[4*x : 4*x+4]
				for p := pix[4*x*factor : 4*(x+1)*factor]; len(p) >= 4; p = p[4:] {
					sum[0] += uint32(p[0])
					sum[1] += uint32(p[1])
					sum[2] += uint32(p[2])
					sum[3] += uint32(p[3])
				}
			}
		}
		dst := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for i, sum := range sums {
			dst[i] = uint8((sum + area/2) / area)
		}
	}
	return out
}

// partnerBlock is a partner's name and postal address. The partner is read as the
// system: a document the user may read shows its customer's address.
func partnerBlock(ctx context.Context, env *orm.Env, id int64) ([]string, error) {
	if id == 0 {
		return nil, nil
	}
	p, err := env.Sudo().Read(ctx, "res.partner", []int64{id}, []string{"name", "street", "street2", "zip", "city", "country_id", "vat", "commercial_partner_id"})
	if err != nil {
		return nil, err
	}
	r := p[0]
	name := account.Str(r["name"])
	if c := account.M2O(r["commercial_partner_id"]); c != 0 && c != id {
		name = pairName(r["commercial_partner_id"]) + ", " + name
	}
	out := []string{name}
	for _, f := range []string{"street", "street2"} {
		if v := account.Str(r[f]); v != "" {
			out = append(out, v)
		}
	}
	if city := strings.TrimSpace(account.Str(r["zip"]) + " " + account.Str(r["city"])); city != "" {
		out = append(out, city)
	}
	if c := pairName(r["country_id"]); c != "" {
		out = append(out, c)
	}
	if v := account.Str(r["vat"]); v != "" {
		out = append(out, "Tax ID: "+v)
	}
	return out, nil
}

// render lays the document out on A4 pages with the core Helvetica font; text is
// converted to the font's code page, characters it lacks become '?'. A logo the
// PDF writer refuses is logged and the document laid out again without it (the
// writer's error cannot be taken back).
func render(d *document, log *slog.Logger) ([]byte, error) {
	pdf := newPage(d)
	if d.logo != nil {
		if err := placeLogo(pdf, d.logo, d.logoType); err != nil {
			log.Warn("document printed without its company's logo", "document", d.title, "error", err)
			pdf = newPage(d)
		}
	}
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	text := func(s string) string { return tr(strings.Map(printable, s)) }

	pdf.SetFont("Helvetica", "B", 12)
	for i, l := range d.company {
		if i == 1 {
			pdf.SetFont("Helvetica", "", 9)
		}
		pdf.CellFormat(0, 5, text(l), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 10)
	for _, l := range d.customer {
		pdf.CellFormat(90, 5, "", "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 5, text(l), "", 1, "L", false, 0, "")
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 9, text(d.title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	for _, kv := range d.dates {
		pdf.CellFormat(35, 5, text(kv[0]+":"), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 5, text(kv[1]), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)

	widths := []float64{70, 18, 25, 14, 23, 30}
	heads := []string{"Description", "Quantity", "Unit Price", "Disc.%", "Taxes", "Amount"}
	aligns := []string{"L", "R", "R", "R", "L", "R"}
	pdf.SetFont("Helvetica", "B", 9)
	for i, h := range heads {
		pdf.CellFormat(widths[i], 7, h, "B", 0, aligns[i], false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range d.lines {
		cells := []string{l.description, l.quantity, l.price, l.discount, l.taxes, l.amount}
		// The description wraps; the other cells stay on its first line.
		x, y := pdf.GetX(), pdf.GetY()
		pdf.MultiCell(widths[0], 5, text(l.description), "", "L", false)
		end := pdf.GetY()
		pdf.SetXY(x+widths[0], y)
		for i := 1; i < len(cells); i++ {
			pdf.CellFormat(widths[i], 5, text(cells[i]), "", 0, aligns[i], false, 0, "")
		}
		pdf.SetXY(x, max(end, y+5))
	}
	pdf.Ln(3)
	total := func(label, value string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(110, 6, "", "", 0, "L", false, 0, "")
		pdf.CellFormat(40, 6, text(label), "T", 0, "L", false, 0, "")
		pdf.CellFormat(30, 6, text(value+" "+d.currency), "T", 1, "R", false, 0, "")
	}
	total("Untaxed Amount", d.untaxed, false)
	for _, t := range d.taxes {
		total(t[0], t[1], false)
	}
	total("Total", d.total, true)
	if d.dueLabel != "" {
		total(d.dueLabel, d.amountDue, false)
	}
	pdf.Ln(6)
	pdf.SetFont("Helvetica", "", 9)
	for _, f := range d.footer {
		pdf.MultiCell(0, 5, text(f), "", "L", false)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render %s: %w", d.title, err)
	}
	return buf.Bytes(), nil
}

// newPage starts the document's PDF at its first page.
func newPage(d *document) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreator("Instant-ERP", true)
	pdf.SetTitle(d.title, true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddPage()
	return pdf
}

// placeLogo puts the logo at the top right, 40 mm wide at most and 20 mm high,
// above the address lines.
func placeLogo(pdf *fpdf.Fpdf, logo []byte, imageType string) error {
	opts := fpdf.ImageOptions{ImageType: imageType, ReadDpi: false}
	info := pdf.RegisterImageOptionsReader("logo", opts, bytes.NewReader(logo))
	if pdf.Err() {
		return fmt.Errorf("logo: %w", pdf.Error())
	}
	w, h := info.Width(), info.Height()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("logo: %g×%g", w, h)
	}
	scale := min(40/w, 20/h)
	pdf.ImageOptions("logo", 195-w*scale, 15, w*scale, h*scale, false, opts, 0, "")
	if pdf.Err() {
		return fmt.Errorf("logo: %w", pdf.Error())
	}
	return nil
}

// printable drops control characters other than newlines and tabs.
func printable(r rune) rune {
	if r == '\n' || r == '\t' || r >= 0x20 && r != 0x7f {
		return r
	}
	return -1
}
