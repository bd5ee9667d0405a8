package sale

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/instant-erp/instanterp/internal/erp/account"
	"github.com/instant-erp/instanterp/internal/erp/mail"
	"github.com/instant-erp/instanterp/internal/erp/seed"
	"github.com/instant-erp/instanterp/internal/orm"
)

// Bounds of a signature.
const (
	MaxSignatureName    = 128
	maxSignatureAddress = 64 // an IPv6 address with zone fits
)

// Signature is a customer's acceptance of a quotation: the name typed as
// signature, when, and the address it came from.
type Signature struct {
	Name    string
	At      time.Time
	Address string
}

func (s Signature) check() error {
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "" || !utf8.ValidString(s.Name) || utf8.RuneCountInString(s.Name) > MaxSignatureName:
		return &orm.UserError{Message: fmt.Sprintf("type your full name to sign (at most %d characters)", MaxSignatureName)}
	case strings.ContainsAny(s.Name, "\r\n\x00"):
		return &orm.UserError{Message: "a signature is one line"}
	case len(s.Address) > maxSignatureAddress:
		return &orm.UserError{Message: "the signing address is too long"}
	case s.At.IsZero():
		return &orm.UserError{Message: "a signature needs its time"}
	}
	return nil
}

// ConfirmSigned confirms a quotation the customer accepted and signed: the
// signature goes into the order's history with the confirmation (so the order's
// signed_by, signed_on and signature_address follow, and nothing else can set
// them), and a message records it in the change history.
func ConfirmSigned(ctx context.Context, env *orm.Env, id int64, sig Signature) error {
	sig.Name = strings.TrimSpace(sig.Name)
	if err := sig.check(); err != nil {
		return err
	}
	if err := confirm(ctx, env, []int64{id}, &sig); err != nil {
		return err
	}
	text := fmt.Sprintf("Signed and accepted by %s on %s UTC", sig.Name, sig.At.UTC().Format("2006-01-02 15:04"))
	if sig.Address != "" {
		text += " from " + sig.Address
	}
	if _, err := mail.Notify(ctx, env, Order, id, text+"."); err != nil {
		return err
	}
	return nil
}

// computeSignature mirrors one signature field of the latest signed history entry.
func computeSignature(field string) orm.ComputeFunc {
	return func(ctx context.Context, env *orm.Env, ids []int64) (map[int64]any, error) {
		logs, err := env.SearchReadValues(ctx, OrderLog, seed.Dom("order_id", "in", ids, "signed_by", "!=", false),
			[]string{"order_id", field}, orm.SearchOptions{Order: "id"})
		if err != nil {
			return nil, err
		}
		out := make(map[int64]any, len(ids))
		for _, id := range ids {
			out[id] = nil
		}
		for _, l := range logs {
			if v := l[field]; v != false {
				out[account.M2O(l["order_id"])] = v
			}
		}
		return out, nil
	}
}
