// Command partgen writes internal/maker/partnumbers_gen.go from the
// reviewed part-number table internal/maker/partnumbers.tsv.
//
// The table has four tab-separated columns:
//
//	kind     scheme | exact | ambiguous
//	pattern  scheme: a Go regexp anchored with ^, matched against the part
//	         number upper-cased with white space removed;
//	         exact, ambiguous: that normalised part number itself
//	maker    the maker's slug (internal/maker checks that it is known);
//	         ambiguous: the slugs of the makers it was seen with, joined
//	         by commas (the part number then names nobody)
//	source   why the row is true: a maker's part-number guide, or the
//	         training reports it was mined from
//
// Lines starting with '#' and blank lines are ignored. Scheme rows keep
// their order; exact and ambiguous rows are sorted so that the vendor
// package can binary search them without building anything at start-up.
//
// Usage (from internal/maker, as go:generate runs it):
//
//	go run ./internal/partgen -in partnumbers.tsv -out partnumbers_gen.go
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/memledger/memledger/internal/tsvtable"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "partgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("partgen", flag.ContinueOnError)
	in := fs.String("in", "partnumbers.tsv", "the reviewed part-number table")
	out := fs.String("out", "", "output Go file (default: stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src, err := generateFile(*in)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(src)
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}

// generateFile reads the table at path and returns the formatted Go source.
func generateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rows, err := parseTSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return generate(rows)
}

// Row is one rule of the table.
type Row struct {
	Kind, Pattern, Maker, Source string
	Line                         int // 1-based, for error messages
}

// Columns is the table's header.
var Columns = []string{"kind", "pattern", "maker", "source"}

var (
	errFormat = errors.New("bad part-number table")
	slugRE    = regexp.MustCompile(`^[a-z0-9]+$`)
)

// parseTSV parses and validates the table: the header, four fields per
// row, a known kind, a scheme pattern that compiles and is anchored with ^,
// an exact pattern that is already normalised (upper case, no white
// space), a slug of lower-case letters and digits, a printable source, and
// no pattern listed twice for the same kind.
func parseTSV(r io.Reader) ([]Row, error) {
	var rows []Row
	seen := map[[2]string]int{}
	err := tsvtable.Read(r, Columns, errFormat, func(lineNo int, fields []string) error {
		row := Row{Kind: fields[0], Pattern: fields[1], Maker: fields[2], Source: fields[3], Line: lineNo}
		switch row.Kind {
		case "scheme":
			if !strings.HasPrefix(row.Pattern, "^") {
				return fmt.Errorf("scheme pattern %q is not anchored with ^: %w", row.Pattern, errFormat)
			}
			if _, err := regexp.Compile(row.Pattern); err != nil {
				return fmt.Errorf("scheme pattern %q: %v: %w", row.Pattern, err, errFormat)
			}
		case "exact", "ambiguous":
			if row.Pattern == "" || Normalize(row.Pattern) != row.Pattern {
				return fmt.Errorf("%s pattern %q is not a normalised part number (want %q): %w", row.Kind, row.Pattern, Normalize(row.Pattern), errFormat)
			}
		default:
			return fmt.Errorf("field kind %q is not scheme, exact or ambiguous: %w", row.Kind, errFormat)
		}
		makers := []string{row.Maker}
		if row.Kind == "ambiguous" {
			makers = strings.Split(row.Maker, ",")
			if len(makers) < 2 {
				return fmt.Errorf("ambiguous row names one maker %q, want two or more joined by commas: %w", row.Maker, errFormat)
			}
		}
		for _, m := range makers {
			if !slugRE.MatchString(m) {
				return fmt.Errorf("field maker %q: %q is not a slug of lower-case letters and digits: %w", row.Maker, m, errFormat)
			}
		}
		if err := tsvtable.CheckText(row.Source); err != nil {
			return fmt.Errorf("field source: %v: %w", err, errFormat)
		}
		// A part number is listed once, as exact or as ambiguous.
		key := [2]string{"part", row.Pattern}
		if row.Kind == "scheme" {
			key[0] = "scheme"
		}
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("%s pattern %q already listed on line %d: %w", row.Kind, row.Pattern, prev, errFormat)
		}
		seen[key] = lineNo
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Normalize is the form part numbers are compared in: upper case, white
// space removed (firmware sometimes splits the SPD field: "M3 78T2953EZ3").
// It must stay equal to the vendor package's partNumberKey, which looks the
// rows up (its TestPartNumberTable checks every row against it).
func Normalize(pn string) string {
	return strings.ToUpper(strings.Join(strings.Fields(pn), ""))
}

// generate renders the rules as two arrays of literals: static data that
// needs no work at package initialisation.
func generate(rows []Row) ([]byte, error) {
	var schemes, exact, ambiguous []Row
	for _, r := range rows {
		switch r.Kind {
		case "scheme":
			schemes = append(schemes, r)
		case "exact":
			exact = append(exact, r)
		default:
			ambiguous = append(ambiguous, r)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no rows: %w", errFormat)
	}
	byPattern := func(rs []Row) func(i, j int) bool {
		return func(i, j int) bool { return rs[i].Pattern < rs[j].Pattern }
	}
	sort.SliceStable(exact, byPattern(exact))
	sort.SliceStable(ambiguous, byPattern(ambiguous))

	var b bytes.Buffer
	b.WriteString("// Code generated by internal/partgen from partnumbers.tsv. DO NOT EDIT.\n\n")
	b.WriteString("package maker\n\n")
	b.WriteString("// partNumberSchemes are the scheme rows of partnumbers.tsv, in table order,\n")
	b.WriteString("// each with the literal text every match starts with and, for a scheme with\n")
	b.WriteString("// no literal prefix, the bytes a match can start with (\"\": any).\n")
	b.WriteString("var partNumberSchemes = [...]partNumberSchemeRow{\n")
	for _, r := range schemes {
		prefix, err := literalPrefix(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", r.Line, err)
		}
		var first string
		if prefix == "" {
			first = firstBytes(r.Pattern)
		}
		fmt.Fprintf(&b, "\t{%s, %s, %s, %s, %s},\n", quote(r.Pattern), strconv.Quote(prefix), strconv.Quote(first), strconv.Quote(r.Maker), strconv.Quote(r.Source))
	}
	b.WriteString("}\n\n")
	writeSorted(&b, "partNumberExact", "exact", exact)
	b.WriteString("\n")
	writeSorted(&b, "partNumberAmbiguous", "ambiguous", ambiguous)
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated table: %w", err)
	}
	return src, nil
}

// literalPrefix returns the literal text every match of an anchored
// pattern starts with ("MT" for ^MT[AC]?\d, "K" for ^(?:KHX|KVR)\d, whose
// alternatives the parser factors), so that the vendor package compiles and
// runs a scheme only for part numbers that start with it.
func literalPrefix(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("scheme pattern %q: %v: %w", pattern, err, errFormat)
	}
	var prefix []rune
	var walk func(*syntax.Regexp) bool // false: stop, the prefix ends here
	walk = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpBeginText, syntax.OpEmptyMatch:
			return true
		case syntax.OpLiteral:
			if re.Flags&syntax.FoldCase != 0 {
				return false
			}
			prefix = append(prefix, re.Rune...)
			return true
		case syntax.OpCapture:
			return walk(re.Sub[0])
		case syntax.OpConcat:
			for _, sub := range re.Sub {
				if !walk(sub) {
					return false
				}
			}
			return true
		}
		return false
	}
	walk(re)
	return string(prefix), nil
}

