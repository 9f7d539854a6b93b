// Package dmidecode parses the text output of the dmidecode tool, as found
// in sosreports and support bundles of hosts that cannot run the memledger
// agent, into the same structs the binary SMBIOS decoder (internal/smbios)
// produces.
//
// Accepted layouts: dmidecode 2.x and 3.x full output, `dmidecode -t 17`,
// `dmidecode -q` (records without "Handle" lines), the old 2.x layout in
// which "Handle 0x0000" and "DMI type 0, 20 bytes." are separate lines and
// records are not separated by blank lines, CRLF line ends, tab or space
// indentation, and files cut off at the end (reported in Dump.Warnings).
// A UTF-8 byte-order mark is skipped; UTF-16 text, with or without a
// byte-order mark (as PowerShell writes redirected output), is refused
// with an error that names the encoding and how to convert it.
//
// Parse reads line by line with a bounded line length (MaxLineBytes);
// longer lines are skipped with a warning, so memory stays bounded whatever
// the input.
package dmidecode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/memledger/memledger/internal/smbios"
)

// MaxLineBytes bounds the length of one input line. dmidecode never prints
// lines anywhere near this long (its longest are hex dumps of 16 bytes and
// SMBIOS strings); longer lines are skipped and reported in Dump.Warnings.
const MaxLineBytes = 64 << 10

// maxWarnings bounds Dump.Warnings for hostile input; further warnings are
// counted in one final entry.
const maxWarnings = 100

// Errors returned by Parse, wrapped with details; test with errors.Is.
var (
	// ErrNotDmidecode: the input is empty or nothing in it is dmidecode
	// output (no "Handle 0x..., DMI type N" header, no "SMBIOS x.y
	// present." line, no "# dmidecode" comment, no known record title).
	ErrNotDmidecode = errors.New("not dmidecode output")
	// ErrMalformed: a Memory Device record has a value that dmidecode
	// cannot have printed in a field this package decodes (a Size of
	// "lots", a Rank of "2.5"), so the record cannot be trusted. Lines
	// that are not "Name: value" at all are skipped with a warning
	// instead: real reports have them where serials were masked.
	ErrMalformed = errors.New("malformed memory device record")
)

// Dump is what Parse recovers from one dmidecode output.
type Dump struct {
	// SMBIOSVersion is the version from the "SMBIOS 3.2.0 present." line,
	// as written ("3.2.0", "2.7"); "" when the line is absent.
	SMBIOSVersion string
	// System is the first type-1 "System Information" record, nil when the
	// output has none.
	System *smbios.SystemInfo
	// Baseboard is the first type-2 "Base Board Information" record, nil
	// when the output has none.
	Baseboard *smbios.BaseboardInfo
	// MemoryDevices holds every type-17 "Memory Device" record, installed
	// or not, in the order of the output. See Parse for how text maps to
	// the fields.
	MemoryDevices []smbios.MemoryDevice
	// Warnings lists problems that did not stop parsing, each naming its
	// line: a record cut off by the end of the input, an over-long line,
	// a duplicate field, a Type Detail text with unknown words.
	Warnings []string
}

