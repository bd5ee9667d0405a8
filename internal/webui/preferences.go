package webui

import (
	"strings"
	"time"

	"github.com/instant-erp/instanterp/internal/orm"
)

// commonTimeZones are offered as suggestions; any IANA time zone name is
// accepted.
var commonTimeZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Brussels", "Europe/Amsterdam",
	"Europe/Luxembourg", "Europe/Berlin", "Europe/Zurich", "Europe/Vienna", "Europe/Rome", "Europe/Madrid", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest", "Europe/Athens",
	"Europe/Bucharest", "Europe/Istanbul", "Europe/Kyiv", "Africa/Casablanca", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
	"Africa/Johannesburg", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta",
	"Asia/Singapore", "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth",
	"Australia/Sydney", "Pacific/Auckland", "America/St_Johns", "America/Halifax", "America/Toronto", "America/New_York",
	"America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
	"America/Mexico_City", "America/Bogota", "America/Lima", "America/Santiago", "America/Argentina/Buenos_Aires",
	"America/Sao_Paulo",
}

type preferencesData struct {
	TimeZone, Error string
	Suggestions     []string
}

// preferencesPage shows the user's own settings: the time zone dates and
// times are shown and typed in.
func (u *UI) preferencesPage(rq *request, typed, problem string) error {
	tz := typed
	if problem == "" {
		recs, err := rq.env.ReadValues(rq.ctx, "res.users", []int64{rq.user.ID}, []string{"tz"})
		if err != nil {
			return err
		}
		tz, _ = recs[0]["tz"].(string)
	}
	status := 200
	if problem != "" {
		status = 422
	}
	return rq.page(u, status, "preferences", &page{Title: "Preferences", Crumbs: []crumb{{Label: "My account"}, {Label: "Preferences"}},
		Content: preferencesData{TimeZone: tz, Error: problem, Suggestions: commonTimeZones}})
}

// savePreferences sets the user's own time zone. Users may not write their
// user record; this page writes that one field of it, once checked, as the
// system.
func (u *UI) savePreferences(rq *request) error {
	tz := strings.TrimSpace(rq.r.PostFormValue("tz"))
	if !validTimeZone(tz) {
		rq.rollback = true
		return u.preferencesPage(rq, tz, "Enter a time zone such as Europe/Paris or America/New_York, or leave it empty for UTC.")
	}
	var value any = tz
	if tz == "" {
		value = false
	}
	// Account pages read in a read-only transaction; the change has its own.
	if err := u.inTx(rq.ctx, rq.svc, 0, func(env *orm.Env) error {
		return env.Sudo().Write(rq.ctx, "res.users", []int64{rq.user.ID}, map[string]any{"tz": value})
	}); err != nil {
		return err
	}
	rq.setFlash("done")
	rq.redirect("/odoo/account/preferences")
	return nil
}

// validTimeZone accepts "" (UTC) and the names of the IANA time zone
// database, not "Local", which would be the server's.
func validTimeZone(tz string) bool {
	if tz == "" {
		return true
	}
	if len(tz) > 64 || tz == "Local" {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}
