package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/grafanahost"
	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/refserver"
)

// UIDataSourceUID is the uid of the one data source the ui command serves.
const UIDataSourceUID = "inhouse"

// ui serves the editors' host page with the plugin's real backend behind
// Grafana's API routes, and a reference server to point it at. The data
// source starts unconfigured, as a new data source in Grafana does.
func ui(args []string) error {
	stopWithParent()
	fs := flag.NewFlagSet("ui", flag.ContinueOnError)
	// Not Grafana's own 3000, which a local Grafana is likely to hold.
	listen := fs.String("listen", "127.0.0.1:8090", "address of the host page (loopback by default)")
	page := fs.String("page", "browser-test/dist", "folder with the built host page")
	dist := fs.String("dist", "dist", "the built plugin folder (module.js, plugin.json, binary)")
	token := fs.String("token", "", "API key the reference server requires (default: a random one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	if _, err := os.Stat(filepath.Join(*page, "index.html")); err != nil {
		return fmt.Errorf("no host page in %s: build it with `npx vite build --config browser-test/vite.config.ts`", *page)
	}
	if _, err := os.Stat(filepath.Join(*dist, "module.js")); err != nil {
		return fmt.Errorf("no frontend bundle in %s: build it with `npm run build`", *dist)
	}
	bin, err := grafanahost.FindBinary(filepath.Dir(filepath.Clean(*dist)))
	if err != nil {
		return err
	}
	if *token == "" {
		*token = randomToken()
	}

	svcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	svc := &http.Server{Handler: refserver.New(refserver.Options{Token: *token}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = svc.Serve(svcLn) }()
	defer svc.Close()

	h, err := grafanahost.Start(bin, grafanahost.Options{})
	if err != nil {
		return err
	}
	defer h.Close()

	ds := grafanahost.DataSource{ID: 1, UID: UIDataSourceUID, Name: "In-house Metrics", JSONData: map[string]any{}}
	api := grafanahost.NewAPI(h, ds, *dist, http.FileServer(http.Dir(*page)))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v: choose another address with --listen", *listen, listenCause(err))
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	// These lines are read by browser-test/run.mjs; keep their shape.
	fmt.Printf("host page: http://%s/\n", ln.Addr())
	fmt.Printf("reference server: http://%s\n", svcLn.Addr())
	fmt.Printf("API key: %s\n", printable(*token))
	fmt.Print("\nIn the page, type the reference server's address into URL, choose the API key\n" +
		"authentication, paste the key, then press Save & test; the query editor then\n" +
		"lists the reference server's metrics. Ctrl-C stops both servers.\n")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
