package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/instant-erp/instanterp/internal/auth"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/mail"
)

// MaxResetMailsPerHour bounds the reset mails one user receives in any hour.
const MaxResetMailsPerHour = 3

// maxResetQuery bounds what a reset request may name (a login or an address).
const maxResetQuery = 256

// backgroundMailTime bounds a reset mail sent after the request was answered.
const backgroundMailTime = time.Minute

// ErrTooManyResetMails refuses a reset mail an administrator asked for when the user
// already received MaxResetMailsPerHour in the last hour.
var ErrTooManyResetMails = fmt.Errorf("this user has already been sent %d reset mails within the hour", MaxResetMailsPerHour)

// ErrNoAddress refuses to mail a user who has neither an email nor a login that is one.
var ErrNoAddress = errors.New("the user has no email address")

// RequestReset is the public "forgot password" form: it mails a reset link to the
// active users named by loginOrEmail (a login, or an email address), within the
// hourly limit. Its answer never depends on whether such a user exists: an unknown
// name, an archived user, a user without an address, the limit being reached and a
// failed delivery all return nil, and the mail itself is sent after returning, so
// its time does not tell either. Only a malformed request is an error.
func (s *Service) RequestReset(ctx context.Context, loginOrEmail string, from Origin) error {
	q := normalizeLogin(loginOrEmail)
	if q == "" || len(q) > maxResetQuery {
		return errors.New("enter your login or email address")
	}
	users, err := s.usersForReset(ctx, q)
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "reset request: look up users", "error", err)
		return nil
	}
	for _, u := range users {
		msg, err := s.prepareLinkMail(ctx, ResetLink, u, from)
		if errors.Is(err, ErrTooManyResetMails) || errors.Is(err, ErrNoAddress) || errors.Is(err, ErrNoMail) {
			s.cfg.Logger.InfoContext(ctx, "reset mail not sent", "user_id", u.ID, "reason", err)
			continue
		}
		if err != nil {
			s.cfg.Logger.ErrorContext(ctx, "reset mail not prepared", "user_id", u.ID, "error", err)
			continue
		}
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundMailTime)
			defer cancel()
			if err := s.cfg.Mail.Send(bg, msg); err != nil {
				s.cfg.Logger.ErrorContext(bg, "reset mail not delivered", "user_id", u.ID, "error", err)
			}
		}()
	}
	return nil
}

// usersForReset finds the active user with that login, else the active users with
// that email address.
func (s *Service) usersForReset(ctx context.Context, q string) ([]User, error) {
	u, err := s.accounts.UserByLogin(ctx, q)
	switch {
	case err == nil && u.Active:
		return []User{u}, nil
	case err == nil, errors.Is(err, auth.ErrNoAccount):
		return s.accounts.activeUsersByEmail(ctx, q)
	default:
		return nil, err
	}
}

// SendLink mails a link of kind to user id now, as an administrator (from.ActorID),
// the command line, or the user's own request asks. Reset mails count towards the
// hourly limit (ErrTooManyResetMails); invitations do not.
func (s *Service) SendLink(ctx context.Context, kind LinkKind, id int64, from Origin) error {
	u, err := s.accounts.User(ctx, id)
	if err != nil {
		return err
	}
	if !u.Active {
		return ErrInactive
	}
	msg, err := s.prepareLinkMail(ctx, kind, u, from)
	if err != nil {
		return err
	}
	if err := s.cfg.Mail.Send(ctx, msg); err != nil {
		return fmt.Errorf("mail %s link: %w", kind, err)
	}
	return nil
}

// prepareLinkMail checks that the mail may go, claims a place under the hourly
// limit for resets, signs the link, records the request and returns the mail.
func (s *Service) prepareLinkMail(ctx context.Context, kind LinkKind, u User, from Origin) (mail.Message, error) {
	if s.cfg.Mail == nil {
		return mail.Message{}, ErrNoMail
	}
	to := mailAddress(u)
	if to == "" {
		return mail.Message{}, ErrNoAddress
	}
	if kind == ResetLink {
		ok, err := s.claimResetMail(ctx, u.ID)
		if err != nil {
			return mail.Message{}, err
		}
		if !ok {
			return mail.Message{}, ErrTooManyResetMails
		}
	}
	link, err := s.Link(ctx, kind, u.ID)
	if err != nil {
		return mail.Message{}, err
	}
	msg, err := linkMail(kind, s.cfg.Tenant, u.Name, to, link)
	if err != nil {
		return mail.Message{}, err
	}
	s.record(ctx, securitylog.Event{Kind: securitylog.ResetRequested, UserID: u.ID, ActorID: from.ActorID,
		Login: u.Login, Address: from.Address, UserAgent: from.UserAgent, Reference: kind.String()})
	return msg, nil
}

// mailAddress is where a user's links go: their email, else a login that is one.
func mailAddress(u User) string {
	for _, a := range []string{u.Email, u.Login} {
		if a == "" {
			continue
		}
		if parsed, err := mail.ParseAddress(a); err == nil {
			return parsed.Address
		}
	}
	return ""
}

// claimResetMail takes one of the user's three places in the sliding hour, in one
// conditional update (so concurrent requests, on any node, cannot exceed it).
func (s *Service) claimResetMail(ctx context.Context, id int64) (bool, error) {
	db := s.cfg.DB
	now := s.cfg.Now().Unix()
	if _, err := db.Write.ExecContext(ctx, db.Rebind(`INSERT INTO auth_reset_mail (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING`), id); err != nil {
		return false, fmt.Errorf("reset mail limit of user %d: %w", id, err)
	}
	res, err := db.Write.ExecContext(ctx, db.Rebind(`UPDATE auth_reset_mail SET sent_1 = sent_2, sent_2 = sent_3, sent_3 = ?
		WHERE user_id = ? AND sent_1 <= ?`), now, id, now-int64(time.Hour/time.Second))
	if err != nil {
		return false, fmt.Errorf("reset mail limit of user %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("reset mail limit of user %d: %w", id, err)
	}
	return n == 1, nil
}
