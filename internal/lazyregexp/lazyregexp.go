// Package lazyregexp holds regular expressions that are compiled the first
// time they are used rather than at package initialisation.
//
// A one-shot scan links every table of the product but uses a few of its
// regular expressions; compiling all of them in package-level
// regexp.MustCompile calls cost more start-up time than the scan itself
// (GODEBUG=inittrace=1, docs/benchmarks.md). The project's rule: no work
// at package init that a command does not need; a package-level regular
// expression is a lazyregexp.New, a table is generated or built on first
// use (sync.OnceValue).
//
// Under `go test` every expression is compiled when it is declared, so a
// bad pattern fails the package's tests instead of panicking on first use
// in production (the same trick as the Go tree's internal/lazyregexp).
package lazyregexp

import (
	"os"
	"regexp"
	"strings"
	"sync"
)

// Regexp is a regular expression compiled on first use. Its methods are
// those of regexp.Regexp that the project uses; Regexp returns the compiled
// expression for the others.
type Regexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// New returns expr, to be compiled with regexp.MustCompile on first use.
// It allocates once and does nothing else (outside tests).
func New(expr string) *Regexp {
	r := &Regexp{expr: expr}
	if inTest {
		r.compile()
	}
	return r
}

func (r *Regexp) compile() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.expr) })
	return r.re
}

// inTest reports whether the program is a test binary ("pkg.test").
var inTest = len(os.Args) > 0 && strings.HasSuffix(strings.TrimSuffix(os.Args[0], ".exe"), ".test")

// Regexp returns the compiled expression.
func (r *Regexp) Regexp() *regexp.Regexp { return r.compile() }

// String returns the source text of the expression.
func (r *Regexp) String() string { return r.expr }

// MatchString reports whether s contains a match.
func (r *Regexp) MatchString(s string) bool { return r.compile().MatchString(s) }

// FindString returns the leftmost match in s.
func (r *Regexp) FindString(s string) string { return r.compile().FindString(s) }

// FindStringSubmatch returns the leftmost match in s and its submatches.
func (r *Regexp) FindStringSubmatch(s string) []string {
	return r.compile().FindStringSubmatch(s)
}

// FindAllStringSubmatch returns up to n successive matches and their
// submatches (all with n < 0).
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.compile().FindAllStringSubmatch(s, n)
}

// ReplaceAllString replaces the matches in src with repl ($1 expanded).
func (r *Regexp) ReplaceAllString(src, repl string) string {
	return r.compile().ReplaceAllString(src, repl)
}
