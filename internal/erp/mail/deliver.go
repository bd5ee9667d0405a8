package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	outmail "github.com/instant-erp/instanterp/internal/mail"
	"github.com/instant-erp/instanterp/internal/orm"
	"github.com/instant-erp/instanterp/internal/store"
)

// deliveryFields are what the transport keeps on each queued mail. A mail is
// claimed by moving its scheduled_date past now (the claim's end) in one
// conditional UPDATE, so two nodes never send the same row; a sender that dies
// mid-claim leaves the row to be claimed again once the claim has run out.
// Between transient failures scheduled_date is the earliest next attempt, as
// Odoo's field of the same name means "not before".
func deliveryFields() []*orm.Field {
	return []*orm.Field{
		{Name: "scheduled_date", Type: orm.Datetime, String: "Scheduled Send Date", Index: true},
		{Name: "attempts", Type: orm.Integer, String: "Delivery Attempts"},
	}
}

// DeliveryConfig tunes Deliver. Zero fields take the defaults.
type DeliveryConfig struct {
	Sender outmail.Sender
	Log    *slog.Logger
	Now    func() time.Time
	// Batch is how many mails one claim takes (10); PerRun bounds a run (100),
	// so one tenant's backlog does not hold a worker for long.
	Batch, PerRun int
	// MaxAttempts bounds the transient failures of one mail (8) before it is
	// given up with state exception.
	MaxAttempts int
	// RetryBase doubles after each transient failure up to RetryMax (1 minute
	// to 1 hour: 8 attempts span about two hours).
	RetryBase, RetryMax time.Duration
	// Claim is how long a claimed mail is left to its sender (15 minutes), far
	// longer than a batch of sends with their 30-second timeouts.
	Claim time.Duration
}

// Delivery counts the outcome of one run.
type Delivery struct {
	Sent     int // delivered (or written to the outbox)
	Failed   int // given up: state exception with a failure reason
	Deferred int // failed transiently, scheduled for another attempt
}

// maxFailureReason bounds the error text kept on a mail.
const maxFailureReason = 1000

