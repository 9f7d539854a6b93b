package snapshot

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/spd"
)

// scrubDescription is recorded in the manifest of scrubbed snapshots.
const scrubDescription = "serial numbers replaced by same-length tokens (keyed per snapshot, consistent within it): " +
	"SMBIOS type 1/2/3/4/17/22/39 serial strings in the DMI table (re-encoded in place, table layout unchanged) and any copy of a serial in its other strings; " +
	"the SMBIOS system UUID (type 1) and sys/class/dmi/id/product_uuid (Dell and others encode the service tag in it); " +
	"sys/class/dmi/id/{product,board}_serial; device-tree serial-number; SPD EEPROM serial bytes (CRCs that cover them and were valid are recomputed: DDR3 only); " +
	"ATA IDENTIFY serial words (integrity word 255 recomputed when it was valid); every sysfs serial attribute (NVMe controller and subsystem, virtio, MMC, USB); " +
	"udev MEMORY_DEVICE_*_SERIAL_NUMBER, ID_SERIAL, ID_SERIAL_SHORT, ID_SCSI_SERIAL, SCSI_IDENT_SERIAL and the /dev/disk/by-id names built from them; " +
	"copies of serials in wwid attributes, including the hex-encoded serial of the NVMe fallback wwid (a WWN that is itself a drive's udev serial is masked with it). " +
	"Placeholders (Not Specified, To Be Filled By O.E.M., all zeros, ...) are kept. Not masked: machine-id, hostname, WWNs otherwise, MAC addresses (not captured)."

// scrubReport says what scrubbing did.
type scrubReport struct {
	masked  int
	skipped []Skip
}

// serialFields are the offsets of serial-number string fields by SMBIOS
// structure type (DSP0134): system, baseboard, chassis, processor, memory
// device, portable battery, system power supply.
var serialFields = map[uint8][]int{
	1: {0x07}, 2: {0x07}, 3: {0x07}, 4: {0x20}, 17: {0x18}, 22: {0x07}, 39: {0x08},
}

// spdSerialOffset is where the 4 module serial bytes sit, by SPD key byte 2
// (JEDEC 21-C Annex K for DDR3, Annex L/M for DDR4 and LPDDR3/4/4X,
// JESD400-5/JESD406-5 for DDR5 and LPDDR5/5X), as internal/spd decodes
// them.
var spdSerialOffset = map[byte]int{
	0x0b: 122,
	0x0c: 325, 0x0f: 325, 0x10: 325, 0x11: 325,
	0x12: 517, 0x13: 517, 0x15: 517,
}

type scrubber struct {
	t      tree
	m      *masker
	report *scrubReport
}

// scrub masks serial numbers in the captured files in place. Every serial
// is masked where it is a field first (which also collects it); then
// copies of the collected serials are masked inside other text.
func scrub(t tree, roles map[string]role, key []byte) *scrubReport {
	s := &scrubber{t: t, m: newMasker(key), report: &scrubReport{}}
	byRole := map[role][]string{}
	for p, r := range roles {
		if e := t[p]; e != nil && e.kind == kindFile {
			byRole[r] = append(byRole[r], p)
		}
	}
	for _, paths := range byRole {
		sort.Strings(paths)
	}

	var (
		tables []dmiStrings
		ep     []byte // the SMBIOS entry point, for the table's version
	)
	if ps := byRole[roleDMIEntry]; len(ps) > 0 {
		ep = t[ps[0]].data
	}
	for _, p := range byRole[roleDMITable] {
		tables = append(tables, s.dmiTable(p, ep))
	}
	for _, p := range byRole[roleEEPROM] {
		s.eeprom(p)
	}
	for _, p := range byRole[roleATAIdentify] {
		s.ataIdentify(p)
	}
	for _, p := range byRole[roleSerialValue] {
		e := t[p]
		e.data = []byte(s.m.serial(string(e.data)))
	}
	for _, p := range byRole[roleUUIDText] {
		e := t[p]
		e.data = []byte(s.m.uuid(string(e.data)))
	}
	udev := append(append([]string(nil), byRole[roleUdevDMI]...), byRole[roleUdevDevice]...)
	for _, p := range udev {
		e := t[p]
		e.data = s.udevRecord(e.data)
	}

	// Copies of serials inside other text.
	rep := s.m.replacer()
	for _, ds := range tables {
		ds.replace(rep)
	}
	for _, p := range append(udev, byRole[roleWWID]...) {
		e := t[p]
		e.data = []byte(rep.Replace(string(e.data)))
	}
	s.report.masked = len(s.m.distinct)
	return s.report
}

