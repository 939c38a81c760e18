package main

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

func serve(args []string) error {
	// First, so the parent's death cannot fall between the address line
	// and the request.
	stopWithParent()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (loopback by default)")
	token := fs.String("token", "", "require this bearer token (Authorization: Bearer <token>)")
	cert := fs.String("tls-cert", "", "serve TLS with this certificate file (PEM)")
	key := fs.String("tls-key", "", "the certificate's private key file (PEM)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return badUsage("serve", "--tls-cert and --tls-key go together: give both files, or neither to serve plain http")
	}
	srv := &http.Server{Handler: refserver.New(refserver.Options{Token: *token}), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	// Everything that can fail is done before the address is printed:
	// scripts and users take that line to mean the server is up.
	if *cert != "" {
		pair, err := loadKeyPair(*cert, *key, time.Now())
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v: choose another address with --listen", *listen, listenCause(err))
	}
	fmt.Printf("reference in-house metrics server on %s://%s\n", scheme, ln.Addr())
	if *token != "" {
		fmt.Println("every request needs the token: Authorization: Bearer <token> (give it to the data source as its API key, or --api-key)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if srv.TLSConfig != nil {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// listenCause drops the "listen tcp <addr>:" the message already says.
func listenCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return sys.Err
		}
		return op.Err
	}
	return err
}

// loadKeyPair reads and checks the two files one at a time, because
// tls.LoadX509KeyPair's errors do not say which file is wrong.
func loadKeyPair(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	certPEM, err := readFlagFile("--tls-cert", certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readFlagFile("--tls-key", keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if !hasPEMBlock(certPEM, func(t string) bool { return t == "CERTIFICATE" }) {
		return tls.Certificate{}, badFlag("--tls-cert %s: no PEM certificate in it (a -----BEGIN CERTIFICATE----- block): give the certificate file, not its key", certFile)
	}
	if !hasPEMBlock(keyPEM, func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }) {
		return tls.Certificate{}, badFlag("--tls-key %s: no PEM private key in it (a -----BEGIN PRIVATE KEY----- block): give the certificate's key file", keyFile)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	switch {
	case err != nil && strings.Contains(err.Error(), "does not match"):
		return tls.Certificate{}, badFlag("--tls-key %s does not match the certificate in --tls-cert %s: give the key the certificate was made for", keyFile, certFile)
	case err != nil:
		return tls.Certificate{}, badFlag("--tls-cert %s with --tls-key %s: %s", certFile, keyFile, strings.TrimPrefix(err.Error(), "tls: "))
	}
	// Clients would refuse an expired certificate one connection at a
	// time; saying so once at start is clearer.
	if leaf := pair.Leaf; leaf != nil && now.After(leaf.NotAfter) {
		return tls.Certificate{}, badFlag("--tls-cert %s expired on %s: renew it", certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return pair, nil
}

func readFlagFile(flagName, name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, badFlag("%s %s: cannot read it: %v", flagName, name, err)
	}
	return b, nil
}

func hasPEMBlock(data []byte, wanted func(blockType string) bool) bool {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return false
		}
		if wanted(b.Type) {
			return true
		}
	}
}
