package policy

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/testcorpus"
)

const fullPolicy = `# CAC and NDAA example
version: 1
rules:
  - id: cac-2023-micron
    title: "CAC ruling of 21 May 2023: no new Micron in critical infrastructure"
    reference: "https://example.org/cac-2023-05-21"
    match:
      vendors: [micron]
      components: [storage, module, dram]
    scope:
      cii: "true"
      region: [cn-north, cn-east]
    effective: 2023-05-21
    action: restrict-new
  - id: ndaa-5949
    title: FY2023 NDAA section 5949
    match:
      vendors: [ymtc, cxmt]
      part_numbers: ["36ASF*", "re:^CX"]
      models: ["re:(?i)zhitai"]
    effective: 2027-12-23T00:00:00-05:00
    action: deny
  - id: strict-one
    title: Strict baseline
    match: {part_numbers: ["KSM32RD4/32MEI"]}
    effective: 2024-01-01
    action: restrict-new
    baseline: strict
waivers:
  - rule: cac-2023-micron
    host: 4c4c4544-0042-3510-8052-b4c04f4d3332
    serial: "0x1A2B3C4D"
    reason: replacement under support contract
    approved_by: ciso@example.com
    expires: 2024-12-31
`

func TestParseFull(t *testing.T) {
	p, err := Parse([]byte(fullPolicy), "fleet.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if p.Source != "fleet.yaml" {
		t.Errorf("Source = %q", p.Source)
	}
	if got := p.RuleIDs(); !slices.Equal(got, []string{"cac-2023-micron", "ndaa-5949", "strict-one"}) {
		t.Fatalf("RuleIDs = %v", got)
	}
	cac, ndaa, strict := p.Rules[0], p.Rules[1], p.Rules[2]

	if cac.Line != 4 || ndaa.Line != 15 || strict.Line != 23 {
		t.Errorf("rule lines %d, %d, %d, want 4, 15, 23", cac.Line, ndaa.Line, strict.Line)
	}
	if !strings.HasPrefix(cac.Title, "CAC ruling") || !strings.HasPrefix(cac.Reference, "https://") {
		t.Errorf("cac title/reference = %q / %q", cac.Title, cac.Reference)
	}
	// Components are normalised to module, dram, storage order.
	if !slices.Equal(cac.Match.Components, []string{"module", "dram", "storage"}) {
		t.Errorf("cac components = %v", cac.Match.Components)
	}
	if !cac.Effective.Equal(time.Date(2023, 5, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("cac effective = %v", cac.Effective)
	}
	if cac.Action != ActionRestrictNew || cac.Baseline != BaselineGrandfather {
		t.Errorf("cac action/baseline = %s/%s", cac.Action, cac.Baseline)
	}
	if !slices.Equal(cac.Scope["cii"], []string{"true"}) || !slices.Equal(cac.Scope["region"], []string{"cn-north", "cn-east"}) {
		t.Errorf("cac scope = %v", cac.Scope)
	}
	if !slices.Equal(ndaa.Match.Vendors, []string{"ymtc", "cxmt"}) {
		t.Errorf("ndaa vendors = %v", ndaa.Match.Vendors)
	}
	if !slices.Equal(ndaa.Match.Components, allComponents) {
		t.Errorf("ndaa default components = %v", ndaa.Match.Components)
	}
	if len(ndaa.Match.PartNumbers) != 2 || ndaa.Match.PartNumbers[1].String() != "re:^CX" || len(ndaa.Match.Models) != 1 {
		t.Errorf("ndaa patterns = %v / %v", ndaa.Match.PartNumbers, ndaa.Match.Models)
	}
	if want := time.Date(2027, 12, 23, 5, 0, 0, 0, time.UTC); !ndaa.Effective.Equal(want) {
		t.Errorf("ndaa effective = %v, want %v", ndaa.Effective, want)
	}
	if strict.Baseline != BaselineStrict || len(strict.Match.Vendors) != 0 || len(strict.Scope) != 0 {
		t.Errorf("strict rule = %+v", strict)
	}
	if len(p.Waivers) != 1 {
		t.Fatalf("waivers = %+v", p.Waivers)
	}
	w := p.Waivers[0]
	want := Waiver{
		RuleID: "cac-2023-micron", HostID: "4c4c4544-0042-3510-8052-b4c04f4d3332", Serial: "0x1A2B3C4D",
		Reason: "replacement under support contract", ApprovedBy: "ciso@example.com",
		Expires: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), Line: 30,
	}
	if w != want {
		t.Errorf("waiver = %+v\nwant     %+v", w, want)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2023-05-21", time.Date(2023, 5, 21, 0, 0, 0, 0, time.UTC), true},
		{"2027-12-23T00:00:00-05:00", time.Date(2027, 12, 23, 5, 0, 0, 0, time.UTC), true},
		{"2023-05-21T08:30:00Z", time.Date(2023, 5, 21, 8, 30, 0, 0, time.UTC), true},
		{"2023-05-21T08:30:00.5+08:00", time.Date(2023, 5, 21, 0, 30, 0, 5e8, time.UTC), true},
		{"2023-5-21", time.Time{}, false},
		{"21/05/2023", time.Time{}, false},
		{"2023-02-30", time.Time{}, false},
		{"2023-05-21 08:30:00", time.Time{}, false},
		{"2023-05-21T08:30:00", time.Time{}, false}, // no zone
		{"", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := parseTime(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseErrors gives each kind of mistake and the exact message it must
// produce, file and line first.
func TestParseErrors(t *testing.T) {
	const head = "rules:\n  - id: r1\n    title: T\n    match: {vendors: [micron]}\n    effective: 2023-05-21\n    action: restrict-new\n"
	// head is lines 1-6; what a test appends starts on line 7.
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", "", []string{"p.yaml: empty policy file"}},
		{"comments only", "# nothing\n", []string{"p.yaml: empty policy file"}},
		{"YAML syntax error", "rules:\n  - id: [unclosed\n", []string{"p.yaml:2: YAML syntax: did not find expected ',' or ']'"}},
		{"YAML scanner error", "version: 1\nrules: a: b\n", []string{"p.yaml:2: YAML syntax: mapping values are not allowed in this context"}},
		{"YAML tab indentation", "version: 1\nrules:\n\t- id: x\n", []string{"p.yaml:3: YAML syntax: found character that cannot start any token"}},
		{"YAML list item in a mapping", "version: 1\n- a\n", []string{"p.yaml:2: YAML syntax: did not find expected key"}},
		{"two documents", head + "---\nrules: []\n", []string{"p.yaml:7: a policy file holds one YAML document; found another"}},
		{"top level is a list", "- a\n", []string{"p.yaml:1: policy must be a mapping, not a list"}},
		{"unknown top-level key", head + "rulez: []\n", []string{`p.yaml:7: policy: unknown key "rulez" (known: version, rules, waivers)`}},
		{"unsupported version", "version: 2\n" + head, []string{`p.yaml:1: version: unsupported policy format version "2" (this memledger reads version 1)`}},
		{"no rules", "waivers: []\n", []string{"p.yaml:1: policy has no rules"}},
		{"empty rule list", "rules: []\n", []string{"p.yaml:1: policy has no rules (rules is an empty list)"}},
		{"rules not a list", "rules: {id: x}\n", []string{"p.yaml:1: rules must be a list, not a mapping"}},
		{"long values are clipped in messages", head + "    " + strings.Repeat("k", 100) + ": 1\n",
			[]string{`p.yaml:7: rule "r1": unknown key "` + strings.Repeat("k", 64) + `..." (known: id, title, reference, match, scope, effective, action, baseline)`}},
		{"unknown rule key", head + "    severity: high\n",
			[]string{`p.yaml:7: rule "r1": unknown key "severity" (known: id, title, reference, match, scope, effective, action, baseline)`}},
		{"duplicate key", head + "    action: deny\n", []string{`p.yaml:7: rule "r1": key "action" given twice (first on line 6)`}},
		{"missing keys", "rules:\n  - id: r1\n    title: T\n", []string{
			`p.yaml:2: rule "r1": missing "match"`, `p.yaml:2: rule "r1": missing "effective"`, `p.yaml:2: rule "r1": missing "action"`}},
		{"empty title", "rules:\n  - id: r1\n    title:\n    match: {vendors: [micron]}\n    effective: 2023-05-21\n    action: deny\n",
			[]string{`p.yaml:3: rule "r1": title is empty`}},
		{"bad rule id", "rules:\n  - id: \"no spaces\"\n    title: T\n    match: {vendors: [micron]}\n    effective: 2023-05-21\n    action: deny\n",
			[]string{`p.yaml:2: rules[0]: id "no spaces": use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`}},
		{"duplicate rule id", head + "  - id: r1\n    title: T2\n    match: {vendors: [ymtc]}\n    effective: 2023-05-21\n    action: deny\n",
			[]string{`p.yaml:7: rule id "r1" used twice (first on line 2)`}},
		{"bad effective date", strings.Replace(head, "2023-05-21", "2023-05-32", 1),
			[]string{`p.yaml:5: rule "r1": effective: bad date "2023-05-32": want YYYY-MM-DD (midnight UTC) or RFC 3339 (2023-05-21T00:00:00+08:00)`}},
		{"date with a space", strings.Replace(head, "2023-05-21", "2023-05-21 10:00:00", 1),
			[]string{`p.yaml:5: rule "r1": effective: bad date "2023-05-21 10:00:00": want YYYY-MM-DD (midnight UTC) or RFC 3339 (2023-05-21T00:00:00+08:00)`}},
		{"unknown action", strings.Replace(head, "restrict-new", "block", 1),
			[]string{`p.yaml:6: rule "r1": unknown action "block" (want restrict-new, deny or allow)`}},
		{"unknown baseline", head + "    baseline: lenient\n", []string{`p.yaml:7: rule "r1": unknown baseline "lenient" (want grandfather or strict)`}},
		{"baseline on a deny rule", strings.Replace(head, "restrict-new", "deny", 1) + "    baseline: strict\n",
			[]string{`p.yaml:7: rule "r1": baseline applies only to restrict-new rules, not deny`}},
		{"unknown vendor slug", strings.Replace(head, "[micron]", "[micron, micorn]", 1),
			[]string{`p.yaml:4: rule "r1": match.vendors: unknown vendor slug "micorn" (did you mean micron, jmicron, xicor?)`}},
		{"SMIC is a foundry, not a maker slug", strings.Replace(head, "[micron]", "[ymtc, cxmt, smic]", 1),
			[]string{`p.yaml:4: rule "r1": match.vendors: unknown vendor slug "smic" (did you mean amic, smsc?)`}},
		{"vendor slug in capitals", strings.Replace(head, "[micron]", "[Micron]", 1),
			[]string{`p.yaml:4: rule "r1": match.vendors: unknown vendor slug "Micron" (slugs are lowercase: "micron")`}},
		{"vendors not a list", strings.Replace(head, "[micron]", "micron", 1),
			[]string{`p.yaml:4: rule "r1": match.vendors must be a list (e.g. [a, b]), not the scalar "micron"`}},
		{"empty vendor list", strings.Replace(head, "[micron]", "[]", 1),
			[]string{`p.yaml:4: rule "r1": match.vendors is an empty list`}},
		{"unknown match key", strings.Replace(head, "{vendors: [micron]}", "{vendors: [micron], vendor: [ymtc]}", 1),
			[]string{`p.yaml:4: rule "r1": match: unknown key "vendor" (known: vendors, components, part_numbers, models)`}},
		{"empty match", strings.Replace(head, "{vendors: [micron]}", "{components: [module]}", 1),
			[]string{`p.yaml:4: rule "r1": match is empty: give vendors, part_numbers or models`}},
		{"match not a mapping", strings.Replace(head, "{vendors: [micron]}", "micron", 1),
			[]string{`p.yaml:4: rule "r1": match must be a mapping, not the scalar "micron"`}},
		{"unknown component", strings.Replace(head, "{vendors: [micron]}", "{vendors: [micron], components: [module, gpu]}", 1),
			[]string{`p.yaml:4: rule "r1": match.components: unknown component "gpu" (want module, dram or storage)`}},
		{"bad regex", strings.Replace(head, "{vendors: [micron]}", "{part_numbers: [\"re:^MT(\"]}", 1),
			[]string{"p.yaml:4: rule \"r1\": match.part_numbers: pattern \"re:^MT(\": bad regular expression \"^MT(\": error parsing regexp: missing closing ): `^MT(`"}},
		{"empty regex", strings.Replace(head, "{vendors: [micron]}", "{models: [\"re:\"]}", 1),
			[]string{`p.yaml:4: rule "r1": match.models: pattern "re:": empty regular expression`}},
		{"scope value null", head + "    scope:\n      cii:\n",
			[]string{`p.yaml:8: rule "r1": scope.cii is empty`}},
		{"scope empty list", head + "    scope:\n      site: []\n",
			[]string{`p.yaml:8: rule "r1": scope.site is an empty list`}},
		{"scope nested mapping", head + "    scope:\n      site: {a: b}\n",
			[]string{`p.yaml:8: rule "r1": scope.site must be a string, not a mapping`}},
		{"merge key", head + "    <<: {title: x}\n", []string{`p.yaml:7: rule "r1": merge keys (<<) are not supported; repeat the keys`}},
		{"waiver of unknown rule", head + "waivers:\n  - rule: r2\n    host: h1\n    reason: x\n    expires: 2024-01-01\n",
			[]string{`p.yaml:8: waivers[0].rule: unknown rule id "r2"`}},
		{"waiver of an allow rule", strings.Replace(head, "restrict-new", "allow", 1) + "waivers:\n  - rule: r1\n    host: h1\n    reason: x\n    expires: 2024-01-01\n",
			[]string{`p.yaml:8: waivers[0].rule: rule "r1" is an allow rule; waivers apply to restrict-new and deny rules`}},
		{"waiver bad expiry", head + "waivers:\n  - rule: r1\n    host: h1\n    reason: x\n    expires: soon\n",
			[]string{`p.yaml:11: waivers[0].expires: bad date "soon": want YYYY-MM-DD (midnight UTC) or RFC 3339 (2023-05-21T00:00:00+08:00)`}},
		{"waiver missing keys", head + "waivers:\n  - rule: r1\n    host: h1\n",
			[]string{`p.yaml:8: waivers[0]: missing "reason"`, `p.yaml:8: waivers[0]: missing "expires"`}},
		{"waiver unknown key", head + "waivers:\n  - rule: r1\n    host: h1\n    reason: x\n    expires: 2024-01-01\n    until: 2025-01-01\n",
			[]string{`p.yaml:12: waivers[0]: unknown key "until" (known: rule, host, serial, reason, expires, approved_by)`}},
		{"waivers not a list", head + "waivers: {rule: r1}\n", []string{"p.yaml:7: waivers must be a list, not a mapping"}},
		{"waiver of a rule with another mistake is not reported unknown",
			strings.Replace(head, "restrict-new", "block", 1) + "waivers:\n  - rule: r1\n    host: h1\n    reason: x\n    expires: 2024-01-01\n",
			[]string{`p.yaml:6: rule "r1": unknown action "block" (want restrict-new, deny or allow)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := Parse([]byte(tc.src), "p.yaml")
			if err == nil {
				t.Fatalf("no error; policy %+v", pol)
			}
			if pol != nil {
				t.Errorf("policy returned with an error: %+v", pol)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "p.yaml" {
				t.Errorf("errors.As(*ParseError) = %v, %+v", errors.As(err, &pe), pe)
			}
		})
	}
}

// TestParseReportsAllErrors checks that one file with several mistakes
// gets all of them, in line order.
func TestParseReportsAllErrors(t *testing.T) {
	src := `waivers:
  - rule: nope
    host: h
    reason: r
    expires: 2024-01-01
rules:
  - id: a
    title: A
    match: {vendors: [micorn]}
    effective: 2023-13-01
    action: deny
    colour: red
`
	_, err := Parse([]byte(src), "multi.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	var lines []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		lines = append(lines, e.Error())
	}
	want := []string{
		`multi.yaml:2: waivers[0].rule: unknown rule id "nope"`,
		`multi.yaml:9: rule "a": match.vendors: unknown vendor slug "micorn" (did you mean micron, jmicron, xicor?)`,
		`multi.yaml:10: rule "a": effective: bad date "2023-13-01": want YYYY-MM-DD (midnight UTC) or RFC 3339 (2023-05-21T00:00:00+08:00)`,
		`multi.yaml:12: rule "a": unknown key "colour" (known: id, title, reference, match, scope, effective, action, baseline)`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestParseDefaultFilename(t *testing.T) {
	_, err := Parse(nil, "")
	if err == nil || err.Error() != "<policy>: empty policy file" {
		t.Errorf("err = %v", err)
	}
}

func TestParseAliases(t *testing.T) {
	p, err := Parse([]byte(`
rules:
  - id: a
    title: A
    match: {vendors: [micron]}
    scope: &cii {cii: "true"}
    effective: &day 2023-05-21
    action: restrict-new
  - id: b
    title: B
    match: {vendors: [ymtc]}
    scope: *cii
    effective: *day
    action: deny
`), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Rules[1].Scope["cii"], []string{"true"}) || !p.Rules[1].Effective.Equal(p.Rules[0].Effective) {
		t.Errorf("aliases not followed: %+v", p.Rules[1])
	}
}

func TestCompilePattern(t *testing.T) {
	tests := []struct {
		pattern string
		value   string
		want    bool
	}{
		{"36ASF*", "36ASF8G72PZ-3G2E1", true},
		{"36ASF*", "36asf8g72pz-3g2e1", true}, // globs ignore case
		{"36ASF*", "x36ASF8G72PZ", false},     // globs are anchored
		{"36ASF*", "  36ASF8G72PZ  ", true},   // padding is trimmed
		{"KSM32RD4/32*", "KSM32RD4/32MEI", true},
		{"KSM32RD4/??EI", "KSM32RD4/32MEI", false},
		{"KSM32RD4/???EI", "KSM32RD4/32MEI", true},
		{"CT16G4DFRA32A.M16FF", "CT16G4DFRA32AXM16FF", false}, // '.' is literal in a glob
		{"re:^MTFD", "MTFDKCC1T9TFR", true},
		{"re:^MTFD", "mtfdkcc1t9tfr", false}, // regexes are as written
		{"re:(?i)^mtfd", "MTFDKCC1T9TFR", true},
		{"re:7450", "Micron_7450_MTFDKCC1T9TFR", true}, // unanchored regex
		{"re:^$", "", true},
	}
	for _, tc := range tests {
		p, err := CompilePattern(tc.pattern)
		if err != nil {
			t.Fatalf("CompilePattern(%q): %v", tc.pattern, err)
		}
		if got := p.Match(tc.value); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
	for _, bad := range []string{"", "re:", "re:(", "re:[z-a]"} {
		if _, err := CompilePattern(bad); err == nil {
			t.Errorf("CompilePattern(%q): no error", bad)
		}
	}
	if (Pattern{}).Match("x") {
		t.Error("zero Pattern matched")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(fullPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadFile(path)
	if err != nil || p.Source != path || len(p.Rules) != 3 {
		t.Fatalf("LoadFile = %+v, %v", p, err)
	}
	_, err = LoadFile(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}

// TestDocsExamples parses every ```yaml block of docs/policy.md, so the
// documentation cannot drift from the parser.
func TestDocsExamples(t *testing.T) {
	root := testcorpus.RepoRoot(t)
	path := filepath.Join(root, "docs", "policy.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the policy documentation: %v", err)
	}
	blocks := regexp.MustCompile("(?ms)^```yaml\n(.*?)^```").FindAllSubmatchIndex(data, -1)
	if len(blocks) < 3 {
		t.Fatalf("%s: found %d yaml examples, want at least 3", path, len(blocks))
	}
	for _, b := range blocks {
		line := 1 + strings.Count(string(data[:b[2]]), "\n")
		if _, err := Parse(data[b[2]:b[3]], "docs/policy.md example at line "+strconv.Itoa(line)); err != nil {
			t.Errorf("%v", err)
		}
	}
}
