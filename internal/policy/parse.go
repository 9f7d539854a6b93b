package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/lazyregexp"
)

// ParseError is one mistake in a policy file. Parse returns all of them
// joined (errors.Join); errors.As finds the first.
type ParseError struct {
	File string
	// Line is 1-based; 0 when the mistake has no line (an empty file).
	Line int
	Msg  string
}

// Error formats the mistake as "FILE:LINE: message".
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Parse reads a policy file's content. filename is used in messages only
// ("<policy>" when empty). Every mistake found is reported, each as a
// *ParseError "FILE:LINE: message", joined with errors.Join: unknown or
// duplicate keys, missing or empty values, bad dates, unknown vendor slugs,
// components or actions, bad patterns, duplicate rule ids, waivers naming
// unknown rules.
func Parse(data []byte, filename string) (*Policy, error) {
	return parse(data, filename, isKnownSlug)
}

// maxPolicyBytes bounds a policy file: real ones are a few KiB, and a
// wrong path (/dev/zero, a disk image) must not exhaust memory.
const maxPolicyBytes = 16 << 20

// LoadFile reads and parses the policy file at path.
func LoadFile(path string) (*Policy, error) {
	data, err := fileutil.ReadFileLimit(path, maxPolicyBytes)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	return Parse(data, path)
}

// parse is Parse with the vendor slug check injected, so that the parser
// can be tested on its own.
func parse(data []byte, filename string, knownSlug func(string) bool) (pol *Policy, err error) {
	if filename == "" {
		filename = "<policy>"
	}
	p := &parser{file: filename, knownSlug: knownSlug}
	defer func() {
		// The YAML library is third-party code run on untrusted input;
		// should it ever panic, report a bad file rather than crash the
		// agent or the collector.
		if r := recover(); r != nil {
			pol, err = nil, &ParseError{File: filename, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	root := p.decode(data)
	if root == nil {
		return nil, p.err()
	}
	pol = &Policy{Source: filename}
	p.policy(root, pol)
	if err := p.err(); err != nil {
		return nil, err
	}
	return pol, nil
}

type parser struct {
	file      string
	knownSlug func(string) bool
	errs      []*ParseError
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err joins the errors in line order (rules are checked before waivers
// whatever their order in the file).
func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, func(a, b *ParseError) int { return a.Line - b.Line })
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// yamlLineError matches the YAML library's syntax errors.
var yamlLineError = lazyregexp.New(`^yaml: line (\d+): (.*)$`)

// decode parses the single YAML document and returns its root node, or nil
// after recording why it cannot.
func (p *parser) decode(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(0, "empty policy file")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
		return nil
	default:
		p.errorf(extra.Line, "a policy file holds one YAML document; found another")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorf(doc.Line, "empty policy file")
		return nil
	}
	return doc.Content[0]
}

// yamlParserErrors are the YAML library's parser (not scanner) errors. It
// reports their line counted from 0 (the line where the construct being
// parsed starts), and scanner errors' line counted from 1.
var yamlParserErrors = []string{
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
	"found undefined tag handle",
}

func (p *parser) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line, msg = n, m[2]
		}
	}
	if strings.HasPrefix(msg, "did not find expected") || slices.Contains(yamlParserErrors, msg) {
		line++
	}
	p.errorf(line, "YAML syntax: %s", msg)
}

// resolve follows aliases (*name) to the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	// An alias never points at another alias; the bound only guards
	// against a malformed tree.
	for i := 0; i < 8 && n != nil && n.Kind == yaml.AliasNode; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the scalar %q", clip(n.Value))
	case yaml.AliasNode:
		return "an alias"
	}
	return "something else"
}

// clip shortens a value quoted in a message, so that a hostile file cannot
// make its errors megabytes long.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// entry is one key of a mapping.
type entry struct {
	keyLine int
	value   *yaml.Node
}

