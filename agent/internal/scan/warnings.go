package scan

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// maxSubjectsNamed is how many subjects a merged warning names before it
// counts the rest.
const maxSubjectsNamed = 4

// mergeWarnings folds warnings that say the same thing (same source and
// message) into the first of them, naming every subject: eight EEPROMs
// unreadable for want of root make one line naming the eight paths (four
// of them and a count), not eight identical lines.
func mergeWarnings(ws []*memledgerv1.Warning) []*memledgerv1.Warning {
	type key struct{ source, message string }
	var (
		out      []*memledgerv1.Warning
		subjects = map[key][]string{}
		first    = map[key]*memledgerv1.Warning{}
	)
	for _, w := range ws {
		k := key{w.GetSource(), w.GetMessage()}
		if _, seen := first[k]; !seen {
			first[k] = w
			out = append(out, w)
		}
		if s := w.GetSubject(); s != "" {
			subjects[k] = append(subjects[k], s)
		}
	}
	for k, w := range first {
		if ss := dedupe(subjects[k]); len(ss) > 1 {
			w.Subject = joinSubjects(ss)
		}
	}
	return out
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// joinSubjects lists subjects: "a, b, c, d and 4 more".
func joinSubjects(ss []string) string {
	if len(ss) <= maxSubjectsNamed {
		return strings.Join(ss, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ss[:maxSubjectsNamed], ", "), len(ss)-maxSubjectsNamed)
}

// errorPath is the file an error is about, or "" when the error names
// none. Reads under the host root name their file as the scanned host does
// ("/sys/bus/i2c/..."; fileutil.ReadFileInRoot).
func errorPath(err error) string {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return ""
	}
	return pe.Path
}
