package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
)

// authFlags are every way the data source can authenticate and reach a
// TLS service, as flags; they become the settings Grafana would store
// (jsonData and secureJsonData under the names the configuration page
// saves), so the plugin reads them exactly as it reads a real data
// source's.
type authFlags struct {
	basicUser, basicPassword string
	headers                  []header
	caCert, clientCert       string
	clientKey                string
	skipVerify               bool
}

type header struct{ name, value string }

func (a *authFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.basicUser, "basic-auth-user", "", "basic auth user (the configuration page's Basic authentication)")
	fs.StringVar(&a.basicPassword, "basic-auth-password", os.Getenv("INHOUSE_METRICS_BASIC_AUTH_PASSWORD"), "basic auth password (default $INHOUSE_METRICS_BASIC_AUTH_PASSWORD)")
	fs.Func("header", "custom header 'Name: value', sent on every call; repeat for more (the page's HTTP headers)", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return fmt.Errorf("%q is not 'Name: value', for example --header 'X-Tenant: team-a'", s)
		}
		a.headers = append(a.headers, header{name, strings.TrimSpace(value)})
		return nil
	})
	fs.StringVar(&a.caCert, "ca-cert", "", "PEM file of the CA that signed the service's certificate (the page's \"Add self-signed certificate\")")
	fs.StringVar(&a.clientCert, "client-cert", "", "PEM file of the client certificate (the page's \"TLS Client Authentication\"); needs --client-key")
	fs.StringVar(&a.clientKey, "client-key", "", "PEM file of the client certificate's key")
	fs.BoolVar(&a.skipVerify, "skip-verify", false, "do not verify the service's certificate, for testing only (the page's \"Skip TLS certificate validation\")")
}

// givesBasic tells whether basic auth was given by flag.
func (a *authFlags) givesBasic() bool { return a.basicUser != "" || a.basicPassword != "" }

// apply writes the flags into ds as Grafana stores them, reading the
// files; apiKey is the --api-key flag, which cannot go with basic auth.
func (a *authFlags) apply(ds *grafanahost.DataSource, apiKey string) error {
	if ds.JSONData == nil {
		ds.JSONData = map[string]any{}
	}
	if ds.Secure == nil {
		ds.Secure = map[string]string{}
	}
	if apiKey != "" {
		ds.Secure["apiKey"] = apiKey
	}
	if a.givesBasic() {
		if apiKey != "" {
			return badFlag("--api-key and --basic-auth-user both use the Authorization header: give one of them")
		}
		if a.basicUser == "" {
			return badFlag("--basic-auth-password needs --basic-auth-user")
		}
		ds.BasicAuth, ds.User = true, a.basicUser
		ds.Secure["basicAuthPassword"] = a.basicPassword
		delete(ds.Secure, "apiKey")
	}
	// After the headers a provisioning file already names.
	n := 1
	for ds.JSONData[fmt.Sprintf("httpHeaderName%d", n)] != nil {
		n++
	}
	for i, h := range a.headers {
		ds.JSONData[fmt.Sprintf("httpHeaderName%d", n+i)] = h.name
		ds.Secure[fmt.Sprintf("httpHeaderValue%d", n+i)] = h.value
	}
	if a.caCert != "" {
		pem, err := readPEM("--ca-cert", a.caCert, "CERTIFICATE")
		if err != nil {
			return err
		}
		ds.JSONData["tlsAuthWithCACert"] = true
		ds.Secure["tlsCACert"] = pem
	}
	if (a.clientCert == "") != (a.clientKey == "") {
		return badFlag("--client-cert and --client-key go together: give both files")
	}
	if a.clientCert != "" {
		cert, err := readPEM("--client-cert", a.clientCert, "CERTIFICATE")
		if err != nil {
			return err
		}
		key, err := readPEM("--client-key", a.clientKey, "PRIVATE KEY")
		if err != nil {
			return err
		}
		if _, err := tls.X509KeyPair([]byte(cert), []byte(key)); err != nil {
			return badFlag("--client-cert %s and --client-key %s do not make a key pair (%v): give the key of that certificate", a.clientCert, a.clientKey, err)
		}
		ds.JSONData["tlsAuth"] = true
		ds.Secure["tlsClientCert"], ds.Secure["tlsClientKey"] = cert, key
	}
	if a.skipVerify {
		ds.JSONData["tlsSkipVerify"] = true
	}
	return nil
}

// readPEM reads a PEM file a flag names, checking it holds a block of
// the kind wanted, so a swapped or empty file is reported by flag.
func readPEM(flagName, path, kind string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", badFlag("%s %s: %v", flagName, path, errors.Unwrap(err))
	}
	if !strings.Contains(string(b), "-----BEGIN ") || !strings.Contains(string(b), kind+"-----") {
		return "", badFlag("%s %s: the file holds no PEM %s block (-----BEGIN ...%s-----)", flagName, path, strings.ToLower(kind), kind)
	}
	return string(b), nil
}

// wireAccess is how the data source ds reaches the service, for calls
// made without the plugin: the Authorization header, custom headers and
// TLS settings the SDK would derive from the same settings.
func wireAccess(ds grafanahost.DataSource) (http.Header, *tls.Config, error) {
	hdr := http.Header{}
	switch {
	case ds.BasicAuth:
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ds.User+":"+ds.Secure["basicAuthPassword"])))
	case strings.TrimSpace(ds.Secure["apiKey"]) != "":
		hdr.Set("Authorization", "Bearer "+strings.TrimSpace(ds.Secure["apiKey"]))
	}
	for i := 1; ; i++ {
		name, _ := ds.JSONData[fmt.Sprintf("httpHeaderName%d", i)].(string)
		if name == "" {
			break
		}
		hdr.Add(name, ds.Secure[fmt.Sprintf("httpHeaderValue%d", i)])
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if on(ds.JSONData["tlsAuthWithCACert"]) {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(ds.Secure["tlsCACert"])) {
			return nil, nil, errors.New("the CA certificate (tlsCACert) holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	if on(ds.JSONData["tlsAuth"]) {
		pair, err := tls.X509KeyPair([]byte(ds.Secure["tlsClientCert"]), []byte(ds.Secure["tlsClientKey"]))
		if err != nil {
			return nil, nil, fmt.Errorf("the client certificate and key (tlsClientCert, tlsClientKey) are not a key pair: %v", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if name, _ := ds.JSONData["serverName"].(string); name != "" {
		cfg.ServerName = name
	}
	cfg.InsecureSkipVerify = on(ds.JSONData["tlsSkipVerify"])
	if len(hdr) == 0 {
		hdr = nil
	}
	return hdr, cfg, nil
}

// on reads a jsonData toggle, which a provisioning file may write as a
// string.
func on(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	case json.Number:
		return b.String() == "1"
	}
	return false
}
