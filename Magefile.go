//go:build mage

package main

import (
	"fmt"
	"time"

	"github.com/magefile/mage/sh"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/internal/pack"
)

// Default builds the plugin binaries for every platform Grafana runs on.
// They land in dist/ beside what `npm run build` writes there (module.js,
// plugin.json, logo, README), which makes dist/ the installable plugin.
var Default = build.BuildAll

// Package builds the frontend and the backend for every platform into
// dist/, then writes inhouse-metrics-datasource-<version>.zip (and its
// .sha256) in the repository's root folder.
func Package() error {
	fmt.Println("== frontend (npm run build)")
	if err := sh.RunV("npm", "run", "build"); err != nil {
		return err
	}
	// One platform at a time, so each line says how far along it is; each
	// go build already uses every core.
	for i, p := range pack.AllPlatforms {
		start := time.Now()
		fmt.Printf("== backend %d/%d: %s/%s\n", i+1, len(pack.AllPlatforms), p.OS, p.Arch)
		if err := (build.Build{}).Custom(p.OS, p.Arch); err != nil {
			return err
		}
		fmt.Printf("   built in %s\n", time.Since(start).Round(time.Second))
	}
	return Archive()
}

// Archive writes inhouse-metrics-datasource-<version>.zip (and its .sha256)
// from dist/ as it is, every platform's backend required: for a dist/ signed
// after the build (npx @grafana/sign-plugin writes its MANIFEST.txt there).
func Archive() error {
	res, err := pack.Archive("dist", ".", pack.AllPlatforms)
	if err != nil {
		return err
	}
	fmt.Printf("== %s: %d files, %d bytes\nsha256 %s (also in %s.sha256)\n", res.Path, len(res.Files), res.Size, res.SHA256, res.Path)
	return nil
}
