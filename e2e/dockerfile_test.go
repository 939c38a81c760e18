package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerStage is one FROM ... section of a Dockerfile, as far as these
// static checks need it.
type dockerStage struct {
	Name   string // after AS; "" for an unnamed stage
	Image  string // the FROM image, without --platform
	Copies []dockerCopy
	Args   []string // ARG names declared in the stage
	Runs   []string
}

type dockerCopy struct {
	From    string   // --from=; "" for the build context
	Sources []string // as written, relative to the context
	Dest    string
}

// parseDockerfile reads the instructions these tests check. Anything it
// does not know (an ONBUILD, a heredoc) fails the test rather than being
// skipped unread.
func parseDockerfile(t *testing.T, file string) []dockerStage {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (docker-compose.yaml names it)", err)
	}
	var lines []string
	var cont strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cont.WriteString(s + " ")
			continue
		}
		lines = append(lines, cont.String()+line)
		cont.Reset()
	}
	var stages []dockerStage
	for _, line := range lines {
		f := strings.Fields(line)
		instr, args := strings.ToUpper(f[0]), f[1:]
		if instr != "FROM" && len(stages) == 0 {
			if instr == "ARG" {
				continue // global build arguments
			}
			t.Fatalf("%s: %s before the first FROM", file, instr)
		}
		switch instr {
		case "FROM":
			if len(args) > 0 && strings.HasPrefix(args[0], "--platform=") {
				args = args[1:]
			}
			st := dockerStage{}
			switch {
			case len(args) == 1:
			case len(args) == 3 && strings.EqualFold(args[1], "AS"):
				st.Name = args[2]
			default:
				t.Fatalf("%s: cannot read %q", file, line)
			}
			st.Image = args[0]
			stages = append(stages, st)
		case "COPY":
			c := dockerCopy{}
			for len(args) > 0 && strings.HasPrefix(args[0], "--") {
				if v, ok := strings.CutPrefix(args[0], "--from="); ok {
					c.From = v
				}
				args = args[1:]
			}
			if len(args) < 2 || strings.HasPrefix(args[0], "[") || strings.HasPrefix(args[0], "<<") {
				t.Fatalf("%s: cannot read %q; teach this test its form", file, line)
			}
			c.Sources, c.Dest = args[:len(args)-1], args[len(args)-1]
			stages[len(stages)-1].Copies = append(stages[len(stages)-1].Copies, c)
		case "ARG":
			name, _, _ := strings.Cut(args[0], "=")
			stages[len(stages)-1].Args = append(stages[len(stages)-1].Args, name)
		case "RUN":
			stages[len(stages)-1].Runs = append(stages[len(stages)-1].Runs, strings.Join(args, " "))
		case "WORKDIR", "ENV", "USER", "EXPOSE", "ENTRYPOINT", "CMD", "LABEL":
		default:
			t.Fatalf("%s: instruction %s; teach this test what it means", file, instr)
		}
	}
	if len(stages) == 0 {
		t.Fatalf("%s has no FROM", file)
	}
	return stages
}

func findStage(stages []dockerStage, name string) (dockerStage, bool) {
	for _, st := range stages {
		if st.Name == name {
			return st, true
		}
	}
	return dockerStage{}, false
}

// dockerIgnore is a .dockerignore: which context paths Docker does not send.
type dockerIgnore []string

func readDockerIgnore(t *testing.T, file string) dockerIgnore {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v: the build context would hold node_modules and dist", err)
	}
	var pats dockerIgnore
	for line := range strings.SplitSeq(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "**") {
			t.Fatalf("%s: %q; teach this test what ** matches", file, line)
		}
		pats = append(pats, line)
	}
	return pats
}

// Excludes says whether Docker leaves p (slash-separated, relative to the
// context) out: a pattern matches the path or one of its parent folders,
// the last matching pattern decides, and ! re-includes.
func (ig dockerIgnore) Excludes(p string) bool {
	excluded := false
	for _, pat := range ig {
		neg := strings.HasPrefix(pat, "!")
		pat = path.Clean(strings.TrimPrefix(strings.TrimPrefix(pat, "!"), "/"))
		for q := p; q != "." && q != "/"; q = path.Dir(q) {
			if ok, _ := path.Match(pat, q); ok {
				excluded = !neg
				break
			}
		}
	}
	return excluded
}

