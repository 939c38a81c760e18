package contract

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Every endpoint path this package names is described in
// docs/openapi.yaml. The paths are read from this package's source, so a
// new Path constant is checked without editing the test.
func TestEveryPathInOpenAPI(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	paths := pathConstants(t)
	if len(paths) < 9 {
		t.Fatalf("found %d Path constants in the package source; the parser missed some: %v", len(paths), paths)
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			ops, ok := doc.Paths[path]
			if !ok {
				t.Fatalf("%s (%s) is not under paths: in docs/openapi.yaml", name, path)
			}
			// The plugin POSTs to every contract path.
			if _, ok := ops["post"]; !ok {
				t.Errorf("docs/openapi.yaml describes %s without its POST operation", path)
			}
		})
	}
}

// pathConstants returns the package's string constants named Path*.
func pathConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Path") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[id.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return out
}
