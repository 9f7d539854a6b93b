// Package render writes an inventory for people (a table) and for programs
// (protojson of memledger.v1.Inventory).
package render

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// JSON writes the inventory as protojson with protojson's default field
// names, indented, followed by a newline.
//
// protojson varies its whitespace from build to build on purpose, so that
// nobody relies on its bytes; the compact form is indented with
// encoding/json so that the same inventory always prints the same bytes,
// which people diff and tests pin. The compact form comes from functions
// generated from the descriptors (jsonenc.go says why), the same bytes
// protojson writes.
func JSON(w io.Writer, inv *memledgerv1.Inventory) error {
	b, err := appendInventoryJSON(make([]byte, 0, 4096), inv)
	if err != nil {
		return fmt.Errorf("encoding inventory as JSON: %w", err)
	}
	var out bytes.Buffer
	out.Grow(len(b) * 2)
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("indenting inventory JSON: %w", err)
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// Table writes what an engineer reads first: the host, one line per module
// with its maker and the evidence for it, a summary per parent company, and
// the warnings.
//
// Every string from the host (hostname, labels, part numbers, serials,
// warnings) is escaped for the terminal first (internal/termsafe): a
// firmware string must not be able to drive the terminal.
func Table(w io.Writer, inv *memledgerv1.Inventory) error {
	inv = terminalSafe(inv)
	ew := &errWriter{w: w}
	writeHost(ew, inv)
	writeModules(ew, inv.GetMemoryModules())
	writeStorage(ew, inv.GetStorageDevices())
	writePolicy(ew, inv)
	writeWarnings(ew, inv.GetWarnings())
	return ew.err
}

func writeHost(w io.Writer, inv *memledgerv1.Inventory) {
	h := inv.GetHost()
	name := h.GetHostname()
	if name == "" {
		name = "(unnamed host)"
	}
	fmt.Fprintf(w, "Host      %s", name)
	if h.GetHostId() != "" {
		fmt.Fprintf(w, "  id %s", h.GetHostId())
	}
	fmt.Fprintln(w)
	if p := strings.TrimSpace(h.GetSystemManufacturer() + " " + h.GetSystemProduct()); p != "" {
		fmt.Fprintf(w, "System    %s", p)
		if h.GetSystemSerial() != "" {
			fmt.Fprintf(w, "  serial %s", h.GetSystemSerial())
		}
		fmt.Fprintln(w)
	}
	if os := strings.TrimSpace(h.GetOs() + " " + h.GetKernel()); os != "" {
		fmt.Fprintf(w, "OS        %s", os)
		if h.GetVirtualization() != "" {
			fmt.Fprintf(w, "  (virtual: %s)", h.GetVirtualization())
		}
		fmt.Fprintln(w)
	}
	src := strings.Join(inv.GetSources(), ", ")
	if src == "" {
		src = "none"
	}
	if v := h.GetSmbiosVersion(); v != "" {
		src += "  (SMBIOS " + v + ")"
	}
	fmt.Fprintf(w, "Sources   %s\n", src)
	var total uint64
	for _, m := range inv.GetMemoryModules() {
		total += m.GetSizeBytes()
	}
	fmt.Fprintf(w, "Memory    %d modules in %d slots, %s\n", len(inv.GetMemoryModules()), h.GetMemorySlots(), Bytes(total))
}

func writeModules(w io.Writer, modules []*memledgerv1.MemoryModule) {
	if len(modules) == 0 {
		fmt.Fprintln(w, "\nNo memory modules found.")
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withPolicy := false
	for _, m := range modules {
		withPolicy = withPolicy || len(m.GetPolicy()) > 0
	}
	header := "SLOT\tSIZE\tTYPE\tSPEED\tMAKER\tDRAM\tPART\tSERIAL\tEVIDENCE"
	if withPolicy {
		header += "\tPOLICY"
	}
	fmt.Fprintln(tw, header)
	for _, m := range modules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s",
			dash(inventory.Slot(m)), Bytes(m.GetSizeBytes()), dash(m.GetMemoryType()), Speed(m.GetSpeedMts()),
			Maker(m.GetModuleVendor(), m.GetManufacturerRaw()), dash(Maker(m.GetDramVendor(), "")),
			dash(m.GetPartNumber()), dash(m.GetSerialNumber()), dash(strings.Join(m.GetModuleVendor().GetEvidence(), ",")))
		if withPolicy {
			fmt.Fprintf(tw, "\t%s", dash(WorstStatus(m.GetPolicy())))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	writeParentSummary(w, modules)
}

// writeParentSummary prints one line per owning company, so "how much Micron
// is in this box" is answered at a glance whatever brand the modules carry.
func writeParentSummary(w io.Writer, modules []*memledgerv1.MemoryModule) {
	type tally struct {
		modules int
		bytes   uint64
		brands  map[string]int
	}
	byParent := map[string]*tally{}
	for _, m := range modules {
		parent, brand := "unknown", "unknown"
		if v := m.GetModuleVendor(); v.GetId() != "" {
			parent, brand = v.GetParent(), v.GetName()
		}
		t := byParent[parent]
		if t == nil {
			t = &tally{brands: map[string]int{}}
			byParent[parent] = t
		}
		t.modules++
		t.bytes += m.GetSizeBytes()
		t.brands[brand]++
	}
	parents := make([]string, 0, len(byParent))
	for p := range byParent {
		parents = append(parents, p)
	}
	sort.Slice(parents, func(i, j int) bool {
		if (parents[i] == "unknown") != (parents[j] == "unknown") {
			return parents[j] == "unknown"
		}
		return byParent[parents[i]].modules > byParent[parents[j]].modules ||
			byParent[parents[i]].modules == byParent[parents[j]].modules && parents[i] < parents[j]
	})
	fmt.Fprintln(w, "\nModules by maker's parent company")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range parents {
		t := byParent[p]
		brands := make([]string, 0, len(t.brands))
		for b, n := range t.brands {
			brands = append(brands, fmt.Sprintf("%s %d", b, n))
		}
		sort.Strings(brands)
		fmt.Fprintf(tw, "  %s\t%d modules\t%s\t%s\n", p, t.modules, Bytes(t.bytes), strings.Join(brands, ", "))
	}
	tw.Flush()
}

func writeStorage(w io.Writer, drives []*memledgerv1.StorageDevice) {
	if len(drives) == 0 {
		return
	}
	fmt.Fprintln(w, "\nStorage")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withPolicy := false
	for _, d := range drives {
		withPolicy = withPolicy || len(d.GetPolicy()) > 0
	}
	header := "DEVICE\tSIZE\tBUS\tKIND\tMAKER\tMODEL\tSERIAL\tFIRMWARE\tEVIDENCE"
	if withPolicy {
		header += "\tPOLICY"
	}
	fmt.Fprintln(tw, header)
	for _, d := range drives {
		maker := Maker(d.GetVendor(), d.GetVendorRaw())
		var extra []string
		if c := d.GetControllerVendor(); c.GetId() != "" && c.GetId() != d.GetVendor().GetId() {
			extra = append(extra, "controller "+c.GetName())
		}
		if o := d.GetOemVendor(); o.GetId() != "" {
			extra = append(extra, o.GetName()+" label")
		}
		if len(extra) > 0 {
			// "unknown, controller Phison Electronics": the controller and
			// the label are never the maker.
			maker = strings.Join(append([]string{cmp.Or(maker, "unknown")}, extra...), ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s",
			d.GetName(), Bytes(d.GetSizeBytes()), dash(d.GetTransport()), DriveKind(d.GetKind()), dash(maker),
			dash(d.GetModel()), dash(d.GetSerialNumber()), dash(d.GetFirmware()),
			dash(strings.Join(d.GetVendor().GetEvidence(), ",")))
		if withPolicy {
			fmt.Fprintf(tw, "\t%s", dash(WorstStatus(d.GetPolicy())))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// writePolicy lists every finding that is not plain "allowed", so the
// reasons (dates, rules, waivers) are on the page, not only the status.
func writePolicy(w io.Writer, inv *memledgerv1.Inventory) {
	type line struct{ part, status, rule, reason string }
	var lines []line
	counts := map[string]int{}
	evaluated := false
	add := func(part string, findings []*memledgerv1.PolicyFinding) {
		if len(findings) > 0 {
			evaluated = true
			counts[WorstStatus(findings)]++
		}
		for _, f := range findings {
			if f.GetStatus() != "allowed" {
				lines = append(lines, line{part, f.GetStatus(), f.GetRuleId(), f.GetReason()})
			}
		}
	}
	for _, m := range inv.GetMemoryModules() {
		add(cmp.Or(inventory.Slot(m), m.GetPartNumber()), m.GetPolicy())
	}
	for _, d := range inv.GetStorageDevices() {
		add(d.GetName(), d.GetPolicy())
	}
	if !evaluated {
		return
	}
	fmt.Fprintf(w, "\nPolicy    %d violation, %d waived, %d recorded, %d removed, %d allowed\n",
		counts["violation"], counts["waived"], counts["recorded"], counts["removed"], counts["allowed"])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.part, strings.ToUpper(l.status), l.rule, l.reason)
	}
	tw.Flush()
}

// WorstStatus is a part's overall policy status ("" when not evaluated),
// ranked as the policy engine ranks findings.
func WorstStatus(findings []*memledgerv1.PolicyFinding) string {
	if len(findings) == 0 {
		return ""
	}
	fs := make([]policy.Finding, len(findings))
	for i, f := range findings {
		fs[i] = policy.Finding{Status: policy.Status(f.GetStatus())}
	}
	return string(policy.Worst(fs))
}

func writeWarnings(w io.Writer, warnings []*memledgerv1.Warning) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWarnings")
	for _, wr := range warnings {
		subject := ""
		if wr.GetSubject() != "" {
			subject = " " + wr.GetSubject() + ":"
		}
		fmt.Fprintf(w, "  [%s]%s %s\n", wr.GetSource(), subject, wr.GetMessage())
	}
}

// Maker renders a vendor as "Crucial (Micron)" when a brand belongs to
// another company, or the raw string in brackets when nobody was identified.
func Maker(v *memledgerv1.Vendor, raw string) string {
	if v.GetId() == "" {
		if raw = strings.TrimSpace(raw); raw != "" {
			return "unknown [" + raw + "]"
		}
		return ""
	}
	if v.GetParent() != "" && v.GetParent() != v.GetId() {
		return v.GetName() + " (" + ParentName(v.GetParent()) + ")"
	}
	return v.GetName()
}

// DriveKind is the table's word for a drive kind: "drive", "raid-volume",
// "virtual", or "-" for reports that do not say.
func DriveKind(k memledgerv1.DriveKind) string {
	switch k {
	case memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL:
		return "drive"
	case memledgerv1.DriveKind_DRIVE_KIND_RAID_VOLUME:
		return "raid-volume"
	case memledgerv1.DriveKind_DRIVE_KIND_VIRTUAL:
		return "virtual"
	}
	return "-"
}

// ParentName is the display name of a parent slug.
func ParentName(slug string) string {
	if name, ok := parentNames[slug]; ok {
		return name
	}
	return slug
}

var parentNames = map[string]string{
	"seagate": "Seagate", "liteon": "Lite-On", "huawei": "Huawei",
	"micron": "Micron", "skhynix": "SK hynix", "longsys": "Longsys", "westerndigital": "Western Digital",
	"samsung": "Samsung", "kioxia": "Kioxia", "intel": "Intel",
}

// Bytes renders a size in binary units ("16 GiB").
func Bytes(n uint64) string {
	if n == 0 {
		return "-"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v == float64(uint64(v)) {
		return fmt.Sprintf("%d %s", uint64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// Speed renders a transfer rate.
func Speed(mts uint32) string {
	if mts == 0 {
		return "-"
	}
	return fmt.Sprintf("%d MT/s", mts)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// errWriter remembers the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, nil
}