func TestDockerIgnoreMatching(t *testing.T) {
	ig := dockerIgnore{"node_modules", "dist", "*.zip", "inhouse-metrics", "docs/*.md", "!docs/keep.md"}
	for _, c := range []struct {
		path string
		want bool
	}{
		{"node_modules", true},
		{"node_modules/vite/package.json", true},
		{"dist/module.js", true},
		{"src/dist.ts", false},
		{"inhouse-metrics-datasource-0.1.0.zip", true},
		{"docs/img/a.zip", false}, // patterns are anchored at the context's root
		{"inhouse-metrics", true},
		{"cmd/inhouse-metrics/main.go", false},
		{"docs/contract.md", true},
		{"docs/keep.md", false},
		{"docs/img/query-editor.png", false},
	} {
		if got := ig.Excludes(c.path); got != c.want {
			t.Errorf("Excludes(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}

// Covers says whether one of the stage's COPY instructions from the
// context brings repository file or folder f into the stage.
func (s dockerStage) Covers(f string) bool {
	for _, c := range s.Copies {
		if c.From != "" {
			continue
		}
		for _, src := range c.Sources {
			src = path.Clean(src)
			if ok, _ := path.Match(src, f); ok || strings.HasPrefix(f, src+"/") {
				return true
			}
		}
	}
	return false
}

// checkContextCopies checks that every COPY from the build context names
// something in the repository that .dockerignore lets through, and, in a
// stage that builds from the repository's layout, lands at the same path
// under the WORKDIR: a file or glob into its folder, a folder as itself.
func checkContextCopies(t *testing.T, file string, stages []dockerStage, ig dockerIgnore, mirrored map[string]bool) {
	t.Helper()
	names := map[string]bool{}
	for _, st := range stages {
		for _, c := range st.Copies {
			if c.From != "" {
				if !names[c.From] {
					t.Errorf("%s: COPY --from=%s names no earlier stage", file, c.From)
				}
				continue
			}
			for _, src := range c.Sources {
				matches, err := filepath.Glob(filepath.Join("..", filepath.FromSlash(src)))
				if err != nil || len(matches) == 0 {
					t.Errorf("%s: COPY %s: nothing in the repository matches it", file, src)
				}
				for _, m := range matches {
					rel := filepath.ToSlash(strings.TrimPrefix(m, ".."+string(filepath.Separator)))
					if ig.Excludes(rel) {
						t.Errorf("%s: COPY %s: .dockerignore leaves %s out of the build context", file, src, rel)
					}
				}
				if !mirrored[st.Name] {
					continue
				}
				info, err := os.Stat(filepath.Join("..", filepath.FromSlash(src)))
				want := "./" + path.Dir(src) + "/"
				if path.Dir(src) == "." {
					want = "./"
				}
				if err == nil && info.IsDir() {
					want = "./" + path.Clean(src)
				}
				if c.Dest != want {
					t.Errorf("%s, stage %s: COPY %s to %s; want %s, the repository's layout", file, st.Name, src, c.Dest, want)
				}
			}
		}
		if st.Name != "" {
			names[st.Name] = true
		}
	}
}

var pinnedImage = regexp.MustCompile(`^[a-z0-9./-]+:(\d+)\.(\d+)(?:\.(\d+))?(-[a-z0-9.-]+)?$`)

// imageVersion is the x.y.z (or x.y) of a pinned image tag.
func imageVersion(image string) ([]string, error) {
	m := pinnedImage.FindStringSubmatch(image)
	if m == nil {
		return nil, fmt.Errorf("base image %s is not pinned to a version", image)
	}
	if m[3] == "" {
		m[3] = "0"
	}
	return m[1:4], nil
}