func (s *scrubber) note(p, reason string) {
	s.report.skipped = append(s.report.skipped, Skip{Path: p, Reason: reason})
}

// dmiStrings locates the string sets of a DMI table being scrubbed, for
// the second pass.
type dmiStrings struct {
	data   []byte
	ranges [][2]int // string sets, without their final double NUL
}

// replace masks copies of serials inside the string sets, in place (every
// replacement has the length of what it replaces and no NUL).
func (d dmiStrings) replace(rep interface{ Replace(string) string }) {
	for _, r := range d.ranges {
		old := string(d.data[r[0]:r[1]])
		if nw := rep.Replace(old); nw != old && len(nw) == len(old) {
			copy(d.data[r[0]:r[1]], nw)
		}
	}
}

// dmiTable masks the serial-number strings and the system UUID of the
// SMBIOS table at p in place: same lengths, so every offset, the entry
// point's length and the structure layout stay as they are.
func (s *scrubber) dmiTable(p string, ep []byte) dmiStrings {
	e := s.t[p]
	data := bytes.Clone(e.data)
	e.data = data
	var (
		t    *smbios.Table
		perr error
	)
	if ep != nil {
		t, perr = smbios.ParseSysfs(ep, data)
	}
	if t == nil {
		t, perr = smbios.ParseTable(data, smbios.DefaultRawVersion)
	}
	ds := dmiStrings{data: data}
	end := 0
	for i := range t.Structures {
		st := &t.Structures[i]
		strStart := st.Offset + int(st.Length)
		for _, off := range serialFields[st.Type] {
			if !st.Has(off, 1) {
				continue
			}
			if a, b, ok := stringRange(data, strStart, st.Data[off]); ok {
				copy(data[a:b], s.m.serial(string(data[a:b])))
			}
		}
		if st.Type == smbios.TypeSystem && st.Has(0x08, 16) {
			s.uuidBytes(data[st.Offset+0x08:st.Offset+0x18], t.Version)
		}
		if n := bytes.Index(data[strStart:], []byte{0, 0}); n >= 0 {
			ds.ranges = append(ds.ranges, [2]int{strStart, strStart + n})
			end = strStart + n + 2
		}
	}
	if perr != nil && end < len(data) {
		// The structures after the damage cannot be located: mask what
		// matches a serial found elsewhere and say so.
		ds.ranges = append(ds.ranges, [2]int{end, len(data)})
		s.note(p, fmt.Sprintf("SMBIOS table damaged (%v): past offset %d serials were masked only where they match serials found elsewhere", perr, end))
	}
	return ds
}

// stringRange returns where string number idx (1-based) of the string set
// starting at start lies in data; ok is false for 0 ("no string") and for
// an index beyond the set.
func stringRange(data []byte, start int, idx uint8) (int, int, bool) {
	if idx == 0 || start >= len(data) {
		return 0, 0, false
	}
	pos := start
	for k := uint8(1); ; k++ {
		n := bytes.IndexByte(data[pos:], 0)
		if n <= 0 {
			return 0, 0, false // an empty string ends the set
		}
		if k == idx {
			return pos, pos + n, true
		}
		pos += n + 1
		if pos >= len(data) {
			return 0, 0, false
		}
	}
}

