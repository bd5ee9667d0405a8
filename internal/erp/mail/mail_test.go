package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/instant-erp/instanterp/internal/erp/erptest"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store/storetest"
)

func TestQueue(t *testing.T) {
	tn := erptest.Install(t, storetest.Engines()[0])
	cases := []struct {
		name string
		msg  mail.Message
		ok   bool
	}{
		{"plain", mail.Message{To: "ann@example.com", Subject: "Quotation S00001", Body: "<p>Hello</p>"}, true},
		{"header injection in subject", mail.Message{To: "ann@example.com", Subject: "Hi\r\nBcc: all@example.com"}, false},
		{"header injection in recipient", mail.Message{To: "ann@example.com\r\nBcc: x@example.com"}, false},
		{"not an address", mail.Message{To: "ann"}, false},
		{"script in body", mail.Message{To: "ann@example.com", Body: `<p onclick="x()">Hi</p><script>alert(1)</script>`}, true},
	}
	for _, c := range cases {
		err := tn.Try(tn.Admin, func(ctx context.Context, env *orm.Env) error {
			id, err := mail.Queue(ctx, env, c.msg)
			if err != nil {
				return err
			}
			recs, err := env.Read(ctx, mail.Model, []int64{id}, []string{"state", "body_html"})
			if err != nil {
				return err
			}
			if recs[0]["state"] != "outgoing" {
				t.Errorf("%s: state %v", c.name, recs[0]["state"])
			}
			if body, _ := recs[0]["body_html"].(string); c.name == "script in body" && (contains(body, "<script") || contains(body, "onclick")) {
				t.Errorf("%s: body kept active content: %s", c.name, body)
			}
			return nil
		})
		var ue *orm.UserError
		if c.ok && err != nil || !c.ok && !errors.As(err, &ue) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Ordinary users cannot read the queue.
	uid := tn.User("clerk@example.com", tn.MainCompany(), []int64{tn.MainCompany()}, 0, "base.group_user")
	err := tn.Try(uid, func(ctx context.Context, env *orm.Env) error {
		_, err := env.Search(ctx, mail.Model, seed.Dom(), orm.SearchOptions{})
		return err
	})
	var ae *orm.AccessError
	if !errors.As(err, &ae) {
		t.Errorf("a user read the mail queue: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
