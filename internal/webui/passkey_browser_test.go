package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/instant-erp/instanterp/internal/auth/securitylog"
)

// passkey.js in Chromium with a virtual authenticator (the browser's own WebAuthn
// stack, user verification included): add a passkey on the security page, sign out,
// sign in with the passkey button, without a password; then, with TOTP on, use it
// as the second factor with "trust this device" ticked.
func TestBrowserPasskey(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	f := newFixture(t)
	b := newBrowser(t, f)
	ctx := b.tab(false)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	b.signIn(ctx, "user@example.com", "")
	b.run(ctx, "add a passkey", chromedp.Navigate(b.origin+"/odoo/account/security"),
		chromedp.WaitVisible(css(`form[data-passkey="register"] button[type=submit]`)),
		until(`document.querySelector("[data-passkey-unsupported]").hidden`),
		chromedp.SendKeys(css("#passkey-name"), "Virtual key"), chromedp.SendKeys(css("#passkey-current"), testPassword),
		chromedp.Click(css(`form[data-passkey="register"] button[type=submit]`)),
		until(`document.querySelector(".flash") && document.querySelector(".flash").textContent.includes("passkey has been added")`),
		until(`document.body.textContent.includes("Virtual key")`))
	b.screenshot(ctx, "passkey-added")

	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.run(ctx, "sign in with the passkey", chromedp.Navigate(b.origin+"/web/login"),
		chromedp.WaitVisible(css(`form[data-passkey="signin"] button[type=submit]`)),
		chromedp.Click(css(`form[data-passkey="signin"] button[type=submit]`)),
		chromedp.WaitVisible(css(".usermenu")))
	b.screenshot(ctx, "passkey-signed-in")
	if ev := f.events(t, "acme", securitylog.LoginSuccess, f.uid["user"]); len(ev) == 0 || ev[0].Reference != "passkey" {
		t.Fatalf("last login: %+v", ev)
	}

	// With TOTP on, the second step offers the passkey; the trust box travels with it.
	f.enableTOTPOn(t, "acme", "user")
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.run(ctx, "password step", chromedp.Navigate(b.origin+"/web/login"), chromedp.WaitVisible(css("#login")),
		chromedp.SendKeys(css("#login"), "user@example.com"), chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css(`form[action="/web/login"] button[type=submit]`)),
		chromedp.WaitVisible(css(`form[data-passkey="login"] button[type=submit]`)))
	b.screenshot(ctx, "passkey-second-step")
	b.run(ctx, "passkey as second factor", chromedp.Click(css("#trust")),
		chromedp.Click(css(`form[data-passkey="login"] button[type=submit]`)), chromedp.WaitVisible(css(".usermenu")))
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.origin + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	trusted := false
	for _, c := range cookies.Cookies {
		trusted = trusted || c.Name == trustCookie && c.Secure && c.HTTPOnly
	}
	if !trusted {
		t.Fatal("the trust box ticked before using the passkey set no trusted-device cookie")
	}
	if inc := b.incidents(ctx); len(inc) > 0 {
		t.Fatalf("incidents: %s", strings.Join(inc, "; "))
	}
}