// Parse reads dmidecode text output from r.
//
// Strings (Locator, Manufacturer, Part Number, ...) are kept exactly as
// printed, minus the line's indentation and trailing whitespace/CR; this
// includes dmidecode's own placeholders such as "Not Specified" (which the
// binary decoder renders as "") and "<BAD INDEX>". ManufacturerRaw is
// the Manufacturer value with the trailing padding dmidecode printed, the
// closest the text comes to the firmware's raw string. Numbers are decoded
// back to the SMBIOS values dmidecode printed them from: sizes in bytes
// (kB, MB, GB... are binary multiples), speeds in MT/s (older dmidecode's
// "MHz" is the same field and number), "Unknown" as 0, and "Module
// Manufacturer ID: Bank 2, Hex 0x98" as the word 0x9801. Type and Form
// Factor keep the printed name, with the code recovered by reverse lookup
// of smbios.MemoryTypeName / FormFactorName (0 when the name is not one
// of them). HasModuleIDs is set when the record's declared length reaches
// the SMBIOS 3.2 id fields (0x34 bytes) or when the id lines are printed,
// which matches the binary decoder. Type Detail bits are recovered from
// their names; text with unknown names leaves them 0, with a warning.
// "Size: Unknown", and a record with no Size line at all, read as the
// binary "unknown size" word: Installed true, SizeUnknown true; only "No
// Module Installed" makes Installed false. Records printed without a
// header (dmidecode -q) have Handle 0.
//
// Parse returns an error wrapping ErrNotDmidecode for empty input, UTF-16
// text, or input in which nothing is dmidecode output (quoting its first
// lines), one wrapping ErrMalformed, naming the line, for a Memory Device
// record that cannot be parsed, and the reader's error, with the line
// reached, when r fails.
func Parse(r io.Reader) (*Dump, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(utf16Window)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("dmidecode: reading line %d: %w", bytes.Count(head, []byte("\n"))+1, err)
	}
	if err := checkUTF16(head); err != nil {
		return nil, err
	}
	split := &lineSplitter{max: MaxLineBytes}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	sc.Split(split.split)

	p := &parser{}
	for sc.Scan() {
		p.lineNo++
		line := sc.Bytes()
		if split.tooLong {
			p.preview(strconv.Quote(string(split.longPrefix)) + "...")
			p.warnf("line %d: longer than %d bytes, skipped (dmidecode prints no such lines)", p.lineNo, MaxLineBytes)
			continue
		}
		if err := p.line(line); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		// The scanner hands over a partial last line before the error;
		// the read failed inside that line, or in the next one.
		failed := p.lineNo + 1
		if split.unterminated {
			failed = p.lineNo
		}
		return nil, fmt.Errorf("dmidecode: reading line %d: %w", failed, err)
	}
	return p.finish(split.unterminated)
}

// lineSplitter is a bufio.SplitFunc that yields lines without their '\n'
// and, unlike bufio.ScanLines, survives lines longer than max: it discards
// them (remembering a short prefix) and yields an empty token flagged
// tooLong in their place, so line numbers stay right.
type lineSplitter struct {
	max          int
	discarding   bool   // inside an over-long line, dropping bytes up to its '\n'
	longPrefix   []byte // the first bytes of the line being discarded
	tooLong      bool   // the token just returned stands for an over-long line
	unterminated bool   // the last line of the input had no '\n'
}

// longPrefixLen is how much of an over-long line is kept for messages.
const longPrefixLen = 40

var emptyToken = []byte{}

func (s *lineSplitter) split(data []byte, atEOF bool) (int, []byte, error) {
	s.tooLong = false
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		if s.discarding {
			s.discarding, s.tooLong = false, true
			return i + 1, emptyToken, nil
		}
		return i + 1, data[:i], nil
	}
	if atEOF {
		switch {
		case s.discarding:
			s.discarding, s.tooLong, s.unterminated = false, true, true
			return len(data), emptyToken, nil
		case len(data) > 0:
			s.unterminated = true
			return len(data), data, nil
		}
		return 0, nil, nil
	}
	if len(data) >= s.max {
		if !s.discarding {
			s.longPrefix = append(s.longPrefix[:0], data[:longPrefixLen]...)
		}
		s.discarding = true
		return len(data), nil, nil
	}
	return 0, nil, nil
}

// utf16Window is how many bytes at the start of the input are looked at
// to recognise UTF-16 text without a byte-order mark: enough for the first
// line of dmidecode output ("# dmidecode 3.3") in UTF-16, few enough to be
// all text.
const utf16Window = 64

