package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/instant-erp/instanterp/internal/audit"
	"github.com/instant-erp/instanterp/internal/auth/securitylog"
	"github.com/instant-erp/instanterp/internal/auth/token"
	"github.com/instant-erp/instanterp/internal/backup"
	"github.com/instant-erp/instanterp/internal/store"
	"github.com/instant-erp/instanterp/internal/web"
)

// BackupDownloads is what the download route needs of the backup service
// (internal/backup.Service): checking a signed download link presented on a
// tenant's site, opening its file and taking one of its uses.
type BackupDownloads interface {
	RedeemDownload(ctx context.Context, db *store.DB, tenant, token string) (*backup.Download, error)
}

// downloadStall is how long a download may make no progress before the
// connection is dropped; a slow but steady client may take as long as it needs,
// beyond the server's overall write timeout.
const downloadStall = time.Minute

// backupDownload serves GET /backup/download/<token>: an export of the tenant's
// data, only to a signed-in administrator of that tenant (others get the sign-in
// page, or not found). Every token that does not open an export of this tenant —
// forged, altered, expired, used up, another tenant's — gets the same page and
// nothing is streamed. Each use is written to the tenant's audit log before the
// first byte leaves, and to its security log.
func (u *UI) backupDownload(w http.ResponseWriter, r *http.Request) {
	if u.cfg.Downloads == nil {
		u.errorPage(w, r, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet {
		// A HEAD would take a use without delivering anything.
		u.errorPage(w, r, http.StatusMethodNotAllowed)
		return
	}
	// Who is asking is decided in the usual signed-in flow with its answer held
	// back. The export is redeemed, recorded and streamed only once that flow's
	// transaction has ended, so the request never holds two connections of the
	// tenant's pool, nor a transaction open for the length of a download.
	held := newHeldResponse()
	var (
		admin *userInfo
		svc   *tenantServices
	)
	u.signedIn(held, r, false, identityTx, func(rq *request) error {
		if !rq.user.Admin {
			return errNotFound
		}
		user := rq.user
		admin, svc = &user, rq.svc
		rq.status = http.StatusOK
		return nil
	})
	if admin == nil {
		held.replay(w)
		return
	}
	ctx := r.Context()
	dl, err := u.cfg.Downloads.RedeemDownload(ctx, svc.db, svc.name, r.PathValue("token"))
	if err != nil {
		if errors.Is(err, token.ErrInvalid) || errors.Is(err, token.ErrExpired) || errors.Is(err, backup.ErrDownloadUsedUp) {
			u.log.InfoContext(ctx, "backup download refused", "tenant", svc.name, "user_id", admin.ID, "reason", err)
			u.render(w, r, http.StatusNotFound, "link_invalid", &page{Title: "Link invalid or expired"})
			return
		}
		u.fail(w, r, fmt.Errorf("redeem backup download: %w", err))
		return
	}
	defer dl.Body.Close()
	ex, f := dl.Export, dl.Body
	address := web.ClientIP(ctx).String()
	err = audit.New(svc.db, u.now).Append(ctx, audit.Entry{
		ActorKind: audit.ActorUser, ActorID: admin.ID, ActorLabel: admin.Login, Action: audit.BackupDownload,
		Address: address, Detail: map[string]string{"export": ex.ID, "size": strconv.FormatInt(ex.Size, 10), "sha256": ex.SHA256},
	})
	if err != nil {
		// Nothing leaves unrecorded.
		u.fail(w, r, err)
		return
	}
	u.recordEvent(ctx, svc, r, securitylog.BackupDownload, admin.ID, 0, ex.ID)
	u.log.InfoContext(ctx, "backup download", "tenant", svc.name, "export", ex.ID, "user_id", admin.ID, "client", address)

	h := w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", contentDisposition(filepath.Base(ex.File)))
	h.Set("Content-Length", strconv.FormatInt(ex.Size, 10))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := copyWithProgressDeadline(w, f, downloadStall); err != nil {
		u.log.WarnContext(ctx, "backup download interrupted", "tenant", svc.name, "export", ex.ID, "error", err)
	}
}

// copyWithProgressDeadline copies src to w, moving the connection's write deadline
// forward after every chunk, so only a stalled client is cut off.
func copyWithProgressDeadline(w http.ResponseWriter, src io.Reader, stall time.Duration) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 256<<10)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			// Not every writer supports deadlines (tests' recorders); the server's
			// own timeout then applies.
			_ = rc.SetWriteDeadline(time.Now().Add(stall))
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// heldResponse records an answer so it can be sent later, or not at all.
type heldResponse struct {
	header http.Header
	status int
	body   []byte
}

func newHeldResponse() *heldResponse { return &heldResponse{header: http.Header{}} }

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(p []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	h.body = append(h.body, p...)
	return len(p), nil
}

func (h *heldResponse) replay(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	w.Write(h.body)
}
