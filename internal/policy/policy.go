package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Policy is a parsed, validated policy file.
type Policy struct {
	// Rules in file order. Evaluate reports findings in this order.
	Rules []Rule
	// Waivers in file order.
	Waivers []Waiver
	// Source names the file the policy came from, for messages.
	Source string
}

// Action is what a rule does with the parts it matches.
type Action string

const (
	// ActionRestrictNew records existing installs and makes new installs
	// (first seen on their host at or after the effective date, and not
	// grandfathered by the host's baseline) violations.
	ActionRestrictNew Action = "restrict-new"
	// ActionDeny makes every installed match a violation once the rule is
	// in force.
	ActionDeny Action = "deny"
	// ActionAllow marks matches as explicitly allowed. It never overrides
	// another rule's finding.
	ActionAllow Action = "allow"
)

// Baseline says whether a host's first inventory grandfathers parts under a
// restrict-new rule.
type Baseline string

const (
	// BaselineGrandfather (the default) records every part present in a
	// host's first inventory: memledger was not watching before, so it
	// cannot tell when those parts were installed.
	BaselineGrandfather Baseline = "grandfather"
	// BaselineStrict grandfathers a part only by its first-seen date.
	BaselineStrict Baseline = "strict"
)

// Component names which maker of a part a rule looks at.
const (
	// ComponentModule is the maker of a memory module (Part.Vendor).
	ComponentModule = "module"
	// ComponentDRAM is the maker of the DRAM dies on a memory module
	// (Part.DRAMVendor).
	ComponentDRAM = "dram"
	// ComponentStorage is the maker of a drive (Part.Vendor).
	ComponentStorage = "storage"
)

// allComponents is the default of match.components, in the order a memory
// module's checks are tried.
var allComponents = []string{ComponentModule, ComponentDRAM, ComponentStorage}

// Rule is one policy rule.
type Rule struct {
	// ID is unique within the policy; waivers and reports refer to it.
	ID string
	// Title is a human summary for reports.
	Title string
	// Reference is optional free text, e.g. the ruling or law it encodes.
	Reference string
	Match     Match
	// Scope selects hosts by label; an empty scope selects every host.
	Scope Scope
	// Effective is when the rule comes into force.
	Effective time.Time
	Action    Action
	// Baseline applies to restrict-new rules only; BaselineGrandfather when
	// the file does not say.
	Baseline Baseline
	// Line is where the rule starts in Policy.Source (0 for rules built in
	// code).
	Line int
}

// Match says which parts a rule is about. Every criterion given must hold
// (vendors AND part numbers AND models); a list holds when any item does.
type Match struct {
	// Vendors are vendor slugs; a component matches when its maker or the
	// maker's parent is one of them. Empty: any maker, identified or not
	// (then a part-number or model pattern must be given).
	Vendors []string
	// Components is a subset of "module", "dram", "storage"; all three when
	// the file does not say.
	Components []string
	// PartNumbers match Part.PartNumber; empty: any.
	PartNumbers []Pattern
	// Models match Part.Model; empty: any.
	Models []Pattern
}

// Pattern is a part-number or model pattern: a case-insensitive glob
// ("36ASF*", '*' any run of characters, '?' one character, '/' not
// special) or, with the prefix "re:", a Go regular expression matched
// anywhere in the value unless anchored ("re:^MTFD").
type Pattern struct {
	// Text is the pattern as written.
	Text string
	re   *regexp.Regexp
}

// CompilePattern compiles a pattern written as in a policy file.
func CompilePattern(text string) (Pattern, error) {
	var expr string
	if rest, ok := strings.CutPrefix(text, "re:"); ok {
		if rest == "" {
			return Pattern{}, fmt.Errorf("empty regular expression")
		}
		expr = rest
	} else {
		if text == "" {
			return Pattern{}, fmt.Errorf("empty pattern")
		}
		expr = globToRegexp(text)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return Pattern{}, fmt.Errorf("bad regular expression %q: %w", expr, err)
	}
	return Pattern{Text: text, re: re}, nil
}

// globToRegexp turns a glob into an anchored, case-insensitive regular
// expression. path.Match is not used because part numbers contain '/'
// ("KSM32RD4/32MEI") that its '*' would not cross.
func globToRegexp(glob string) string {
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return b.String()
}

// Match reports whether the value (trimmed of surrounding spaces, as
// firmware pads part numbers) matches. The zero Pattern matches nothing.
func (p Pattern) Match(value string) bool {
	if p.re == nil {
		return false
	}
	return p.re.MatchString(strings.TrimSpace(value))
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.Text }

// AnyValue as a scope value selects every host that has the label, whatever
// its value.
const AnyValue = "*"

// Scope selects hosts by label: every key must be present on the host with
// one of the listed values (exact, case-sensitive), or with any value when
// the list holds AnyValue.
type Scope map[string][]string

// Matches reports whether a host with these labels is in scope. An empty
// scope matches every host.
func (s Scope) Matches(labels map[string]string) bool {
	for key, values := range s {
		got, ok := labels[key]
		if !ok {
			return false
		}
		if !slices.Contains(values, AnyValue) && !slices.Contains(values, got) {
			return false
		}
	}
	return true
}

// Waiver exempts one host's violations of one rule until it expires.
type Waiver struct {
	RuleID string
	HostID string
	// Serial, when set, limits the waiver to the part with this serial
	// number; otherwise it covers every part of the host under the rule.
	Serial string
	Reason string
	// ApprovedBy is optional: who signed the waiver.
	ApprovedBy string
	// Expires is the first instant the waiver no longer applies.
	Expires time.Time
	// Line is where the waiver starts in Policy.Source (0 when built in
	// code).
	Line int
}

// ActiveAt reports whether the waiver still applies at t.
func (w Waiver) ActiveAt(t time.Time) bool { return t.Before(w.Expires) }

// covers reports whether the waiver is about this rule and part, regardless
// of expiry.
func (w Waiver) covers(ruleID string, part Part) bool {
	// Host first: it tells waivers apart sooner than the rule id.
	return w.HostID == part.HostID && w.RuleID == ruleID &&
		(w.Serial == "" || w.Serial == part.Serial)
}

// RuleIDs returns the rule ids in file order.
func (p *Policy) RuleIDs() []string {
	ids := make([]string, len(p.Rules))
	for i := range p.Rules {
		ids[i] = p.Rules[i].ID
	}
	return ids
}

// Rule returns the rule with this id.
func (p *Policy) Rule(id string) (*Rule, bool) {
	for i := range p.Rules {
		if p.Rules[i].ID == id {
			return &p.Rules[i], true
		}
	}
	return nil, false
}
