package webui

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/instant-erp/instanterp/internal/orm"
)

// pdfReport adapts a module's PDF renderer to a view, naming the file after the record.
func pdfReport(prefix string, render func(ctx context.Context, env *orm.Env, id int64, log *slog.Logger) ([]byte, error)) Report {
	return func(ctx context.Context, env *orm.Env, id int64, log *slog.Logger) (string, []byte, error) {
		pdf, err := render(ctx, env, id, log)
		if err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("%s-%d.pdf", prefix, id), pdf, nil
	}
}
