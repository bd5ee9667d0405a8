package mail

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Model names of the change history.
const (
	MessageModel  = "mail.message"
	TrackingModel = "mail.tracking.value"
)

// Message types.
const (
	TypeComment      = "comment"      // a note written by a user
	TypeNotification = "notification" // written by the system: tracked changes, state changes
)

// Bounds of what a note and a history page hold.
const (
	MaxNoteRunes = 10000
	// MaxHistory is how many messages History returns, newest first.
	MaxHistory = 200
	// maxValueRunes bounds the text kept of a tracked value (a long description).
	maxValueRunes = 500
)

func historyModels() []*orm.Model {
	return []*orm.Model{{
		Name: MessageModel, Description: "Message", Order: "id desc",
		Fields: []*orm.Field{
			{Name: "model", Type: orm.Char, String: "Related Document Model", Required: true, Index: true, Size: 64},
			{Name: "res_id", Type: orm.Integer, String: "Related Document ID", Required: true, Index: true},
			{Name: "body", Type: orm.HTML, String: "Contents"},
			{Name: "author_id", Type: orm.Many2one, Comodel: "res.partner", String: "Author", OnDelete: orm.SetNull},
			{Name: "date", Type: orm.Datetime, Required: true},
			{Name: "message_type", Type: orm.Selection, Required: true, Default: TypeNotification, Selection: []orm.SelectionOption{
				{Value: TypeComment, Label: "Comment"}, {Value: TypeNotification, Label: "System notification"}}},
			{Name: "tracking_value_ids", Type: orm.One2many, Comodel: TrackingModel, InverseName: "mail_message_id", String: "Tracking values"},
		},
	}, {
		Name: TrackingModel, Description: "Mail Tracking Value", Order: "id",
		Fields: []*orm.Field{
			{Name: "mail_message_id", Type: orm.Many2one, Comodel: MessageModel, Required: true, OnDelete: orm.Cascade, Index: true},
			{Name: "field", Type: orm.Char, Required: true, Size: 64, String: "Changed Field"},
			{Name: "field_desc", Type: orm.Char, String: "Field Description"},
			{Name: "old_value_char", Type: orm.Text, String: "Old Value"},
			{Name: "new_value_char", Type: orm.Text, String: "New Value"},
		},
	}}
}

// trackedByMail are fields of other modules' models whose changes the history
// records; the sales module declares its own fields Tracked.
var trackedByMail = []struct {
	model  string
	fields []string
}{
	{"res.partner", []string{"name", "email", "phone", "vat", "parent_id", "company_id", "active"}},
	{"product.template", []string{"name", "default_code", "type", "list_price", "standard_price", "active"}},
	{"account.move", []string{"state", "partner_id", "invoice_date", "invoice_date_due", "invoice_user_id", "payment_state", "amount_total"}},
}

func registerHistory(reg *orm.Registry) error {
	for _, m := range historyModels() {
		if err := reg.Define(m); err != nil {
			return err
		}
	}
	for _, t := range trackedByMail {
		if err := reg.Track(t.model, t.fields...); err != nil {
			return err
		}
	}
	return reg.SetTracker(track)
}

// track writes one notification per changed record, with a tracking value per
// field, as the system in the transaction of the change. The author is the user
// who made it.
func track(ctx context.Context, env *orm.Env, recs []orm.TrackedRecord) error {
	now := env.Now().Format(orm.DatetimeLayout)
	author := authorOf(env)
	vals := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		lines := make([]any, 0, len(r.Changes))
		for _, c := range r.Changes {
			lines = append(lines, []any{0, 0, map[string]any{
				"field": c.Field.Name, "field_desc": c.Field.Label(),
				"old_value_char": valueText(c.Field, c.Old), "new_value_char": valueText(c.Field, c.New)}})
		}
		vals = append(vals, map[string]any{"model": r.Model.Name, "res_id": r.ID, "date": now, "author_id": author,
			"message_type": TypeNotification, "tracking_value_ids": lines})
	}
	if _, err := env.Sudo().Create(ctx, MessageModel, vals); err != nil {
		return fmt.Errorf("record changes: %w", err)
	}
	return nil
}

func authorOf(env *orm.Env) any {
	if p := env.Identity().PartnerID; p != 0 {
		return p
	}
	return nil
}

// valueText renders a value as Read returns it for the history: a many2one by its
// name, a selection by its label, an empty value as "".
func valueText(f *orm.Field, v any) string {
	var s string
	switch x := v.(type) {
	case nil:
	case bool:
		switch {
		case f.Type == orm.Boolean && x:
			s = "Yes"
		case f.Type == orm.Boolean:
			s = "No"
		}
	case []any:
		if len(x) == 2 {
			s = fmt.Sprint(x[1])
		}
	case string:
		s = x
		if f.Type == orm.Selection {
			for _, o := range f.Selection {
				if o.Value == x {
					s = o.Label
				}
			}
		}
	case interface{ Text(byte) string }: // exact decimals
		s = x.Text('f')
	default:
		s = fmt.Sprint(x)
	}
	if utf8.RuneCountInString(s) > maxValueRunes {
		s = string([]rune(s)[:maxValueRunes]) + "…"
	}
	return s
}