// uuidBytes masks a 16-byte SMBIOS UUID field in place, consistently with
// product_uuid: the UUID is masked in the spelling dmidecode and the kernel
// print (first three fields little-endian from SMBIOS 2.6 on) and stored
// back in the table's byte order.
func (s *scrubber) uuidBytes(p []byte, v smbios.Version) {
	shown := smbios.FormatUUID(p, v)
	masked := s.m.uuid(shown)
	if masked == shown {
		return // Not Present / Not Settable
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(masked, "-", ""))
	if err != nil || len(raw) != 16 {
		return
	}
	if v.AtLeast(2, 6) {
		raw[0], raw[1], raw[2], raw[3] = raw[3], raw[2], raw[1], raw[0]
		raw[4], raw[5] = raw[5], raw[4]
		raw[6], raw[7] = raw[7], raw[6]
	}
	copy(p, raw)
}

// eeprom masks an SPD image's serial, or leaves the image out when it
// cannot be decoded (its serial could not be found).
func (s *scrubber) eeprom(p string) {
	e := s.t[p]
	out, err := scrubSPD(e.data, s.m)
	if err != nil {
		delete(s.t, p)
		s.note(p, "left out: "+err.Error())
		return
	}
	e.data = out
}

// scrubSPD returns img with its module serial masked. A CRC that covers
// the serial bytes (DDR3's, unless byte 0 bit 7 limits it to bytes 0-116)
// is recomputed when it was valid, so the scrubbed image checks as the
// original did; DDR4 and DDR5 CRCs end before the manufacturing section.
func scrubSPD(img []byte, m *masker) ([]byte, error) {
	mod, err := spd.Decode(img)
	if mod == nil {
		return nil, fmt.Errorf("SPD image cannot be decoded to mask its serial number: %w", err)
	}
	if mod.SerialNumber == "" {
		return img, nil // unset (all 00 or FF) or beyond a truncated image
	}
	off, ok := spdSerialOffset[img[2]]
	if !ok || off+4 > len(img) {
		return nil, fmt.Errorf("SPD memory type byte 0x%02x: serial offset unknown", img[2])
	}
	masked := m.serial(mod.SerialNumber)
	raw, err := hex.DecodeString(masked)
	if err != nil || len(raw) != 4 {
		return nil, fmt.Errorf("SPD serial %d bytes at offset %d: masked token is not 4 bytes", 4, off)
	}
	out := bytes.Clone(img)
	copy(out[off:off+4], raw)
	for _, c := range mod.CRCs {
		if c.OK() && c.Start <= off && off+3 <= c.End {
			crc := spd.CRC16(out[c.Start : c.End+1])
			out[c.End+1], out[c.End+2] = byte(crc), byte(crc>>8)
		}
	}
	// Check the result decodes as intended rather than trust the offsets.
	after, _ := spd.Decode(out)
	if after == nil || after.SerialNumber != strings.ToUpper(masked) || after.CRCOK() != mod.CRCOK() {
		return nil, errors.New("SPD image did not decode as expected after masking its serial number")
	}
	return out, nil
}

// ataIdentify masks the serial words of libata's IDENTIFY text, or leaves
// the file out when it does not parse (its serial could not be found).
func (s *scrubber) ataIdentify(p string) {
	e := s.t[p]
	out, err := scrubATAIdentify(e.data, s.m)
	if err != nil {
		delete(s.t, p)
		s.note(p, "left out: cannot mask its serial number: "+err.Error())
		return
	}
	e.data = out
}

