package jobs

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestQueueLoggerDemotesInformation(t *testing.T) {
	for _, tc := range []struct {
		level    slog.Level
		log      func(l *slog.Logger)
		want     string // "" : nothing written
		wantKeys string
	}{
		{slog.LevelInfo, func(l *slog.Logger) { l.Info("producer: Producer job counts") }, "", ""},
		{slog.LevelInfo, func(l *slog.Logger) { l.Debug("poll") }, "", ""},
		{slog.LevelInfo, func(l *slog.Logger) { l.Warn("job failed", "attempt", 2) }, "level=WARN", "attempt=2"},
		{slog.LevelInfo, func(l *slog.Logger) { l.With("queue", "default").Error("stuck") }, "level=ERROR", "queue=default"},
		{slog.LevelDebug, func(l *slog.Logger) { l.WithGroup("river").Info("started", "id", 1) }, "level=DEBUG", "river.id=1"},
	} {
		var buf bytes.Buffer
		tc.log(queueLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tc.level}))))
		out := buf.String()
		if tc.want == "" && out != "" || tc.want != "" && (!strings.Contains(out, tc.want) || !strings.Contains(out, tc.wantKeys)) {
			t.Errorf("at level %v: logged %q, want %q with %q", tc.level, out, tc.want, tc.wantKeys)
		}
	}
}
