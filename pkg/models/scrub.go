package models

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/identity"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/secrets"
)

// identity.json is the one statement of the forwarding settings' labels
// and explanations: the configuration page imports it too.
//
//go:embed identity.json
var identityJSON []byte

var identityRules = func() (r struct {
	Settings []struct{ Key, Label, Description string }
	Winner   string
}) {
	if err := json.Unmarshal(identityJSON, &r); err != nil || r.Winner == "" || len(r.Settings) != 3 {
		panic(fmt.Sprintf("identity.json: %v", err))
	}
	return r
}()

// WinnerNote is what Save & test says when forwarding and the data
// source's own credentials are both set; the page says the same.
func WinnerNote() string { return identityRules.Winner }

// IdentityOf reads the user's identity from what Grafana sent with a
// request, under this data source's forwarding (identity.Of).
func (s *Settings) IdentityOf(fwd identity.Forwarded, user *backend.User, fromAlert bool) identity.Identity {
	return identity.Of(s.Forwarding, fwd, user, fromAlert)
}

// Scrub removes every secret from text that may have come from the
// service (which could echo our headers) or from a library error. Callers
// scrub before they shorten a text, so no part of a secret survives a cut.
func (s *Settings) Scrub(text string) string { return secrets.Scrub(text, s.Secrets) }

// ScrubFor scrubs the data source's secrets and those of the request's
// user: the per-instance list does not know a request's tokens.
func (s *Settings) ScrubFor(ctx context.Context) func(string) string {
	user := identity.From(ctx).Secrets()
	if len(user) == 0 {
		return s.Scrub
	}
	return func(text string) string { return secrets.Scrub(text, user, s.Secrets) }
}

// ScrubWindowFor scrubs the first bytes of a body read to be quoted; cut
// tells that the body went on past them (see scrubWindow).
func (s *Settings) ScrubWindowFor(ctx context.Context) func(text string, cut bool) string {
	user := identity.From(ctx).Secrets()
	return func(text string, cut bool) string { return secrets.Window(text, cut, user, s.Secrets) }
}

// LongestSecretFor is the length of the longest secret a request may see
// echoed: a window read to be quoted must hold one whole past the quote.
func (s *Settings) LongestSecretFor(ctx context.Context) int {
	return secrets.Longest(identity.From(ctx).Secrets(), s.Secrets)
}

// HasSecrets tells whether anything needs scrubbing for this request.
func (s *Settings) HasSecrets(ctx context.Context) bool {
	return len(s.Secrets) > 0 || len(identity.From(ctx).Secrets()) > 0
}