// checkUTF16 refuses input that starts as UTF-16 text, with or without a
// byte-order mark: dmidecode prints ASCII, so such a file was re-encoded on
// its way (PowerShell's redirection and Out-File write UTF-16LE, without a
// mark in some versions). Read byte by byte it would only be reported as
// lines full of NULs; the message says what the file is and how to convert
// it. head is the start of the input.
func checkUTF16(head []byte) error {
	var enc, how string
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		enc, how = "UTF-16LE", fmt.Sprintf("byte-order mark %q", head[:2])
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc, how = "UTF-16BE", fmt.Sprintf("byte-order mark %q", head[:2])
	default:
		if enc = bomlessUTF16(head); enc == "" {
			return nil
		}
		how = "without a byte-order mark: every second byte is NUL"
	}
	return fmt.Errorf("dmidecode: line 1: %w: the input is %s text (%s); dmidecode prints ASCII, convert it to UTF-8 first, e.g. iconv -f %s -t UTF-8",
		ErrNotDmidecode, enc, how, enc)
}

// bomlessUTF16 returns "UTF-16LE" or "UTF-16BE" when head reads as ASCII
// text in that encoding: at least two characters, each a text byte paired
// with a NUL, and nothing else. Binary data passed as text (an SMBIOS
// table, an executable) has NULs too, but not in every other byte with
// text between them, so it is left to the "not dmidecode output" error
// that quotes its first lines.
func bomlessUTF16(head []byte) string {
	n := len(head) &^ 1
	if n < 4 {
		return ""
	}
	le, be := true, true
	for i := 0; i < n && (le || be); i += 2 {
		lo, hi := head[i], head[i+1]
		le = le && hi == 0 && isTextByte(lo)
		be = be && lo == 0 && isTextByte(hi)
	}
	switch {
	case le:
		return "UTF-16LE"
	case be:
		return "UTF-16BE"
	}
	return ""
}

// isTextByte reports whether c can be a character of text: printable or
// whitespace, not another control byte.
func isTextByte(c byte) bool {
	return c == '\n' || isSpace(c) || (c > ' ' && c != 0x7F)
}

// record is one dmidecode record (one SMBIOS structure) being collected.
type record struct {
	line      int // line of its header, or of its title when it has none
	handle    uint16
	hasHandle bool
	dmiType   int // -1 until known
	length    int // declared structure length in bytes, -1 when unknown
	title     string
	hasTitle  bool
	// titleIndent and propIndent are indentation widths: properties are
	// indented deeper than the title, and lines deeper than propIndent
	// belong to the property above them (lists such as "Characteristics:").
	titleIndent int
	propIndent  int // -1 until the first property line
	props       []property
	body        int // lines after the header, blank or not
}

// property is one "Name: value" line of a record. A line at property level
// without a colon is kept with ok=false so that a Memory Device record can
// report it.
type property struct {
	name, value string
	rawValue    string // value with the trailing whitespace dmidecode printed
	line        int
	ok          bool
	cut         bool // the input ends inside this line
}

// parser holds the state of one Parse call.
type parser struct {
	dump      Dump
	lineNo    int
	cur       *record
	sawMarker bool     // saw something only dmidecode prints
	first     []string // first non-blank lines, quoted, for ErrNotDmidecode
	// blankSeparated is set once a blank line has closed a record: that
	// layout closes every record with one, so a last record without it
	// was cut off.
	blankSeparated bool
	suppressed     int
}

const previewLines = 3

func (p *parser) preview(quoted string) {
	if len(p.first) < previewLines {
		p.first = append(p.first, quoted)
	}
}

func (p *parser) warnf(format string, args ...any) {
	if len(p.dump.Warnings) >= maxWarnings {
		p.suppressed++
		return
	}
	p.dump.Warnings = append(p.dump.Warnings, fmt.Sprintf(format, args...))
}

