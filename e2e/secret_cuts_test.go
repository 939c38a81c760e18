package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// cutServer echoes a secret it was sent at a chosen offset into the part
// of an answer the plugin quotes, cut short: a 500's body (a 200-byte
// quote from a window of a few KB), a string where a number belongs (a
// 40-byte quote) and a body that is not JSON (a 60-byte quote). The
// target names the place, the header and the offset:
// "<status500|value|notjson|name>-<auth|tenant>-<offset>" ("name" answers
// a healthy series named with the echo).
func cutServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var kind, which string
		offset := -1
		for _, k := range []string{"status500", "value", "notjson", "name"} {
			for _, h := range []string{"auth", "tenant"} {
				if i := strings.Index(string(body), k+"-"+h+"-"); i >= 0 {
					kind, which = k, h
					n := strings.TrimLeft(string(body[i+len(k+h)+2:]), "")
					end := strings.IndexFunc(n, func(r rune) bool { return r < '0' || r > '9' })
					offset, _ = strconv.Atoi(n[:max(end, 0)])
				}
			}
		}
		secret := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if which == "tenant" {
			secret = r.Header.Get("X-Tenant-Token")
		}
		echo := strings.Repeat("x", max(offset, 0)) + secret + " and more text after it"
		switch kind {
		case "status500":
			http.Error(w, echo, http.StatusInternalServerError)
		case "value":
			_, _ = io.WriteString(w, `[{"target":"s","datapoints":[["`+echo+`",1000]]}]`)
		case "notjson":
			_, _ = io.WriteString(w, echo)
		case "name": // a healthy answer: the series' name and the frames' executedQueryString
			_, _ = io.WriteString(w, `[{"target":"`+echo+`","datapoints":[[1,1000]]}]`)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})
}

// randomSecret is n characters that start with a mark found nowhere else,
// so any piece of 4 characters or more of its start is found in the
// output.
func randomSecret(mark string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := []byte(mark)
	for len(b) < n {
		b = append(b, alphabet[rand.IntN(len(alphabet))])
	}
	return string(b)
}

// No secret of any length, nor its first 4 characters or more, leaves the
// plugin where a quote cuts it: secrets longer than the 4 KB window (a
// 5 KB forwarded OAuth token, a 6 KB API key) and short ones echoed just
// before each cut, in query errors, frames (names, executedQueryString),
// resource answers, health messages and the plugin's log. Before the fix a 5 KB token in a 500
// came back as 180 of its characters, and a key cut by a 40-byte quote as
// its start.
func TestLongSecretsAndTheirStartsNeverLeave(t *testing.T) {
	srv := serve(t, cutServer())
	secrets := map[string]string{
		"5 KB user token":    randomSecret("Zq7x", 5<<10),
		"48-byte tenant":     randomSecret("Wk3p", 48),
		"6 KB API key":       randomSecret("Yv8m", 6<<10),
		"20-byte tenant (B)": randomSecret("Hj2c", 20),
		"6 KB ID token (not echoed, scrubbed all the same)": randomSecret("Qe5r", 6<<10),
	}
	forwarding := dataSource(srv.URL)
	forwarding.JSONData["oauthPassThru"] = true
	forwarding.JSONData["httpHeaderName1"] = "X-Tenant-Token"
	forwarding.Secure = map[string]string{"httpHeaderValue1": secrets["48-byte tenant"]}
	user := &grafanahost.Caller{Login: "alice", Token: secrets["5 KB user token"], IDToken: secrets["6 KB ID token (not echoed, scrubbed all the same)"]}
	apiKey := dataSource(srv.URL)
	apiKey.JSONData["httpHeaderName1"] = "X-Tenant-Token"
	apiKey.Secure = map[string]string{"apiKey": secrets["6 KB API key"], "httpHeaderValue1": secrets["20-byte tenant (B)"]}

	offsets := map[string][]int{
		"status500": {0, 10, 150, 180, 190, 196, 199, 200, 4000, 4290, 4295},
		"value":     {0, 20, 30, 36, 38, 39},
		"notjson":   {0, 30, 50, 55, 58, 59},
		"name":      {0, 100},
	}
	logStart := len(pluginLogs.String())
	var out strings.Builder
	cases := 0
	for _, ds := range []grafanahost.DataSource{forwarding, apiKey} {
		res, err := host.CheckHealthAs(context.Background(), ds, user)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&out, res.Message)
		var queries []backend.DataQuery
		for kind, offs := range offsets {
			for _, which := range []string{"auth", "tenant"} {
				for _, o := range offs {
					target := fmt.Sprintf("%s-%s-%d", kind, which, o)
					queries = append(queries, dq(target, `{"target":"`+target+`"}`))
				}
			}
		}
		cases += len(queries)
		qr, err := host.QueryDataAs(context.Background(), ds, user, queries, nil)
		if err != nil {
			t.Fatal(err)
		}
		for ref, r := range qr.Responses {
			if (r.Error == nil) != strings.HasPrefix(ref, "name-") {
				t.Errorf("%s: error %v; the probe did not reach its quote", ref, r.Error)
			}
			if r.Error != nil {
				fmt.Fprintln(&out, ref, r.Error)
			}
			for _, f := range r.Frames {
				b, _ := f.MarshalJSON()
				fmt.Fprintln(&out, string(b))
			}
		}
		// The editors' resources quote the same bodies.
		for _, target := range []string{"status500-auth-0", "status500-auth-190", "status500-tenant-196", "notjson-auth-0", "notjson-tenant-58"} {
			for path, body := range map[string]string{
				"metric-payload-options": `{"metric":"` + target + `","name":"n"}`,
				"tag-values":             `{"key":"` + target + `"}`,
			} {
				rr, err := host.CallResourceAs(context.Background(), ds, user, http.MethodPost, path, []byte(body))
				if err != nil {
					t.Fatal(err)
				}
				cases++
				fmt.Fprintln(&out, path, target, rr.Status, string(rr.Body))
			}
		}
	}
	all := out.String() + pluginLogs.String()[logStart:]
	if !strings.Contains(all, "[redacted]") || !strings.Contains(all, "xxxxxxxxxx") {
		t.Fatalf("no echo reached the quotes in %d answers; the test proves nothing:\n%s", cases, all)
	}
	for name, s := range secrets {
		if i := strings.Index(all, s[:4]); i >= 0 {
			t.Errorf("the %s leaked (its first 4 characters or more): %s", name, all[max(0, i-120):min(len(all), i+60)])
		}
	}
	t.Logf("%d queries and resource calls over 2 data sources", cases)
}
