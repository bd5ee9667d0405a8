package jobs

import (
	"context"
	"log/slog"
)

// queueLogger is the logger River gets: its own informational records (a
// migration applied, a producer's job counts every few seconds, a periodic
// scheduler's rounds) are debug records here, so that an operator's log
// holds requests, backups and deliveries rather than the queue's heartbeat.
// Its warnings and errors pass unchanged.
func queueLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demotedHandler{l.Handler()})
}

type demotedHandler struct{ next slog.Handler }

func demoted(level slog.Level) slog.Level {
	if level < slog.LevelWarn {
		return slog.LevelDebug
	}
	return level
}

func (h demotedHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, demoted(level))
}

func (h demotedHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demoted(r.Level)
	return h.next.Handle(ctx, r)
}

func (h demotedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return demotedHandler{h.next.WithAttrs(attrs)}
}

func (h demotedHandler) WithGroup(name string) slog.Handler {
	return demotedHandler{h.next.WithGroup(name)}
}