// line handles one input line (without its '\n').
func (p *parser) line(b []byte) error {
	if p.lineNo == 1 {
		b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")) // UTF-8 byte-order mark
	}
	indent, start, end, rawEnd := splitLine(b)
	if start == end {
		if p.cur != nil {
			p.blankSeparated = true
			return p.closeRecord()
		}
		return nil
	}
	if len(p.first) < previewLines {
		p.preview(quoteShort(string(b[start:end])))
	}
	// Fast path for most of a full dmidecode output: the indented lines
	// of records this package does not decode are skipped unconverted.
	if rec := p.cur; rec != nil && rec.hasTitle && indent > rec.titleIndent && !wanted(rec.dmiType) {
		rec.body++
		return nil
	}
	raw := string(b[start:rawEnd])
	text := raw[:end-start]

	// Preamble lines sit at the margin, outside records or level with
	// their titles; the margin may be shifted if a tool indented the
	// whole output.
	if (p.cur == nil || indent <= p.cur.titleIndent) && p.preamble(text) {
		return nil
	}
	if h, ok := parseHandleLine(text); ok {
		if err := p.closeRecord(); err != nil {
			return err
		}
		p.sawMarker = true
		h.line, h.titleIndent, h.propIndent = p.lineNo, indent, -1
		p.cur = h
		return nil
	}
	if strings.HasPrefix(text, "Handle ") {
		// A damaged header still ends the record before it; the title
		// that follows can start the next one (as without headers).
		p.warnf("line %d: %s is not a record header as dmidecode prints them (\"Handle 0x0000, DMI type N, N bytes\"); the record that follows has no handle", p.lineNo, quoteShort(text))
		return p.closeRecord()
	}
	rec := p.cur
	typ, isTitle := knownTitles[text]
	if rec == nil || (isTitle && rec.hasTitle && indent <= rec.titleIndent) {
		// Outside any record, or level with the title of a record that
		// already has one: a known title starts a record without a
		// header (dmidecode -q prints none); anything else is not ours
		// (preamble we do not know, text around the output).
		if !isTitle {
			return nil
		}
		if err := p.closeRecord(); err != nil {
			return err
		}
		p.sawMarker = true
		p.cur = &record{line: p.lineNo, dmiType: typ, length: -1,
			title: text, hasTitle: true, titleIndent: indent, propIndent: -1}
		return nil
	}
	rec.body++
	// Old layout: "Handle 0x0400" then "        DMI type 4, 35 bytes.".
	if rec.hasHandle && rec.dmiType < 0 && !rec.hasTitle && len(rec.props) == 0 {
		if typ, length, ok := parseTypeLine(text); ok {
			rec.dmiType, rec.length = typ, length
			return nil
		}
	}
	name, value, isProp := splitProperty(text)
	if !rec.hasTitle && !isProp && len(rec.props) == 0 {
		rec.title, rec.hasTitle, rec.titleIndent = text, true, indent
		if rec.dmiType < 0 && isTitle {
			rec.dmiType = typ
		}
		return nil
	}
	if !wanted(rec.dmiType) {
		return nil // records we do not decode are only skipped over
	}
	if rec.propIndent < 0 {
		rec.propIndent = indent
	}
	if indent > rec.propIndent {
		return nil // an item of a list property; none of the fields we decode
	}
	pr := property{name: name, value: value, line: p.lineNo, ok: isProp}
	if off := len(name) + len(": "); isProp && len(raw) >= off {
		pr.rawValue = raw[off:]
	}
	rec.props = append(rec.props, pr)
	return nil
}

