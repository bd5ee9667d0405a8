package app

import (
	"context"

	"github.com/instant-erp/instanterp/internal/backup"
)

// downloadService is the backup service as the web application uses it: to
// redeem the signed download links of exports. It runs no backups and needs no
// job queue.
func (p *Platform) downloadService(ctx context.Context) (*backup.Service, error) {
	cfg, err := p.backupConfig(ctx)
	if err != nil {
		return nil, err
	}
	return backup.New(cfg)
}
