// Package pack writes the release archive: the built plugin folder (dist/)
// zipped in the layout Grafana installs from (one folder named after the
// plugin id at the root), with its SHA-256 beside it. It checks that the
// folder is complete first, so an archive missing a platform's binary or a
// file Grafana's page shows is never written.
package pack

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Platform is an operating system and architecture the backend is built for.
type Platform struct{ OS, Arch string }

// AllPlatforms are the ones the SDK's build.BuildAll builds, so an archive
// made from its output installs on every Grafana server.
var AllPlatforms = []Platform{
	{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "arm"},
	{"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"},
}

// Binary is the file name the SDK's build gives the backend for p.
func (p Platform) Binary(executable string) string {
	name := fmt.Sprintf("%s_%s_%s", executable, p.OS, p.Arch)
	if p.OS == "windows" {
		name += ".exe"
	}
	return name
}

// Manifest is what of plugin.json the archive depends on.
type Manifest struct {
	ID         string `json:"id"`
	Executable string `json:"executable"`
	Info       struct {
		Version string `json:"version"`
		Updated string `json:"updated"`
		Logos   struct {
			Small string `json:"small"`
			Large string `json:"large"`
		} `json:"logos"`
		Screenshots []struct {
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"screenshots"`
	} `json:"info"`
}

// Result says what was written.
type Result struct {
	Path   string   // the archive
	SHA256 string   // hex digest of the archive
	Size   int64    // bytes of the archive
	Files  []string // the archive's entries, sorted
}

var (
	semver  = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// ReadManifest reads dist's plugin.json and checks that the build filled it in.
func ReadManifest(dist string) (Manifest, error) {
	var m Manifest
	raw, err := os.ReadFile(filepath.Join(dist, "plugin.json"))
	if err != nil {
		return m, fmt.Errorf("%w; build the frontend first (npm run build)", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dist, "plugin.json"), err)
	}
	switch {
	case m.ID == "" || m.Executable == "":
		return m, fmt.Errorf("%s has no id or executable", filepath.Join(dist, "plugin.json"))
	case !semver.MatchString(m.Info.Version):
		return m, fmt.Errorf("plugin.json's version %q is not a version such as 1.2.3; the build fills it from package.json (npm run build)", m.Info.Version)
	case !isoDate.MatchString(m.Info.Updated):
		return m, fmt.Errorf("plugin.json's updated %q is not a date such as 2026-01-31; the build fills it in (npm run build)", m.Info.Updated)
	}
	return m, nil
}

// Required lists the files the archive must hold, relative to the plugin
// folder: what Grafana loads, what its plugin page shows, the source map
// and build manifest Grafana's plugin validator asks for, and the backend
// for each platform.
func Required(m Manifest, platforms []Platform) []string {
	files := []string{"module.js", "module.js.map", "plugin.json", "README.md", "LICENSE", "CHANGELOG.md", "go_plugin_build_manifest", m.Info.Logos.Small, m.Info.Logos.Large}
	for _, s := range m.Info.Screenshots {
		files = append(files, s.Path)
	}
	for _, p := range platforms {
		files = append(files, p.Binary(m.Executable))
	}
	return files
}

// Archive zips dist into outDir/<id>-<version>.zip, everything under a
// folder named after the plugin id, and writes the digest beside it as
// <archive>.sha256 in sha256sum's format. It refuses a dist/ that lacks any
// file Required names for platforms.
func Archive(dist, outDir string, platforms []Platform) (Result, error) {
	m, err := ReadManifest(dist)
	if err != nil {
		return Result{}, err
	}
	var missing []string
	for _, f := range Required(m, platforms) {
		if _, err := os.Stat(filepath.Join(dist, filepath.FromSlash(f))); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return Result{}, fmt.Errorf("%s lacks %s; build the frontend (npm run build) and every platform's backend (mage buildAll), or run ./scripts/package", dist, strings.Join(missing, ", "))
	}

	name := fmt.Sprintf("%s-%s.zip", m.ID, m.Info.Version)
	res := Result{Path: filepath.Join(outDir, name)}
	out, err := os.Create(res.Path)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(res.Path)
		}
	}()
	digest := sha256.New()
	res.Files, err = write(io.MultiWriter(out, digest), dist, m)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{}, err
	}
	res.SHA256 = hex.EncodeToString(digest.Sum(nil))
	info, err := os.Stat(res.Path)
	if err != nil {
		return Result{}, err
	}
	res.Size = info.Size()
	err = os.WriteFile(res.Path+".sha256", []byte(res.SHA256+"  "+name+"\n"), 0o644)
	return res, err
}

func write(w io.Writer, dist string, m Manifest) ([]string, error) {
	zw := zip.NewWriter(w)
	var files []string
	binary := regexp.MustCompile(`^` + regexp.QuoteMeta(m.Executable) + `_[a-z0-9]+_[a-z0-9]+(\.exe)?$`)
	err := filepath.WalkDir(dist, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dist, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: path.Join(m.ID, rel), Method: zip.Deflate, Modified: info.ModTime()}
		// Grafana starts the backend as it finds it; a binary unpacked
		// without its execute bit does not start.
		mode := fs.FileMode(0o644)
		if binary.MatchString(rel) {
			mode = 0o755
		}
		hdr.SetMode(mode)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(fw, f); err != nil {
			return err
		}
		files = append(files, hdr.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// Unpack extracts archive into dir, refusing entries that would land
// outside it, and keeps each file's mode.
func Unpack(archive, dir string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		target := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(target, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("%s: entry %q leaves the folder it unpacks into", archive, f.Name)
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if err := unpackFile(f, target); err != nil {
			return err
		}
	}
	return nil
}

func unpackFile(f *zip.File, target string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	return errors.Join(err, out.Close())
}