// preamble recognises the lines dmidecode prints before the records.
func (p *parser) preamble(text string) bool {
	switch {
	case strings.HasPrefix(text, "#"):
		// "# dmidecode 3.3", "# SMBIOS implementations newer than ...",
		// "# No SMBIOS nor DMI entry point found, sorry."
		if strings.Contains(text, "dmidecode") || strings.Contains(text, "SMBIOS") {
			p.sawMarker = true
		}
		if strings.Contains(text, "No SMBIOS nor DMI entry point found") {
			p.warnf("line %d: dmidecode found no SMBIOS data: %s", p.lineNo, text)
		}
		return true
	case strings.HasPrefix(text, "dmidecode ") && len(text) > len("dmidecode ") && isDigit(text[len("dmidecode ")]):
		p.sawMarker = true // "# dmidecode 2.6" with the '#' stripped
		return true
	case strings.HasPrefix(text, "SMBIOS ") && strings.HasSuffix(text, " present."):
		v := strings.TrimSuffix(strings.TrimPrefix(text, "SMBIOS "), " present.")
		if !isVersion(v) {
			return false
		}
		p.sawMarker = true
		if p.dump.SMBIOSVersion == "" {
			p.dump.SMBIOSVersion = v
		}
		return true
	case strings.HasPrefix(text, "Legacy DMI ") && strings.HasSuffix(text, " present."):
		p.sawMarker = true
		return true
	}
	return false
}

// closeRecord finishes the current record, if any, and files it.
func (p *parser) closeRecord() error {
	rec := p.cur
	p.cur = nil
	if rec == nil {
		return nil
	}
	switch rec.dmiType {
	case int(smbios.TypeMemoryDevice):
		md, err := p.memoryDevice(rec)
		if err != nil {
			return err
		}
		p.dump.MemoryDevices = append(p.dump.MemoryDevices, md)
	case int(smbios.TypeSystem):
		if p.dump.System != nil {
			p.warnf("line %d: second System Information record ignored (the binary decoder also uses the first)", rec.line)
			return nil
		}
		f := p.stringProps(rec, "System Information", "Manufacturer", "Product Name", "Version", "Serial Number", "UUID", "SKU Number", "Family")
		p.dump.System = &smbios.SystemInfo{Handle: rec.handle, Manufacturer: f[0], ProductName: f[1],
			Version: f[2], SerialNumber: f[3], UUID: f[4], SKUNumber: f[5], Family: f[6]}
	case int(smbios.TypeBaseboard):
		if p.dump.Baseboard != nil {
			p.warnf("line %d: second Base Board Information record ignored (the binary decoder also uses the first)", rec.line)
			return nil
		}
		f := p.stringProps(rec, "Base Board Information", "Manufacturer", "Product Name", "Version", "Serial Number", "Asset Tag")
		p.dump.Baseboard = &smbios.BaseboardInfo{Handle: rec.handle, Manufacturer: f[0], Product: f[1],
			Version: f[2], SerialNumber: f[3], AssetTag: f[4]}
	}
	return nil
}

// stringProps returns the values of the named properties of rec, "" for the
// absent ones; a repeated property keeps its first value, with a warning.
func (p *parser) stringProps(rec *record, what string, names ...string) []string {
	out := make([]string, len(names))
	seen := make([]bool, len(names))
	for _, pr := range rec.props {
		for i, n := range names {
			if pr.ok && pr.name == n {
				if seen[i] {
					p.warnf("line %d: %s: second %q line ignored", pr.line, what, n)
					break
				}
				out[i], seen[i] = pr.value, true
				break
			}
		}
	}
	return out
}

