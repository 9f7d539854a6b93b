package smartctl

import (
	"bytes"
	"fmt"
	"strings"
)

// textBlock is one drive's text output being read.
type textBlock struct {
	d        Drive
	fields   bool   // a drive field was read
	started  bool   // a banner or Device: line opened the block
	said     string // the first line after the banner, for a block without fields
	nsSize   uint64 // first namespace's size (NVMe)
	nvmTotal uint64 // Total NVM Capacity (NVMe)
}

// textParser splits text output into drives.
type textParser struct {
	drives   []Drive
	warnings []Warning
	cur      textBlock
}

func (p *textParser) warn(line int, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{Line: line, Message: fmt.Sprintf(format, args...)})
}

// begin ends the current block and opens one at line.
func (p *textParser) begin(line int) {
	p.flush()
	p.cur = textBlock{d: Drive{Line: line}}
}

// flush ends the current block: a drive is kept, a block that names none
// is skipped with a warning.
func (p *textParser) flush() {
	b := &p.cur
	switch {
	case b.fields:
		if b.d.SizeBytes == 0 {
			b.d.SizeBytes = b.nsSize
		}
		if b.d.SizeBytes == 0 {
			b.d.SizeBytes = b.nvmTotal
		}
		if why := b.d.finish(); why != "" {
			p.warn(b.d.Line, "smartctl output %s: skipped", why)
			break
		}
		if b.d.SerialNumber == "" {
			p.warn(b.d.Line, "smartctl output of drive %q names no serial number (smartctl -q noserial, or the output is cut short)", b.d.Model)
		}
		p.drives = append(p.drives, b.d)
	case b.started:
		msg := "smartctl output names no drive"
		if b.said != "" {
			msg += fmt.Sprintf(" (smartctl said %q)", b.said)
		}
		p.warn(b.d.Line, "%s: skipped", msg)
	}
	p.cur = textBlock{}
}

func parseText(data []byte) ([]Drive, []Warning) {
	p := &textParser{}
	for n := 1; len(data) > 0; n++ {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		p.line(n, string(bytes.TrimRight(raw, "\r")))
	}
	p.flush()
	return p.drives, p.warnings
}

// isBanner reports smartctl's first line: "smartctl 7.2 2020-12-30 r5155
// [x86_64-linux-5.10.0-21-amd64] (local build)".
func isBanner(line string) bool {
	rest, ok := strings.CutPrefix(line, "smartctl ")
	return ok && rest != "" && rest[0] >= '0' && rest[0] <= '9'
}

func (p *textParser) line(n int, line string) {
	b := &p.cur
	switch {
	case isBanner(line):
		if b.fields || b.d.Name == "" {
			// A Device: line just before the banner names this drive.
			p.begin(n)
		}
		p.cur.started = true
		return
	case line == "=== START OF INFORMATION SECTION ===":
		if b.fields || !b.started {
			p.begin(n)
			p.cur.started = true
		}
		return
	}
	if name, typ, ok := commandLine(line); ok {
		p.named(n, name)
		p.cur.d.Type = typ
		return
	}
	if line == "" || line[0] == ' ' || line[0] == '\t' {
		return // smartctl prints the identity fields at column 0
	}
	key, value, ok := strings.Cut(line, ":")
	if !ok {
		if b.started && !b.fields && b.said == "" && !strings.HasPrefix(line, "Copyright") {
			b.said = strings.TrimSpace(line)
		}
		return
	}
	key = strings.TrimSpace(key)
	value = strings.TrimSpace(value)
	if value == "[No Information Found]" {
		value = ""
	}
	if key == "Device" {
		// "Device: /dev/sda [SAT]": the device smartctl was given, as
		// support-bundle tools print it before each drive.
		if name, _, _ := strings.Cut(value, " "); strings.HasPrefix(name, "/") {
			p.named(n, strings.TrimSuffix(name, ","))
		}
		return
	}
	if b.started && !b.fields && b.said == "" && !knownKey(key) && !strings.HasPrefix(line, "Copyright") {
		b.said = strings.TrimSpace(line)
	}
	p.field(n, key, value)
}

// named opens the block of the device name, given at line n by a
// "Device:" line or a command line, unless the block open is already that
// device's and has no field yet (a tool that prints both).
func (p *textParser) named(n int, name string) {
	b := &p.cur
	switch {
	case b.fields || (b.d.Name != "" && b.d.Name != name):
		p.begin(n)
	case !b.started:
		b.d.Line = n
	}
	p.cur.started = true
	p.cur.d.Name = name
}

