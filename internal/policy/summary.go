package policy

// Counts counts statuses.
type Counts map[Status]int

// Summary tallies evaluations, for reports and metrics.
type Summary struct {
	// Parts counts each evaluated part once, by its worst status.
	Parts Counts
	// ByRule counts findings per rule id; findings of parts no rule
	// matches are under "".
	ByRule map[string]Counts
}

// Add tallies one part's findings (Evaluate's result). A nil result (a part
// not installed yet at the evaluation time) counts for nothing.
func (s *Summary) Add(findings []Finding) {
	if len(findings) == 0 {
		return
	}
	if s.Parts == nil {
		s.Parts = Counts{}
	}
	if s.ByRule == nil {
		s.ByRule = map[string]Counts{}
	}
	s.Parts[Worst(findings)]++
	for _, f := range findings {
		c := s.ByRule[f.RuleID]
		if c == nil {
			c = Counts{}
			s.ByRule[f.RuleID] = c
		}
		c[f.Status]++
	}
}

// Violations is the number of parts with at least one violation; a scan
// that finds any exits with status 3.
func (s *Summary) Violations() int { return s.Parts[StatusViolation] }
