package testcorpus_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

// TestMain prints, after this package's tests, one line naming every test
// of the module that skips for want of the shared corpus, and why. go test
// shows nothing a passing package prints unless -v is given, so without -v
// the line goes to the go command's standard error (its parent's, on
// Linux): `go test ./...` then says what it skipped instead of passing
// silently. Cached runs print nothing, like every cached test.
func TestMain(m *testing.M) {
	code := m.Run()
	if line, err := skipSummary(); err != nil {
		fmt.Fprintf(os.Stderr, "testcorpus: cannot list the corpus tests: %v\n", err)
	} else if line != "" {
		announce(line)
	}
	os.Exit(code)
}

func announce(line string) {
	if !testing.Verbose() {
		if f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", os.Getppid()), os.O_WRONLY|os.O_APPEND, 0); err == nil {
			fmt.Fprintln(f, line)
			f.Close()
			return
		}
	}
	fmt.Fprintln(os.Stderr, line)
}

// corpusTest is a test that reads the shared corpus through testcorpus.Dir.
type corpusTest struct {
	pkg, name string
	paths     [][]string // the literal leading elements of each Dir call
}

// skipSummary returns one line naming the corpus tests that skip, with the
// missing paths, or "" when none does.
func skipSummary() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	tests, err := findCorpusTests(root)
	if err != nil {
		return "", err
	}
	shared := testcorpus.SharedDir()
	var skipped []string
	missing := map[string]bool{}
	for _, ct := range tests {
		for _, p := range ct.paths {
			dir := filepath.Join(append([]string{shared}, p...)...)
			if _, err := os.Stat(dir); shared == "" || err != nil {
				skipped = append(skipped, ct.pkg+"."+ct.name)
				missing[filepath.Join(p...)] = true
				break
			}
		}
	}
	if len(skipped) == 0 {
		return "", nil
	}
	where := shared
	if where == "" {
		where = "(no go.mod above the working directory)"
	}
	dirs := slices.Sorted(func(yield func(string) bool) {
		for d := range missing {
			if !yield(d) {
				return
			}
		}
	})
	return fmt.Sprintf("testcorpus: %d of %d corpus tests skip: no %s under %s (set %s to the folder holding corpus/ and reference/): %s",
		len(skipped), len(tests), strings.Join(dirs, ", "), where, testcorpus.EnvVar, strings.Join(skipped, " ")), nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// findCorpusTests parses the module's _test.go files and returns the tests,
// fuzz targets and benchmarks that call testcorpus.Dir, directly or through
// a helper of their package.
func findCorpusTests(root string) ([]corpusTest, error) {
	const importPath = `"github.com/memledger/memledger/internal/testcorpus"`
	byPkg := map[string]map[string]*ast.FuncDecl{}
	imports := map[*ast.FuncDecl]string{} // the name testcorpus is imported as
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		name := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == importPath {
				name = "testcorpus"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		funcs := byPkg[rel]
		if funcs == nil {
			funcs = map[string]*ast.FuncDecl{}
			byPkg[rel] = funcs
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Body != nil {
				funcs[fn.Name.Name] = fn
				imports[fn] = name
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []corpusTest
	for pkg, funcs := range byPkg {
		// Paths each function reads itself, then through helpers, to a
		// fixed point.
		paths := map[string][][]string{}
		calls := map[string][]string{}
		for name, fn := range funcs {
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				switch f := call.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := f.X.(*ast.Ident); ok && imports[fn] != "" && x.Name == imports[fn] && f.Sel.Name == "Dir" {
						paths[name] = append(paths[name], literalPrefix(call.Args[1:]))
					}
				case *ast.Ident:
					if _, ok := funcs[f.Name]; ok && f.Name != name {
						calls[name] = append(calls[name], f.Name)
					}
				}
				return true
			})
		}
		for changed := true; changed; {
			changed = false
			for name, callees := range calls {
				for _, c := range callees {
					for _, p := range paths[c] {
						if !slices.ContainsFunc(paths[name], func(q []string) bool { return slices.Equal(p, q) }) {
							paths[name] = append(paths[name], p)
							changed = true
						}
					}
				}
			}
		}
		for name, ps := range paths {
			if isTest(name) {
				out = append(out, corpusTest{pkg: filepath.ToSlash(pkg), name: name, paths: ps})
			}
		}
	}
	slices.SortFunc(out, func(a, b corpusTest) int { return strings.Compare(a.pkg+"."+a.name, b.pkg+"."+b.name) })
	return out, nil
}

// literalPrefix returns the leading string literals of Dir's path
// arguments: a path built at run time is checked as far as it is known.
func literalPrefix(args []ast.Expr) []string {
	var out []string
	for _, a := range args {
		lit, ok := a.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			break
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			break
		}
		out = append(out, s)
	}
	return out
}

func isTest(name string) bool {
	for _, prefix := range []string{"Test", "Fuzz", "Benchmark"} {
		if strings.HasPrefix(name, prefix) && name != "TestMain" {
			return true
		}
	}
	return false
}

// TestFindCorpusTests checks the listing against this module: the corpus
// tests it must find, and a summary that names what is missing.
func TestFindCorpusTests(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tests, err := findCorpusTests(root)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]corpusTest{}
	for _, ct := range tests {
		names[ct.pkg+"."+ct.name] = ct
	}
	if len(tests) < 10 {
		t.Errorf("found %d corpus tests, want the module's (more than 10): %v", len(tests), tests)
	}
	for _, ct := range tests {
		if len(ct.paths) == 0 || len(ct.paths[0]) == 0 {
			t.Errorf("%s.%s: no literal path", ct.pkg, ct.name)
		}
	}

	t.Setenv(testcorpus.EnvVar, filepath.Join(t.TempDir(), "absent"))
	line, err := skipSummary()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("testcorpus: %d of %d corpus tests skip: no ", len(tests), len(tests))
	if !strings.HasPrefix(line, want) || strings.Contains(line, "\n") || !strings.Contains(line, "corpus") {
		t.Errorf("summary without a corpus = %q, want one line starting %q", line, want)
	}
	for name := range names {
		if !strings.Contains(line, " "+name) {
			t.Errorf("summary lacks %s: %q", name, line)
		}
	}
}