// finish ends the input: it files the record still open and decides
// whether the input was dmidecode output at all.
func (p *parser) finish(unterminated bool) (*Dump, error) {
	if p.lineNo == 0 {
		return nil, fmt.Errorf("dmidecode: %w: empty input", ErrNotDmidecode)
	}
	if !p.sawMarker {
		seen := "only blank lines"
		if len(p.first) > 0 {
			seen = "first lines " + strings.Join(p.first, ", ")
		}
		return nil, fmt.Errorf("dmidecode: %w: no \"Handle 0x..., DMI type N\" header, \"SMBIOS x.y present.\" line or \"# dmidecode\" comment in %d lines; %s", ErrNotDmidecode, p.lineNo, seen)
	}
	if rec := p.cur; rec != nil {
		var why []string
		if unterminated {
			why = append(why, "the last line has no line end")
		}
		if p.blankSeparated {
			why = append(why, "it is not closed by a blank line as the records before it are")
		}
		if rec.dmiType == int(smbios.TypeMemoryDevice) && !hasProp(rec, "Type Detail") {
			why = append(why, "it stops before the Type Detail line every memory device has")
		}
		if rec.body == 0 {
			why = append(why, "it has a header and nothing else")
		}
		if n := len(rec.props); unterminated && n > 0 && rec.props[n-1].line == p.lineNo {
			rec.props[n-1].cut = true
		}
		if len(why) > 0 && rec.dmiType != int(smbios.TypeEndOfTable) {
			p.warnf("line %d: %s record at line %d%s may be cut off by the end of the input: %s",
				p.lineNo, describe(rec), rec.line, handleText(rec), strings.Join(why, "; "))
		}
		if err := p.closeRecord(); err != nil {
			return nil, err
		}
	}
	if p.suppressed > 0 {
		p.dump.Warnings = append(p.dump.Warnings, fmt.Sprintf("%d more warnings not shown", p.suppressed))
	}
	return &p.dump, nil
}

func hasProp(rec *record, name string) bool {
	for _, pr := range rec.props {
		if pr.ok && pr.name == name {
			return true
		}
	}
	return false
}

// describe names a record for messages.
func describe(rec *record) string {
	switch {
	case rec.hasTitle:
		return strconv.Quote(rec.title)
	case rec.dmiType >= 0:
		return fmt.Sprintf("DMI type %d", rec.dmiType)
	}
	return "untitled"
}

func handleText(rec *record) string {
	if !rec.hasHandle {
		return ""
	}
	return fmt.Sprintf(" (handle 0x%04X)", rec.handle)
}

// Memory Device properties decoded into smbios.MemoryDevice; each has a
// bit so that repeats can be detected without allocating.
var memoryFields = map[string]uint{
	"Array Handle":            0,
	"Total Width":             1,
	"Data Width":              2,
	"Size":                    3,
	"Form Factor":             4,
	"Locator":                 5,
	"Bank Locator":            6,
	"Type":                    7,
	"Type Detail":             8,
	"Speed":                   9,
	"Manufacturer":            10,
	"Serial Number":           11,
	"Asset Tag":               12,
	"Part Number":             13,
	"Rank":                    14,
	"Configured Memory Speed": 15, // dmidecode 3.2+
	"Configured Clock Speed":  15, // dmidecode 2.12 - 3.1, same field
	"Module Manufacturer ID":  16,
	"Module Product ID":       17,
	"Memory Subsystem Controller Manufacturer ID": 18,
	"Memory Subsystem Controller Product ID":      19,
}

// moduleIDsMinLen is the structure length from which a Memory Device
// carries the SMBIOS 3.2 module ids (smbios.MemoryDevice.HasModuleIDs).
const moduleIDsMinLen = 0x34