// mapping returns the keys of a mapping node, reporting unknown and
// duplicate keys. what names the mapping in messages.
func (p *parser) mapping(n *yaml.Node, what string, allowed ...string) (map[string]entry, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil {
			p.errorf(n.Line, "%s must be a mapping, not %s", what, kindName(n))
		}
		return nil, false
	}
	out := make(map[string]entry, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errorf(n.Content[i].Line, "%s: keys must be plain names", what)
			continue
		}
		if k.Value == "<<" {
			p.errorf(k.Line, "%s: merge keys (<<) are not supported; repeat the keys", what)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			p.errorf(k.Line, "%s: unknown key %q (known: %s)", what, clip(k.Value), strings.Join(allowed, ", "))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			p.errorf(k.Line, "%s: key %q given twice (first on line %d)", what, clip(k.Value), prev.keyLine)
			continue
		}
		out[k.Value] = entry{keyLine: k.Line, value: v}
	}
	return out, true
}

// str returns a non-empty scalar's text. Scalars of any YAML type are
// accepted by their text, so `cii: true` reads as "true".
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	n = resolve(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n.Line, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		p.errorf(n.Line, "%s is empty", what)
		return "", false
	}
	return n.Value, true
}

// item is a list element with its line.
type item struct {
	value string
	line  int
}

// strList returns the items of a non-empty list of non-empty scalars.
func (p *parser) strList(n *yaml.Node, what string) ([]item, bool) {
	n = resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, "%s must be a list (e.g. [a, b]), not %s", what, kindName(n))
		return nil, false
	}
	if len(n.Content) == 0 {
		p.errorf(n.Line, "%s is an empty list", what)
		return nil, false
	}
	out := make([]item, 0, len(n.Content))
	ok := true
	for i, c := range n.Content {
		s, good := p.str(c, fmt.Sprintf("%s[%d]", what, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, item{value: s, line: resolve(c).Line})
	}
	return out, ok
}

// parseTime accepts a date ("2023-05-21", midnight UTC) or an RFC 3339
// timestamp.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("bad date %q: want YYYY-MM-DD (midnight UTC) or RFC 3339 (2023-05-21T00:00:00+08:00)", clip(s))
}

func (p *parser) date(n *yaml.Node, what string) (time.Time, bool) {
	s, ok := p.str(n, what)
	if !ok {
		return time.Time{}, false
	}
	t, err := parseTime(s)
	if err != nil {
		p.errorf(resolve(n).Line, "%s: %v", what, err)
		return time.Time{}, false
	}
	return t, true
}

// ruleIDPattern keeps ids usable in file names, metrics labels and URLs.
var ruleIDPattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (p *parser) policy(root *yaml.Node, pol *Policy) {
	top, ok := p.mapping(root, "policy", "version", "rules", "waivers")
	if !ok {
		return
	}
	if e, ok := top["version"]; ok {
		if v, ok := p.str(e.value, "version"); ok && v != "1" {
			p.errorf(resolve(e.value).Line, "version: unsupported policy format version %q (this memledger reads version 1)", clip(v))
		}
	}
	// ruleActions holds every id seen, valid rule or not, so that a waiver
	// of a rule with another mistake is not reported as unknown too.
	ruleActions := map[string]Action{}
	ruleLines := map[string]int{}
	e, ok := top["rules"]
	if !ok {
		p.errorf(root.Line, "policy has no rules")
	} else if rules := resolve(e.value); rules.Kind != yaml.SequenceNode {
		p.errorf(rules.Line, "rules must be a list, not %s", kindName(rules))
	} else if len(rules.Content) == 0 {
		p.errorf(rules.Line, "policy has no rules (rules is an empty list)")
	} else {
		for i, rn := range rules.Content {
			r, valid := p.rule(rn, i)
			if r.ID != "" {
				if first, dup := ruleLines[r.ID]; dup {
					p.errorf(r.Line, "rule id %q used twice (first on line %d)", r.ID, first)
					valid = false
				} else {
					ruleLines[r.ID] = r.Line
					ruleActions[r.ID] = r.Action
				}
			}
			if valid {
				pol.Rules = append(pol.Rules, r)
			}
		}
	}
	if e, ok := top["waivers"]; ok {
		ws := resolve(e.value)
		switch {
		case ws.Kind == yaml.ScalarNode && ws.Tag == "!!null":
			// "waivers:" with nothing under it: none.
		case ws.Kind != yaml.SequenceNode:
			p.errorf(ws.Line, "waivers must be a list, not %s", kindName(ws))
		default:
			for i, wn := range ws.Content {
				if w, ok := p.waiver(wn, i, ruleActions); ok {
					pol.Waivers = append(pol.Waivers, w)
				}
			}
		}
	}
}