// scrubATAIdentify rewrites words 10-19 (the 20-character serial, first
// character in each word's high byte) of IDENTIFY DEVICE text in place,
// token by token, so the layout stays the kernel's. Word 255 carries a
// checksum (high byte) when its low byte is A5h; it is recomputed when it
// was valid.
func scrubATAIdentify(text []byte, m *masker) ([]byte, error) {
	if _, err := storage.ParseATAIdentify(text); err != nil {
		return nil, err
	}
	var tokens [256][2]int
	n := 0
	for i := 0; i < len(text); {
		if c := text[i]; c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] != ' ' && text[j] != '\n' && text[j] != '\t' && text[j] != '\r' {
			j++
		}
		tokens[n] = [2]int{i, j}
		n++
		i = j
	}
	var words [256]uint16
	for i, t := range tokens {
		v, _ := strconv.ParseUint(string(text[t[0]:t[1]]), 16, 16) // checked by ParseATAIdentify
		words[i] = uint16(v)
	}
	raw := make([]byte, 20)
	for i := range 10 {
		raw[2*i], raw[2*i+1] = byte(words[10+i]>>8), byte(words[10+i])
	}
	masked := m.serial(string(raw))
	if masked == string(raw) {
		return text, nil
	}
	checksumValid := words[255]&0xff == 0xa5 && wordSum(words[:]) == 0
	for i := range 10 {
		words[10+i] = uint16(masked[2*i])<<8 | uint16(masked[2*i+1])
	}
	if checksumValid {
		sum := wordSum(words[:255]) + 0xa5
		words[255] = uint16(-sum)<<8 | 0xa5
	}
	out := bytes.Clone(text)
	for _, i := range []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 255} {
		t := tokens[i]
		format := "%04x"
		if bytes.ContainsAny(text[t[0]:t[1]], "ABCDEF") {
			format = "%04X"
		}
		copy(out[t[0]:t[1]], fmt.Sprintf(format, words[i]))
	}
	return out, nil
}

// wordSum adds the bytes of words modulo 256.
func wordSum(words []uint16) byte {
	var sum byte
	for _, w := range words {
		sum += byte(w) + byte(w>>8)
	}
	return sum
}

// udevRecord masks the serial properties of a udev database record: whole
// values of *_SERIAL_SHORT, *SCSI_SERIAL, *IDENT_SERIAL and
// *_SERIAL_NUMBER (systemd's dmi_memory_id), and the serial part of
// ID_SERIAL-like values ("<model>_<ID_SERIAL_SHORT>", kept in that form so
// storage can still rebuild a cut model from it), or the whole value when
// there is no short form. The /dev/disk/by-id names and DEVLINKS built from
// those values are masked the same way.
func (s *scrubber) udevRecord(data []byte) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	props := map[string]string{}
	for _, l := range lines {
		if kv, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "E:"); ok {
			if k, v, ok := strings.Cut(kv, "="); ok {
				props[k] = v
			}
		}
	}
	type pair struct{ old, new string }
	var whole []pair // masked ID_SERIAL-like values, to mask in names built from them
	for i, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		kv, ok := strings.CutPrefix(body, "E:")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		var nv string
		switch {
		case strings.HasSuffix(k, "SERIAL_SHORT"), strings.HasSuffix(k, "SCSI_SERIAL"),
			strings.HasSuffix(k, "IDENT_SERIAL"), strings.HasSuffix(k, "SERIAL_NUMBER"):
			nv = s.m.serial(v)
		case strings.HasSuffix(k, "_SERIAL"):
			short := props[k+"_SHORT"]
			switch head, ok := strings.CutSuffix(v, "_"+short); {
			case short == "":
				nv = s.m.serial(v)
			case ok:
				nv = head + "_" + s.m.serial(short)
			default:
				continue // e.g. USB's "<vendor>_<model>_<serial>-0:0": the replacer's job
			}
			if nv != v {
				whole = append(whole, pair{v, nv})
			}
		default:
			continue
		}
		if nv != v {
			lines[i] = "E:" + k + "=" + nv + l[len(body):]
		}
	}
	if len(whole) > 0 {
		sort.Slice(whole, func(i, j int) bool { return len(whole[i].old) > len(whole[j].old) })
		args := make([]string, 0, 2*len(whole))
		for _, p := range whole {
			args = append(args, p.old, p.new)
		}
		rep := strings.NewReplacer(args...)
		for i, l := range lines {
			if strings.HasPrefix(l, "S:") || strings.HasPrefix(l, "E:DEVLINKS=") {
				lines[i] = rep.Replace(l)
			}
		}
	}
	return []byte(strings.Join(lines, ""))
}