// commandLine recognises the smartctl command line that whoever collected
// the output printed before it: "# /usr/sbin/smartctl -a /dev/sda"
// (supportconfig), "$ sudo smartctl -i /dev/nvme0", "+ smartctl -x
// /dev/sdb" (sh -x), "root@db-17:~# smartctl -i -d megaraid,3 /dev/bus/0".
// smartctl itself never prints its command line, and names the device
// only in messages, so a `smartctl -i` of one drive names it here or
// nowhere. It returns the last argument under /dev/ (the device; smartctl
// takes it last) and the -d type, if given; ok is false for lines without
// a smartctl command and a device, such as "Use smartctl -h to get a usage
// summary".
func commandLine(line string) (name, typ string, ok bool) {
	if !strings.Contains(line, "smartctl") {
		return "", "", false // most lines, cheaply
	}
	fields := strings.Fields(line)
	for i, f := range fields {
		if f != "smartctl" && !strings.HasSuffix(f, "/smartctl") {
			continue
		}
		args := fields[i+1:]
		for j := 0; j < len(args); j++ {
			a := args[j]
			// The command ends at a shell operator: "smartctl -a /dev/sda
			// 2>&1; smartctl -a /dev/sdb" names /dev/sda.
			end := strings.IndexAny(a, ";|&<>")
			if end >= 0 {
				a, args = a[:end], args[:j+1]
			}
			a = strings.Trim(a, `"'`)
			switch {
			case a == "-d" || a == "--device":
				if j+1 < len(args) {
					j++
					typ = strings.Trim(args[j], `"'`)
				}
			case strings.HasPrefix(a, "--device="):
				typ = strings.TrimPrefix(a, "--device=")
			case strings.HasPrefix(a, "-d") && !strings.HasPrefix(a, "--"):
				typ = a[len("-d"):]
			case strings.HasPrefix(a, "/dev/") && len(a) > len("/dev/"):
				name = a
			}
		}
		return name, typ, name != ""
	}
	return "", "", false
}

// knownKey reports the keys field reads.
func knownKey(key string) bool {
	switch key {
	case "Device Model", "Model Number", "Product", "Model Family", "Serial Number", "Serial number",
		"Firmware Version", "Revision", "Vendor", "User Capacity", "Rotation Rate", "Form Factor",
		"LU WWN Device Id", "Logical Unit id", "Transport protocol", "PCI Vendor/Subsystem ID",
		"PCI Vendor ID", "PCI Vendor Subsystem ID", "IEEE OUI Identifier", "Total NVM Capacity":
		return true
	}
	return strings.HasPrefix(key, "Namespace ")
}

// field reads one "Key: value" line of the information section.
func (p *textParser) field(n int, key, value string) {
	// A model or serial the block already has starts the next drive:
	// outputs concatenated without banners.
	switch key {
	case "Model Family", "Vendor":
		// The first lines of an ATA and a SCSI drive's information.
		if p.cur.d.Model != "" || (key == "Vendor" && p.cur.d.Vendor != "") || (key == "Model Family" && p.cur.d.ModelFamily != "") {
			p.begin(n)
		}
	case "Device Model", "Model Number", "Product":
		if p.cur.d.Model != "" {
			p.begin(n)
		}
	case "Serial Number", "Serial number":
		if p.cur.d.SerialNumber != "" {
			p.begin(n)
		}
	}
	b := &p.cur
	if !b.fields && !b.started {
		b.d.Line = n
	}
	d := &b.d
	if !knownKey(key) || value == "" {
		return
	}
	b.fields = true
	var err error
	switch key {
	case "Device Model":
		d.Model, d.Protocol = value, "ATA"
	case "Model Number":
		d.Model, d.Protocol = value, "NVMe"
	case "Product":
		d.Model, d.Protocol = value, "SCSI"
	case "Vendor":
		d.Vendor, d.Protocol = value, "SCSI"
	case "Model Family":
		d.ModelFamily = value
	case "Serial Number", "Serial number":
		d.SerialNumber = value
	case "Firmware Version", "Revision":
		if d.Firmware == "" {
			d.Firmware = value
		}
	case "User Capacity":
		d.SizeBytes, err = parseSize(value)
	case "Total NVM Capacity":
		b.nvmTotal, err = parseSize(value)
	case "Rotation Rate":
		d.Media = parseRotation(value)
	case "Form Factor":
		d.FormFactor = value
	case "LU WWN Device Id":
		d.WWN, err = parseATAWWN(value)
	case "Logical Unit id":
		d.WWN, err = parseLUID(value)
	case "Transport protocol":
		if strings.HasPrefix(value, "SAS") {
			d.Transport = TransportSAS
		}
	case "PCI Vendor/Subsystem ID", "PCI Vendor ID", "PCI Vendor Subsystem ID":
		var id uint64
		if id, err = parseHexID(value, 4); err == nil {
			if key != "PCI Vendor Subsystem ID" {
				d.PCIVendor = uint16(id)
			}
			if key != "PCI Vendor ID" {
				// smartctl prints one line when the two are equal.
				d.PCISubsystemVendor = uint16(id)
			}
		}
	case "IEEE OUI Identifier":
		var id uint64
		if id, err = parseHexID(value, 6); err == nil {
			d.IEEEOUI = ouiHex(id)
		}
	default: // "Namespace N ..."
		switch {
		case strings.HasSuffix(key, " IEEE EUI-64"):
			if d.EUI64 == "" {
				d.EUI64, err = parseEUI64(value)
			}
		case strings.HasSuffix(key, " Size/Capacity"), strings.HasSuffix(key, " Size"):
			if b.nsSize == 0 {
				b.nsSize, err = parseSize(value)
			}
		}
	}
	if err != nil {
		p.warn(n, "smartctl field %q: %v: ignored", key, err)
	}
}
