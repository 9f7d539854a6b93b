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
	b.WriteString("// each with the literal text every match starts with.\n")
	b.WriteString("var partNumberSchemes = [...]partNumberSchemeRow{\n")
	for _, r := range schemes {
		prefix, err := literalPrefix(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", r.Line, err)
		}
		fmt.Fprintf(&b, "\t{%s, %s, %s, %s},\n", quote(r.Pattern), strconv.Quote(prefix), strconv.Quote(r.Maker), strconv.Quote(r.Source))
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