// memoryDevice decodes a type-17 record.
func (p *parser) memoryDevice(rec *record) (smbios.MemoryDevice, error) {
	md := smbios.MemoryDevice{Handle: rec.handle, HasModuleIDs: rec.length >= moduleIDsMinLen}
	sizeSeen := false
	var seen uint32
	for _, pr := range rec.props {
		if !pr.ok {
			// Seen in real reports whose serials were masked after the
			// fact: a value line that lost its "Asset Tag: " prefix. The
			// line says nothing we can use; the rest of the record stands.
			p.warnf("line %d: Memory Device record at line %d%s: line %s is not \"Name: value\", skipped",
				pr.line, rec.line, handleText(rec), quoteShort(pr.value))
			continue
		}
		bit, known := memoryFields[pr.name]
		if !known {
			continue // Set, Voltages, Memory Technology, ...: not part of the struct
		}
		if seen&(1<<bit) != 0 {
			p.warnf("line %d: Memory Device record at line %d%s: second %q line ignored", pr.line, rec.line, handleText(rec), pr.name)
			continue
		}
		seen |= 1 << bit
		v := pr.value
		var err error
		switch pr.name {
		case "Array Handle":
			md.ArrayHandle, err = parseHandle(v)
		case "Total Width":
			md.TotalWidth, err = parseWidth(v)
		case "Data Width":
			md.DataWidth, err = parseWidth(v)
		case "Size":
			var s memSize
			s, err = parseSize(v)
			md.SizeBytes, md.Installed, md.SizeUnknown = s.bytes, s.installed, s.unknown
			sizeSeen = err == nil
		case "Form Factor":
			md.FormFactor, md.FormFactorCode = v, formFactorCodes()[v]
		case "Locator":
			md.Locator = v
		case "Bank Locator":
			md.BankLocator = v
		case "Type":
			md.Type, md.TypeCode = v, memoryTypeCodes()[v]
		case "Type Detail":
			md.TypeDetailString = v
			var ok bool
			if md.TypeDetail, ok = parseTypeDetail(v); !ok {
				p.warnf("line %d: Memory Device record at line %d%s: Type Detail %s has words dmidecode does not print; bits left 0", pr.line, rec.line, handleText(rec), quoteShort(v))
			}
		case "Speed":
			md.SpeedMTs, err = parseSpeed(v)
		case "Manufacturer":
			// ManufacturerRaw is the firmware's string as dmidecode
			// printed it: trailing padding kept, but unprintable bytes
			// already shown as '.' and "no string" as "Not Specified".
			md.Manufacturer, md.ManufacturerRaw = v, pr.rawValue
		case "Serial Number":
			md.SerialNumber = v
		case "Asset Tag":
			md.AssetTag = v
		case "Part Number":
			md.PartNumber = v
		case "Rank":
			md.Rank, err = parseRank(v)
		case "Configured Memory Speed", "Configured Clock Speed":
			md.ConfiguredSpeedMTs, err = parseSpeed(v)
		case "Module Manufacturer ID":
			md.ModuleManufacturerID, err = ParseManufacturerID(v)
			md.HasModuleIDs = true
		case "Module Product ID":
			md.ModuleProductID, err = ParseProductID(v)
			md.HasModuleIDs = true
		case "Memory Subsystem Controller Manufacturer ID":
			md.SubsystemControllerManufacturerID, err = ParseManufacturerID(v)
			md.HasModuleIDs = true
		case "Memory Subsystem Controller Product ID":
			md.SubsystemControllerProductID, err = ParseProductID(v)
			md.HasModuleIDs = true
		}
		if err != nil && pr.cut {
			// The input ends inside this very line: the value is cut, not
			// malformed. finish has already warned about the record.
			p.warnf("line %d: Memory Device record at line %d%s: %s value %s is cut off, left unknown",
				pr.line, rec.line, handleText(rec), pr.name, quoteShort(v))
			continue
		}
		if err != nil {
			return md, fmt.Errorf("dmidecode: line %d: %w at line %d%s: %s: %w",
				pr.line, ErrMalformed, rec.line, handleText(rec), pr.name, err)
		}
	}
	if !sizeSeen {
		// No usable Size line (a record cut short, `dmidecode -u`): read
		// it as the binary decoder reads the "Unknown" size word.
		// Installed is false only for an explicit empty slot, never by
		// default, so that a module nobody can see is not taken for an
		// empty slot.
		md.SizeBytes, md.Installed, md.SizeUnknown = 0, true, true
		p.warnf("line %d: Memory Device record%s has no usable Size line; taken as installed, size unknown", rec.line, handleText(rec))
	}
	return md, nil
}

// wanted reports whether properties of records of this type are kept.
// Records whose type is not known yet are kept until it is.
func wanted(dmiType int) bool {
	switch dmiType {
	case -1, int(smbios.TypeSystem), int(smbios.TypeBaseboard), int(smbios.TypeMemoryDevice):
		return true
	}
	return false
}

