package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/instant-erp/instanterp/internal/domain"
	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/portal"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

// A posted invoice is mailed to its customer with a link that opens it, what
// is due and the payment reference, and is marked sent; drafts, customers
// without an address and a request without the company's address are refused
// with nothing queued.
func TestSendInvoice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		b := newBooks(t, e)
		base := orm.WithBaseURL(context.Background(), "https://acme.example.com")
		var draft, posted int64
		err := b.As(b.Admin, func(ctx context.Context, env *orm.Env) error {
			var err error
			if draft, err = b.invoice(ctx, env, "100", 1, nil); err != nil {
				return err
			}
			if posted, err = b.invoice(ctx, env, "100", 2, nil); err != nil {
				return err
			}
			return account.Post(ctx, env, []int64{posted})
		})
		if err != nil {
			t.Fatal(err)
		}
		mails := func() int {
			n := 0
			b.Sudo(func(ctx context.Context, env *orm.Env) error {
				c, err := env.SearchCount(ctx, "mail.mail", domain.Domain{}, orm.SearchOptions{})
				n = int(c)
				return err
			})
			return n
		}
		refused := []struct {
			name string
			ctx  context.Context
			id   int64
			prep func(ctx context.Context, env *orm.Env) error
		}{
			{"a draft", base, draft, nil},
			{"without the company's address", context.Background(), posted, nil},
			{"a customer without an email address", base, posted, func(ctx context.Context, env *orm.Env) error {
				return env.Write(ctx, "res.partner", []int64{b.customer}, map[string]any{"email": false})
			}},
		}
		for _, r := range refused {
			before := mails()
			err := b.As(b.Admin, func(_ context.Context, env *orm.Env) error {
				if r.prep != nil {
					if err := r.prep(r.ctx, env); err != nil {
						return err
					}
				}
				_, err := account.SendInvoice(r.ctx, env, []int64{r.id}, time.Now())
				return err
			})
			var refusal *orm.UserError
			if !errors.As(err, &refusal) || mails() != before {
				t.Errorf("%s: %v, %d mails queued", r.name, err, mails()-before)
			}
		}

		now := time.Now()
		err = b.As(b.Admin, func(_ context.Context, env *orm.Env) error {
			if err := env.Write(base, "res.partner", []int64{b.customer}, map[string]any{"email": "ap@deco.example"}); err != nil {
				return err
			}
			ids, err := account.SendInvoice(base, env, []int64{posted}, now)
			if err != nil {
				return err
			}
			m, err := env.Read(base, "mail.mail", ids, []string{"email_to", "subject", "body_html", "model", "res_id"})
			if err != nil {
				return err
			}
			body, _ := m[0]["body_html"].(string)
			for _, want := range []string{"230.00 USD", "https://acme.example.com/my/invoices/", "INV/"} {
				if !strings.Contains(body, want) {
					t.Errorf("mail lacks %q:\n%s", want, body)
				}
			}
			if !strings.HasPrefix(m[0]["subject"].(string), "Invoice INV/") || m[0]["res_id"] != posted {
				t.Errorf("mail %v", m[0])
			}
			i := strings.Index(body, "access_token=")
			token := body[i+len("access_token="):]
			token = token[:strings.IndexAny(token, `"&`)]
			if err := portal.Verify(base, env, account.Move, posted, token, now); err != nil {
				t.Errorf("the link's token does not open the invoice: %v", err)
			}
			sent := readMove(t, base, env, posted, "is_move_sent")
			if sent["is_move_sent"] != true {
				t.Errorf("the invoice is not marked sent")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