// ruleName names a rule in messages: by its id when it has a valid one, so
// that even a mistake found before the id is read names the rule.
func ruleName(n *yaml.Node, index int) string {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
			if k != nil && v != nil && k.Kind == yaml.ScalarNode && k.Value == "id" &&
				v.Kind == yaml.ScalarNode && ruleIDPattern.MatchString(v.Value) {
				return fmt.Sprintf("rule %q", v.Value)
			}
		}
	}
	return fmt.Sprintf("rules[%d]", index)
}

// rule parses one rule. It returns what it could read (the id, when
// readable, even if invalid) and whether the rule is valid.
func (p *parser) rule(n *yaml.Node, index int) (Rule, bool) {
	n = resolve(n)
	r := Rule{Line: n.Line, Baseline: BaselineGrandfather}
	what := ruleName(n, index)
	fields, ok := p.mapping(n, what, "id", "title", "reference", "match", "scope", "effective", "action", "baseline")
	if !ok {
		return r, false
	}
	nerr := len(p.errs)
	if e, ok := fields["id"]; ok {
		if id, ok := p.str(e.value, what+": id"); ok {
			if ruleIDPattern.MatchString(id) {
				r.ID = id
			} else {
				p.errorf(resolve(e.value).Line, "%s: id %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", what, clip(id))
			}
		}
	}
	for _, key := range []string{"id", "title", "match", "effective", "action"} {
		if _, ok := fields[key]; !ok {
			p.errorf(n.Line, "%s: missing %q", what, key)
		}
	}
	if e, ok := fields["title"]; ok {
		r.Title, _ = p.str(e.value, what+": title")
	}
	if e, ok := fields["reference"]; ok {
		r.Reference, _ = p.str(e.value, what+": reference")
	}
	if e, ok := fields["match"]; ok {
		r.Match = p.match(e.value, what+": match")
	}
	if e, ok := fields["scope"]; ok {
		r.Scope = p.scope(e.value, what+": scope")
	}
	if e, ok := fields["effective"]; ok {
		r.Effective, _ = p.date(e.value, what+": effective")
	}
	if e, ok := fields["action"]; ok {
		if a, ok := p.str(e.value, what+": action"); ok {
			switch Action(a) {
			case ActionRestrictNew, ActionDeny, ActionAllow:
				r.Action = Action(a)
			default:
				p.errorf(resolve(e.value).Line, "%s: unknown action %q (want restrict-new, deny or allow)", what, clip(a))
			}
		}
	}
	if e, ok := fields["baseline"]; ok {
		if b, ok := p.str(e.value, what+": baseline"); ok {
			line := resolve(e.value).Line
			switch Baseline(b) {
			case BaselineGrandfather, BaselineStrict:
				r.Baseline = Baseline(b)
				if r.Action != "" && r.Action != ActionRestrictNew {
					p.errorf(line, "%s: baseline applies only to restrict-new rules, not %s", what, r.Action)
				}
			default:
				p.errorf(line, "%s: unknown baseline %q (want grandfather or strict)", what, clip(b))
			}
		}
	}
	return r, len(p.errs) == nerr
}