// knownTitles are record titles that identify their type without a
// header: dmidecode -q prints no "Handle" lines. Only the types this
// package decodes, plus a few common ones for recognising the output.
var knownTitles = map[string]int{
	"BIOS Information":             0,
	"System Information":           int(smbios.TypeSystem),
	"Base Board Information":       int(smbios.TypeBaseboard),
	"Chassis Information":          3,
	"Processor Information":        4,
	"Physical Memory Array":        16,
	"Memory Device":                int(smbios.TypeMemoryDevice),
	"Memory Array Mapped Address":  19,
	"Memory Device Mapped Address": 20,
	"End Of Table":                 int(smbios.TypeEndOfTable),
}

// parseHandleLine recognises a record header: "Handle 0x0032, DMI type 17,
// 40 bytes" or, in the old layout, "Handle 0x0032" alone.
func parseHandleLine(text string) (*record, bool) {
	rest, ok := strings.CutPrefix(text, "Handle 0x")
	if !ok {
		return nil, false
	}
	hexText, tail, hasTail := strings.Cut(rest, ", ")
	h, err := strconv.ParseUint(hexText, 16, 16)
	if err != nil || len(hexText) == 0 || len(hexText) > 4 {
		return nil, false
	}
	rec := &record{handle: uint16(h), hasHandle: true, dmiType: -1, length: -1}
	if hasTail {
		typ, length, ok := parseTypeLine(tail)
		if !ok {
			return nil, false
		}
		rec.dmiType, rec.length = typ, length
	}
	return rec, true
}

// parseTypeLine decodes "DMI type 17, 40 bytes" (with a final '.' in the
// old layout).
func parseTypeLine(text string) (typ, length int, ok bool) {
	rest, ok := strings.CutPrefix(text, "DMI type ")
	if !ok {
		return 0, 0, false
	}
	typeText, lenText, ok := strings.Cut(rest, ", ")
	if !ok {
		return 0, 0, false
	}
	lenText = strings.TrimSuffix(lenText, ".")
	lenText, ok = strings.CutSuffix(lenText, " bytes")
	if !ok {
		return 0, 0, false
	}
	t, err1 := parseDecimal(typeText, 8)
	l, err2 := parseDecimal(lenText, 8)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return int(t), int(l), true
}

// splitLine returns the indentation width of the line b (a tab advances
// to the next multiple of 8, as a terminal shows it) and the bounds of its
// text: b[start:end] is the text without indentation and trailing
// whitespace, b[start:rawEnd] keeps the trailing whitespace, less the CR
// of a CRLF line end. A blank line has start == end.
func splitLine(b []byte) (width, start, end, rawEnd int) {
	rawEnd = len(b)
	if rawEnd > 0 && b[rawEnd-1] == '\r' {
		rawEnd--
	}
	end = rawEnd
	for end > 0 && isSpace(b[end-1]) {
		end--
	}
	for start = 0; start < end; start++ {
		switch b[start] {
		case ' ':
			width++
		case '\t':
			width += 8 - width%8
		default:
			return width, start, end, rawEnd
		}
	}
	return width, end, end, end
}

// isSpace reports ASCII whitespace; other bytes, including non-breaking
// spaces, belong to the value as printed.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// splitProperty splits "Name: value" (or "Name:" with no value) at the
// first ": ". Values may contain colons ("JEDEC ID:80 2C").
func splitProperty(text string) (name, value string, ok bool) {
	if name, value, ok = strings.Cut(text, ": "); ok && name != "" {
		return name, value, true
	}
	if name, ok = strings.CutSuffix(text, ":"); ok && name != "" {
		return name, "", true
	}
	return "", text, false
}

// isVersion accepts "2.7", "3.2.0": dot-separated decimal numbers.
func isVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, part := range parts {
		if _, err := parseDecimal(part, 8); err != nil {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 60
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
