package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeKeyPair writes a self-signed certificate for 127.0.0.1, valid for
// two hours up to notAfter, and its key as PEM files in dir.
func writeKeyPair(t *testing.T, dir, name string, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: notAfter.Add(-2 * time.Hour), NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	return certFile, keyFile
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeTLSErrors checks that a bad certificate or key is reported,
// naming the file, before the server says it is listening.
func TestServeTLSErrors(t *testing.T) {
	dir := t.TempDir()
	valid := time.Now().Add(time.Hour)
	cert, key := writeKeyPair(t, dir, "server", valid)
	otherCert, otherKey := writeKeyPair(t, dir, "other", valid)
	expiredCert, expiredKey := writeKeyPair(t, dir, "expired", time.Now().Add(-time.Hour))
	notPEM := filepath.Join(dir, "notes.txt")
	write(t, notPEM, "not a certificate\n")
	missing := filepath.Join(dir, "missing.pem")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "missing certificate", args: []string{"--tls-cert", missing, "--tls-key", key}, want: []string{"--tls-cert", missing, "no such file"}},
		{name: "missing key", args: []string{"--tls-cert", cert, "--tls-key", missing}, want: []string{"--tls-key", missing, "no such file"}},
		{name: "certificate is not PEM", args: []string{"--tls-cert", notPEM, "--tls-key", key}, want: []string{"--tls-cert", notPEM, "no PEM certificate"}},
		{name: "key is not PEM", args: []string{"--tls-cert", cert, "--tls-key", notPEM}, want: []string{"--tls-key", notPEM, "no PEM private key"}},
		{name: "key and certificate swapped", args: []string{"--tls-cert", key, "--tls-key", cert}, want: []string{"--tls-cert", key, "no PEM certificate"}},
		{name: "key of another certificate", args: []string{"--tls-cert", cert, "--tls-key", otherKey}, want: []string{otherKey, "does not match", cert}},
		{name: "certificate of another key", args: []string{"--tls-cert", otherCert, "--tls-key", key}, want: []string{key, "does not match", otherCert}},
		{name: "expired certificate", args: []string{"--tls-cert", expiredCert, "--tls-key", expiredKey}, want: []string{expiredCert, "expired", "renew"}},
		{name: "certificate without key", args: []string{"--tls-cert", cert}, want: []string{"--tls-cert", "--tls-key", "together"}},
		{name: "address in use", args: []string{"--listen", busy.Addr().String()}, want: []string{busy.Addr().String(), "--listen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve"}, tt.args...)
			if tt.name != "address in use" {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			stdout, stderr, code := runCLI(t, args...)
			checkUsageError(t, args, stdout, stderr, code, tt.want...)
		})
	}
}

// TestServeTLS checks that a good key pair is served.
func TestServeTLS(t *testing.T) {
	cert, key := writeKeyPair(t, t.TempDir(), "server", time.Now().Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	cmd.Env = append(os.Environ(), cliEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed %q: %v", line, err)
	}
	i := strings.Index(line, "https://")
	if i < 0 {
		t.Fatalf("serve printed %q, want its https:// address", line)
	}
	url := strings.TrimSpace(line[i:])
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get(url + "/")
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s, want 200", url, res.Status)
	}
}
