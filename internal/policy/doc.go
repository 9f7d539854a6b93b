// Package policy is memledger's procurement policy engine: it parses a
// policy file (YAML, described in docs/policy.md), validates it, and
// evaluates parts against it.
//
// A policy is a list of rules and waivers. A rule matches parts by maker
// (a vendor slug matched against the maker or its parent company, so
// "micron" covers Crucial and Elpida), by component (the module maker, the
// DRAM maker on a module, the drive maker) and optionally by part-number or
// model pattern, on hosts selected by labels. From its effective date a
// rule either restricts new installs (existing installs are recorded, new
// ones are violations), denies every match, or explicitly allows it. A
// waiver turns one host's violation of one rule into "waived" until it
// expires.
//
// The package is pure: Parse takes bytes, Evaluate takes a Part and a time
// and returns Findings. The only I/O is LoadFile and Holder, conveniences
// that read a policy file from a path the caller gives.
//
// The evaluation model in brief (docs/policy.md gives the reasons):
//   - every rule is evaluated on its own and yields one Finding for each
//     part it matches; a part's overall status is the worst of its findings
//     (see Worst), so an allow rule never cancels a restricting rule;
//   - a part removed at or before the evaluation time is "removed" under
//     every rule that matches it, whatever it would have been;
//   - restrict-new grandfathers a part first seen on its host before the
//     effective date, or present in the host's first inventory (unless the
//     rule says baseline: strict); deny grandfathers nothing once in force;
//   - a rule whose effective date is after the evaluation time is not in
//     force yet: its matches are "recorded";
//   - waivers apply only to violations and lapse at their expiry.
package policy