// Deliver sends the tenant's outgoing mails that are due, marking each sent,
// exception (a permanent failure, or too many transient ones) or due again
// later with backoff. It returns when nothing more is due or PerRun mails have
// been tried; an error means the database failed, not a mail.
func Deliver(ctx context.Context, db *store.DB, reg *orm.Registry, cfg DeliveryConfig) (Delivery, error) {
	if cfg.Sender == nil {
		return Delivery{}, errors.New("deliver mail: no sender")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Batch = positive(cfg.Batch, 10)
	cfg.PerRun = positive(cfg.PerRun, 100)
	cfg.MaxAttempts = positive(cfg.MaxAttempts, 8)
	cfg.RetryBase = positive(cfg.RetryBase, time.Minute)
	cfg.RetryMax = positive(cfg.RetryMax, time.Hour)
	cfg.Claim = positive(cfg.Claim, 15*time.Minute)

	var out Delivery
	for tried := 0; tried < cfg.PerRun; {
		claimed, err := claim(ctx, db, cfg.Now(), cfg.Claim, min(cfg.Batch, cfg.PerRun-tried))
		if err != nil || len(claimed) == 0 {
			return out, err
		}
		tried += len(claimed)
		ids := make([]int64, 0, len(claimed))
		for id := range claimed {
			ids = append(ids, id)
		}
		var rows []map[string]any
		err = withSystem(ctx, db, reg, func(env *orm.Env) error {
			rows, err = env.Read(ctx, Model, ids, []string{"email_to", "email_from", "subject", "body_html"})
			return err
		})
		if err != nil {
			return out, fmt.Errorf("deliver mail: read claimed mails: %w", err)
		}
		for _, row := range rows {
			id, _ := row["id"].(int64)
			sendErr := cfg.Sender.Send(ctx, message(row))
			vals, outcome := outcomeOf(sendErr, claimed[id], cfg)
			err := withSystem(ctx, db, reg, func(env *orm.Env) error { return env.Write(ctx, Model, []int64{id}, vals) })
			if err != nil {
				return out, fmt.Errorf("deliver mail: record outcome of mail %d: %w", id, err)
			}
			switch outcome {
			case "sent":
				out.Sent++
			case "exception":
				out.Failed++
				cfg.Log.Warn("mail given up", "mail_id", id, "attempts", claimed[id], "error", sendErr)
			default:
				out.Deferred++
				cfg.Log.Info("mail deferred", "mail_id", id, "attempts", claimed[id], "error", sendErr)
			}
		}
	}
	return out, nil
}

// claim takes up to n due mails for this sender until now+lease and returns
// their ids with the attempt each is on. The condition is repeated outside the
// subquery: on PostgreSQL a row another sender claimed meanwhile fails it when
// re-checked under its lock, and is skipped.
func claim(ctx context.Context, db *store.DB, now time.Time, lease time.Duration, n int) (map[int64]int, error) {
	const due = `state = 'outgoing' AND (scheduled_date IS NULL OR scheduled_date <= ?)`
	nowText := now.UTC().Format(orm.DatetimeLayout)
	rows, err := db.Write.QueryContext(ctx, db.Rebind(`UPDATE mail_mail
		SET scheduled_date = ?, attempts = COALESCE(attempts, 0) + 1, write_date = ?
		WHERE id IN (SELECT id FROM mail_mail WHERE `+due+` ORDER BY id LIMIT ?) AND `+due+`
		RETURNING id, attempts`),
		now.Add(lease).UTC().Format(orm.DatetimeLayout), nowText, nowText, n, nowText)
	if err != nil {
		return nil, fmt.Errorf("deliver mail: claim: %w", err)
	}
	defer rows.Close()
	claimed := map[int64]int{}
	for rows.Next() {
		var id, attempts int64
		if err := rows.Scan(&id, &attempts); err != nil {
			return nil, fmt.Errorf("deliver mail: claim: %w", err)
		}
		claimed[id] = int(attempts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("deliver mail: claim: %w", err)
	}
	return claimed, nil
}

// message is the mail to send for a mail.mail row. The platform sends from its
// own address: a tenant's email_from becomes the Reply-To, so that no tenant can
// make the operator's relay send as a domain it does not own.
func message(row map[string]any) outmail.Message {
	text := func(k string) string { s, _ := row[k].(string); return s }
	body := text("body_html")
	return outmail.Message{
		To: []string{text("email_to")}, ReplyTo: text("email_from"), Subject: text("subject"),
		HTML: body, Text: outmail.PlainText(body),
	}
}

// outcomeOf is what to write on a mail after a send on attempt.
func outcomeOf(err error, attempt int, cfg DeliveryConfig) (map[string]any, string) {
	switch {
	case err == nil:
		return map[string]any{"state": "sent", "scheduled_date": false, "failure_reason": false}, "sent"
	case outmail.Permanent(err):
		return map[string]any{"state": "exception", "scheduled_date": false, "failure_reason": reason(err.Error())}, "exception"
	case attempt >= cfg.MaxAttempts:
		return map[string]any{"state": "exception", "scheduled_date": false,
			"failure_reason": reason(fmt.Sprintf("gave up after %d attempts: %v", attempt, err))}, "exception"
	}
	wait := cfg.RetryBase
	for i := 1; i < attempt && wait < cfg.RetryMax; i++ {
		wait *= 2
	}
	next := cfg.Now().Add(min(wait, cfg.RetryMax))
	return map[string]any{"scheduled_date": next.UTC().Format(orm.DatetimeLayout), "failure_reason": reason(err.Error())}, "deferred"
}

func reason(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > maxFailureReason {
		s = strings.ToValidUTF8(s[:maxFailureReason], "") + "…"
	}
	return s
}

// withSystem runs fn with the system's Env in one transaction: the transport
// acts for nobody, and records only delivery outcomes.
func withSystem(ctx context.Context, db *store.DB, reg *orm.Registry, fn func(env *orm.Env) error) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		env, err := reg.NewEnv(tx, db.Engine, orm.Identity{})
		if err != nil {
			return err
		}
		return fn(env.Sudo())
	})
}

func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