// firstBytes returns the ASCII bytes every match of an anchored pattern
// can start with, in order ("AK" for ^(?:KHX|KVR|ACR)\d), or "" when it
// cannot tell (a match may start with any byte, a non-ASCII rune, or be
// empty). The vendor package compiles a scheme with no literal prefix only
// for part numbers whose first byte is in the set: otherwise every such
// scheme is compiled on every scan.
func firstBytes(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	var set [utf8.RuneSelf]bool
	if !anchoredFirst(re, &set) {
		return ""
	}
	var out []byte
	for c, ok := range set {
		if ok {
			out = append(out, byte(c))
		}
	}
	return string(out)
}

// anchoredFirst adds the first bytes of re's matches to set; re must be
// anchored at the start of the text in every alternative.
func anchoredFirst(re *syntax.Regexp, set *[utf8.RuneSelf]bool) bool {
	switch re.Op {
	case syntax.OpCapture:
		return anchoredFirst(re.Sub[0], set)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !anchoredFirst(sub, set) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		if len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
			return false
		}
		nullable, ok := first(re.Sub[1:], set)
		return ok && !nullable
	}
	return false
}

// first adds the first bytes of the concatenation subs to set and reports
// whether it can match the empty string; ok is false when a first rune
// cannot be listed as ASCII bytes.
func first(subs []*syntax.Regexp, set *[utf8.RuneSelf]bool) (nullable, ok bool) {
	for _, re := range subs {
		n, ok := firstOf(re, set)
		if !ok {
			return false, false
		}
		if !n {
			return false, true
		}
	}
	return true, true
}

func firstOf(re *syntax.Regexp, set *[utf8.RuneSelf]bool) (nullable, ok bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return true, true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true, true
		}
		r := re.Rune[0]
		if re.Flags&syntax.FoldCase != 0 {
			// Folding may reach a non-ASCII rune (k: the Kelvin sign).
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				if f >= utf8.RuneSelf {
					return false, false
				}
				set[f] = true
			}
		}
		if r >= utf8.RuneSelf {
			return false, false
		}
		set[r] = true
		return false, true
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return false, false // matches nothing: no need to be clever
		}
		for i := 0; i < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= utf8.RuneSelf {
				return false, false
			}
			for c := lo; c <= hi; c++ {
				set[c] = true
			}
		}
		return false, true
	case syntax.OpCapture, syntax.OpPlus:
		return firstOf(re.Sub[0], set)
	case syntax.OpStar, syntax.OpQuest:
		_, ok := firstOf(re.Sub[0], set)
		return true, ok
	case syntax.OpRepeat:
		n, ok := firstOf(re.Sub[0], set)
		return n || re.Min == 0, ok
	case syntax.OpConcat:
		return first(re.Sub, set)
	case syntax.OpAlternate:
		nullable := false
		for _, sub := range re.Sub {
			n, ok := firstOf(sub, set)
			if !ok {
				return false, false
			}
			nullable = nullable || n
		}
		return nullable, true
	}
	return false, false
}

func writeSorted(b *bytes.Buffer, name, kind string, rows []Row) {
	fmt.Fprintf(b, "// %s are the %s rows of partnumbers.tsv, sorted by part number.\n", name, kind)
	fmt.Fprintf(b, "var %s = [...]partNumberRow{\n", name)
	for _, r := range rows {
		fmt.Fprintf(b, "\t{%s, %s, %s},\n", strconv.Quote(r.Pattern), strconv.Quote(r.Maker), strconv.Quote(r.Source))
	}
	b.WriteString("}\n")
}

// quote writes a regexp as a raw string when it can, so the generated file
// reads like the table.
func quote(s string) string {
	if !strings.Contains(s, "`") && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}