// Post records a message on the record res_id of model, as the user of env, who
// must be able to read the record. The text is plain: it is escaped here and kept
// as paragraphs. It returns the message id.
func Post(ctx context.Context, env *orm.Env, model string, resID int64, text string) (int64, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case text == "":
		return 0, &orm.UserError{Message: "the note is empty"}
	case !utf8.ValidString(text):
		return 0, &orm.UserError{Message: "the note is not valid text"}
	case utf8.RuneCountInString(text) > MaxNoteRunes:
		return 0, &orm.UserError{Message: fmt.Sprintf("a note holds at most %d characters", MaxNoteRunes)}
	}
	if err := canRead(ctx, env, model, resID); err != nil {
		return 0, err
	}
	return insert(ctx, env, model, resID, TypeComment, textHTML(text))
}

// Notify records a system message (a state change and who made it, say) on a
// record. Callers have established the right to change the record.
func Notify(ctx context.Context, env *orm.Env, model string, resID int64, text string) (int64, error) {
	return insert(ctx, env, model, resID, TypeNotification, textHTML(text))
}

func insert(ctx context.Context, env *orm.Env, model string, resID int64, kind, body string) (int64, error) {
	ids, err := env.Sudo().Create(ctx, MessageModel, []map[string]any{{"model": model, "res_id": resID, "body": body,
		"message_type": kind, "author_id": authorOf(env), "date": env.Now().Format(orm.DatetimeLayout)}})
	if err != nil {
		return 0, fmt.Errorf("post message on %s %d: %w", model, resID, err)
	}
	return ids[0], nil
}

// textHTML turns plain text into escaped paragraphs.
func textHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// canRead proves the user of env may read the record, through the ORM (rights
// and record rules): the history of a record is visible exactly when the record is.
func canRead(ctx context.Context, env *orm.Env, model string, resID int64) error {
	if _, ok := env.Registry().Model(model); !ok || model == MessageModel || model == TrackingModel {
		return &orm.UserError{Message: fmt.Sprintf("%q has no history", model)}
	}
	if resID <= 0 {
		return &orm.MissingError{Model: model, IDs: []int64{resID}}
	}
	if _, err := env.Read(ctx, model, []int64{resID}, []string{"id"}); err != nil {
		return err
	}
	return nil
}

// Entry is one message of a record's history.
type Entry struct {
	ID      int64
	Type    string
	Body    string // sanitised HTML (render it through the rich-text path)
	Author  string
	Date    time.Time
	Changes []Change
}

// Change is one tracked field's old and new value, as text.
type Change struct {
	Field, Label, Old, New string
}

// History returns the newest messages of a record, newest first, after checking
// through the ORM that the user of env may read the record itself. The messages
// are read as the system: their access is the record's.
func History(ctx context.Context, env *orm.Env, model string, resID int64) ([]Entry, error) {
	if err := canRead(ctx, env, model, resID); err != nil {
		return nil, err
	}
	su := env.Sudo()
	msgs, err := su.SearchRead(ctx, MessageModel, seed.Dom("model", "=", model, "res_id", "=", resID),
		[]string{"message_type", "body", "author_id", "date"}, orm.SearchOptions{Order: "id desc", Limit: MaxHistory})
	if err != nil {
		return nil, fmt.Errorf("read history of %s %d: %w", model, resID, err)
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	ids := make([]any, len(msgs))
	for i, m := range msgs {
		ids[i] = m["id"]
	}
	vals, err := su.SearchRead(ctx, TrackingModel, seed.Dom("mail_message_id", "in", ids),
		[]string{"mail_message_id", "field", "field_desc", "old_value_char", "new_value_char"}, orm.SearchOptions{Order: "id"})
	if err != nil {
		return nil, fmt.Errorf("read tracked values of %s %d: %w", model, resID, err)
	}
	changes := map[int64][]Change{}
	for _, v := range vals {
		mid := v["mail_message_id"].([]any)[0].(int64)
		changes[mid] = append(changes[mid], Change{Field: str(v["field"]), Label: str(v["field_desc"]),
			Old: str(v["old_value_char"]), New: str(v["new_value_char"])})
	}
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		id := m["id"].(int64)
		e := Entry{ID: id, Type: str(m["message_type"]), Body: str(m["body"]), Changes: changes[id]}
		if a, ok := m["author_id"].([]any); ok && len(a) == 2 {
			e.Author = fmt.Sprint(a[1])
		}
		if d, err := time.Parse(orm.DatetimeLayout, str(m["date"])); err == nil {
			e.Date = d
		}
		out = append(out, e)
	}
	return out, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// installHistory grants the history tables to administrators only: everyone
// else reaches a record's messages through History and Post, which check the
// record itself.
func installHistory(ctx context.Context, env *orm.Env) error {
	return seed.Rights(ctx, env, "mail", []seed.Right{
		{Model: MessageModel, Group: "base.group_system", Perms: "r"},
		{Model: TrackingModel, Group: "base.group_system", Perms: "r"},
	})
}
