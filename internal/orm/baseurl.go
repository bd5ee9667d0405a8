package orm

import (
	"context"
	"strings"
)

type baseURLKey struct{}

// WithBaseURL returns ctx carrying the address the tenant is served at, such
// as https://acme.erp.example.com: module code builds the links it puts in
// mails (a customer's link to a quotation) from it. The web server sets it on
// every tenant request.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseURLKey{}, strings.TrimRight(base, "/"))
}

// BaseURL is the address ctx carries, without a trailing slash; "" when it
// carries none (a command-line tool, say).
func BaseURL(ctx context.Context) string {
	s, _ := ctx.Value(baseURLKey{}).(string)
	return s
}