func (p *parser) match(n *yaml.Node, what string) Match {
	var m Match
	fields, ok := p.mapping(n, what, "vendors", "components", "part_numbers", "models")
	if !ok {
		return m
	}
	if e, ok := fields["vendors"]; ok {
		items, _ := p.strList(e.value, what+".vendors")
		for _, it := range items {
			if p.knownSlug(it.value) {
				m.Vendors = append(m.Vendors, currentSlug(it.value))
				continue
			}
			p.errorf(it.line, "%s.vendors: unknown vendor slug %q%s", what, clip(it.value), slugHint(it.value))
		}
	}
	if e, ok := fields["components"]; ok {
		items, _ := p.strList(e.value, what+".components")
		seen := map[string]bool{}
		for _, it := range items {
			if !slices.Contains(allComponents, it.value) {
				p.errorf(it.line, "%s.components: unknown component %q (want module, dram or storage)", what, clip(it.value))
				continue
			}
			seen[it.value] = true
		}
		for _, c := range allComponents {
			if seen[c] {
				m.Components = append(m.Components, c)
			}
		}
	} else {
		m.Components = slices.Clone(allComponents)
	}
	m.PartNumbers = p.patterns(fields, "part_numbers", what)
	m.Models = p.patterns(fields, "models", what)
	if _, v := fields["vendors"]; !v {
		_, pn := fields["part_numbers"]
		_, mo := fields["models"]
		if !pn && !mo {
			p.errorf(resolve(n).Line, "%s is empty: give vendors, part_numbers or models", what)
		}
	}
	return m
}

func (p *parser) patterns(fields map[string]entry, key, what string) []Pattern {
	e, ok := fields[key]
	if !ok {
		return nil
	}
	items, _ := p.strList(e.value, what+"."+key)
	var out []Pattern
	for _, it := range items {
		pat, err := CompilePattern(it.value)
		if err != nil {
			p.errorf(it.line, "%s.%s: pattern %q: %v", what, key, clip(it.value), err)
			continue
		}
		out = append(out, pat)
	}
	return out
}

func (p *parser) scope(n *yaml.Node, what string) Scope {
	fields, ok := p.mapping(n, what)
	if !ok {
		return nil
	}
	s := make(Scope, len(fields))
	for key, e := range fields {
		if strings.TrimSpace(key) == "" {
			p.errorf(e.keyLine, "%s: empty label name", what)
			continue
		}
		v := resolve(e.value)
		label := fmt.Sprintf("%s.%s", what, clip(key))
		if v.Kind == yaml.SequenceNode {
			items, _ := p.strList(v, label)
			for _, it := range items {
				s[key] = append(s[key], it.value)
			}
			continue
		}
		// A scalar label value may legitimately be empty only when quoted
		// (""), which str rejects; a host label is never selected by "".
		if val, ok := p.str(v, label); ok {
			s[key] = []string{val}
		}
	}
	return s
}

func (p *parser) waiver(n *yaml.Node, index int, ruleActions map[string]Action) (Waiver, bool) {
	n = resolve(n)
	w := Waiver{Line: n.Line}
	what := fmt.Sprintf("waivers[%d]", index)
	fields, ok := p.mapping(n, what, "rule", "host", "serial", "reason", "expires", "approved_by")
	if !ok {
		return w, false
	}
	nerr := len(p.errs)
	for _, key := range []string{"rule", "host", "reason", "expires"} {
		if _, ok := fields[key]; !ok {
			p.errorf(n.Line, "%s: missing %q", what, key)
		}
	}
	if e, ok := fields["rule"]; ok {
		if id, ok := p.str(e.value, what+".rule"); ok {
			w.RuleID = id
			action, known := ruleActions[id]
			switch {
			case !known:
				p.errorf(resolve(e.value).Line, "%s.rule: unknown rule id %q", what, clip(id))
			case action == ActionAllow:
				p.errorf(resolve(e.value).Line, "%s.rule: rule %q is an allow rule; waivers apply to restrict-new and deny rules", what, id)
			}
		}
	}
	if e, ok := fields["host"]; ok {
		w.HostID, _ = p.str(e.value, what+".host")
	}
	if e, ok := fields["serial"]; ok {
		w.Serial, _ = p.str(e.value, what+".serial")
	}
	if e, ok := fields["reason"]; ok {
		w.Reason, _ = p.str(e.value, what+".reason")
	}
	if e, ok := fields["approved_by"]; ok {
		w.ApprovedBy, _ = p.str(e.value, what+".approved_by")
	}
	if e, ok := fields["expires"]; ok {
		w.Expires, _ = p.date(e.value, what+".expires")
	}
	return w, len(p.errs) == nerr
}
