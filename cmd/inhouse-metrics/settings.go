package main

import (
	"flag"
	"strings"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// settingFlags are the data source settings that change an answer, and
// the signed-in user Grafana would call the plugin for, whose identity
// those settings may forward.
type settingFlags struct {
	layout      string
	downsample  bool
	maxSeries   int
	maxRespMB   float64
	sendUser    bool
	user        string
	oauthToken  string
	cookie      string
	keepCookies string
}

func (s *settingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.layout, "layout", "", "multi (a frame per series) or wide (one frame for series sharing timestamps); default: the data source's, else multi")
	fs.BoolVar(&s.downsample, "downsample", false, "turn on the data source's Downsample setting")
	fs.IntVar(&s.maxSeries, "max-series", 0, "the data source's Maximum series (0: its own, else 10000)")
	fs.Float64Var(&s.maxRespMB, "max-response-mb", 0, "the data source's Maximum response size in MB (0: its own, else 64)")
	fs.BoolVar(&s.sendUser, "send-user-header", false, "send the user's login as X-Grafana-User (the page's Per-user identity)")
	fs.StringVar(&s.user, "user", "admin", "login of the signed-in user Grafana calls the plugin for")
	fs.StringVar(&s.oauthToken, "oauth-token", "", "the user's OAuth access token, forwarded as Authorization (turns on Forward OAuth identity)")
	fs.StringVar(&s.cookie, "cookie", "", "the browser's Cookie header, e.g. 'session=abc; theme=dark'; only --keep-cookies names reach the service")
	fs.StringVar(&s.keepCookies, "keep-cookies", "", "cookie names to forward, separated by commas (the page's Allowed cookies)")
}

// apply writes the settings given into ds's jsonData, after what a
// provisioning file set.
func (s *settingFlags) apply(ds *grafanahost.DataSource) error {
	switch s.layout {
	case "":
	case "multi", "wide":
		ds.JSONData["layout"] = s.layout
	default:
		return badFlag("--layout %s: give multi or wide", s.layout)
	}
	if s.downsample {
		ds.JSONData["downsample"] = true
	}
	if s.maxSeries < 0 {
		return badFlag("--max-series %d: give 1 or more, or 0 for the data source's own", s.maxSeries)
	}
	if s.maxSeries > 0 {
		ds.JSONData["maxSeries"] = s.maxSeries
	}
	if s.maxRespMB < 0 || s.maxRespMB != s.maxRespMB {
		return badFlag("--max-response-mb %v: give a size in MB above 0, or 0 for the data source's own", s.maxRespMB)
	}
	if s.maxRespMB > 0 {
		ds.JSONData["maxResponseMB"] = s.maxRespMB
	}
	if s.sendUser {
		ds.JSONData["sendUserHeader"] = true
	}
	if s.oauthToken != "" {
		ds.JSONData["oauthPassThru"] = true
	}
	if s.keepCookies != "" {
		var names []any
		for _, n := range strings.Split(s.keepCookies, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		ds.JSONData["keepCookies"] = names
	}
	if s.cookie != "" && s.keepCookies == "" && ds.JSONData["keepCookies"] == nil {
		return badFlag("--cookie is sent only with the cookies --keep-cookies names: add --keep-cookies NAME")
	}
	return nil
}

// caller is the signed-in user of the calls.
func (s *settingFlags) caller() *grafanahost.Caller {
	return &grafanahost.Caller{Login: s.user, Token: s.oauthToken, Cookie: s.cookie}
}

// settingFlags maps the settings the plugin's messages name, as the
// configuration page shows them, to the flags that set them here.
var settingFlagNames = []struct{ setting, flag string }{
	{`"Maximum response size"`, "--max-response-mb MB"},
	{`"Maximum series"`, "--max-series N"},
	{"raise Timeout", "--timeout SECONDS"},
	{`"Add self-signed certificate"`, "--ca-cert FILE"},
	{`"Skip TLS certificate validation"`, "--skip-verify"},
	{`"TLS Client Authentication"`, "--client-cert FILE --client-key FILE"},
	{"the API key, basic auth or a custom header", "--api-key, --basic-auth-user or --header"},
	{"check the API key or the basic auth", "--api-key or --basic-auth-user and --basic-auth-password"},
}

// withFlags adds to a message from the plugin, which names settings as
// the configuration page does, the flags that change them here.
func withFlags(msg string) string {
	var flags []string
	for _, m := range settingFlagNames {
		if strings.Contains(msg, m.setting) {
			flags = append(flags, m.flag)
		}
	}
	if len(flags) == 0 {
		return msg
	}
	return msg + " (on the command line: " + strings.Join(flags, "; ") + ")"
}
