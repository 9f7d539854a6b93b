package smartctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jsonOutput holds the keys of `smartctl --json` this package reads
// (smartctl.cpp, ataprint.cpp, scsiprint.cpp, nvmeprint.cpp). smartctl
// 7.3 renamed the SCSI keys vendor, product, model_name and revision to
// scsi_vendor, scsi_product, scsi_model_name and scsi_revision; both are
// read.
type jsonOutput struct {
	Smartctl struct {
		Messages []struct {
			String string `json:"string"`
		} `json:"messages"`
	} `json:"smartctl"`
	Device struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Protocol string `json:"protocol"`
	} `json:"device"`
	ModelFamily     string `json:"model_family"`
	ModelName       string `json:"model_name"`
	SerialNumber    string `json:"serial_number"`
	FirmwareVersion string `json:"firmware_version"`
	WWN             *struct {
		NAA uint64 `json:"naa"`
		OUI uint64 `json:"oui"`
		ID  uint64 `json:"id"`
	} `json:"wwn"`
	UserCapacity struct {
		Bytes json.Number `json:"bytes"`
	} `json:"user_capacity"`
	RotationRate *int64 `json:"rotation_rate"`
	FormFactor   struct {
		Name string `json:"name"`
	} `json:"form_factor"`
	Vendor        string `json:"vendor"`
	Product       string `json:"product"`
	Revision      string `json:"revision"`
	SCSIVendor    string `json:"scsi_vendor"`
	SCSIProduct   string `json:"scsi_product"`
	SCSIRevision  string `json:"scsi_revision"`
	LogicalUnitID string `json:"logical_unit_id"`
	SCSITransport struct {
		Name string `json:"name"`
	} `json:"scsi_transport_protocol"`
	NVMePCIVendor *struct {
		ID          uint64 `json:"id"`
		SubsystemID uint64 `json:"subsystem_id"`
	} `json:"nvme_pci_vendor"`
	NVMeIEEEOUI       *uint64     `json:"nvme_ieee_oui_identifier"`
	NVMeTotalCapacity json.Number `json:"nvme_total_capacity"`
	NVMeNamespaces    []struct {
		Size struct {
			Bytes json.Number `json:"bytes"`
		} `json:"size"`
		EUI64 *struct {
			OUI   uint64 `json:"oui"`
			ExtID uint64 `json:"ext_id"`
		} `json:"eui64"`
	} `json:"nvme_namespaces"`
}

// lineCounter turns byte offsets into line numbers, counting forward from
// the last offset asked so that a file of many objects is counted once.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// parseJSON reads one or several JSON objects one after another. An
// object that is not valid JSON (cut short, garbled) is skipped up to the
// next line that starts with '{', with a warning.
func parseJSON(data []byte) ([]Drive, []Warning) {
	var (
		drives   []Drive
		warnings []Warning
	)
	lines := &lineCounter{data: data, line: 1}
	warn := func(off int, format string, args ...any) {
		warnings = append(warnings, Warning{Line: lines.at(off), Message: fmt.Sprintf(format, args...)})
	}
	off := 0
	for {
		for off < len(data) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
			off++
		}
		if off >= len(data) {
			break
		}
		start := off
		if data[off] != '{' {
			warn(start, "text that is not a JSON object: skipped up to the next object")
			off = nextObject(data, off)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(data[off:]))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			warn(start, "smartctl JSON object is not valid JSON (%v): skipped", err)
			off = nextObject(data, off+1)
			continue
		}
		off += int(dec.InputOffset())
		var o jsonOutput
		if err := json.Unmarshal(raw, &o); err != nil {
			warn(start, "JSON object is not smartctl's (%v): skipped", err)
			continue
		}
		d, why, fieldWarnings := o.drive()
		d.Line = lines.at(start)
		for _, w := range fieldWarnings {
			warnings = append(warnings, Warning{Line: d.Line, Message: w})
		}
		if why != "" {
			warnings = append(warnings, Warning{Line: d.Line, Message: "smartctl JSON object " + why + ": skipped"})
			continue
		}
		if d.SerialNumber == "" {
			warnings = append(warnings, Warning{Line: d.Line, Message: fmt.Sprintf("smartctl JSON of drive %q names no serial number (smartctl -q noserial, or the output is cut short)", d.Model)})
		}
		drives = append(drives, d)
	}
	return drives, warnings
}

// nextObject returns the offset of the next object's opening brace after
// off, or len(data): a '{' that starts a line, or one that ends a line
// and follows no key, comma or '[' (the pretty output's first line,
// written right after an output cut short).
func nextObject(data []byte, off int) int {
	for {
		i := bytes.IndexByte(data[off:], '{')
		if i < 0 {
			return len(data)
		}
		i += off
		if i == 0 || data[i-1] == '\n' {
			return i
		}
		j := i + 1
		if j < len(data) && data[j] == '\r' {
			j++
		}
		if j < len(data) && data[j] == '\n' {
			k := bytes.LastIndexFunc(data[:i], func(r rune) bool { return r != ' ' && r != '\t' })
			if k < 0 || (data[k] != ':' && data[k] != ',' && data[k] != '[') {
				return i
			}
		}
		off = i + 1
	}
}

// drive maps one smartctl JSON object; why says why it names no drive.
func (o *jsonOutput) drive() (d Drive, why string, warnings []string) {
	d = Drive{
		Name:         strings.TrimSpace(o.Device.Name),
		Type:         strings.TrimSpace(o.Device.Type),
		Protocol:     strings.TrimSpace(o.Device.Protocol),
		ModelFamily:  strings.TrimSpace(o.ModelFamily),
		SerialNumber: strings.TrimSpace(o.SerialNumber),
		Firmware:     strings.TrimSpace(o.FirmwareVersion),
		FormFactor:   strings.TrimSpace(o.FormFactor.Name),
	}
	size := func(what string, n json.Number) uint64 {
		if n == "" {
			return 0
		}
		v, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || v == 0 {
			warnings = append(warnings, fmt.Sprintf("smartctl JSON %s %q is not a byte count: ignored", what, n))
			return 0
		}
		return v
	}
	vendor, product := strings.TrimSpace(o.SCSIVendor), strings.TrimSpace(o.SCSIProduct)
	if vendor == "" {
		vendor = strings.TrimSpace(o.Vendor)
	}
	if product == "" {
		product = strings.TrimSpace(o.Product)
	}
	if d.Protocol == "" && (vendor != "" || product != "") {
		d.Protocol = "SCSI"
	}
	if strings.EqualFold(d.Protocol, "SCSI") {
		// model_name is "vendor product" there; the product is the model
		// the kernel and the text output show.
		d.Vendor, d.Model = vendor, product
		if d.Firmware = strings.TrimSpace(o.SCSIRevision); d.Firmware == "" {
			d.Firmware = strings.TrimSpace(o.Revision)
		}
		if strings.HasPrefix(o.SCSITransport.Name, "SAS") {
			d.Transport = TransportSAS
		}
	} else {
		d.Model = strings.TrimSpace(o.ModelName)
	}
	d.SizeBytes = size("user_capacity.bytes", o.UserCapacity.Bytes)
	if o.RotationRate != nil {
		switch {
		case *o.RotationRate == 0:
			d.Media = "ssd"
		case *o.RotationRate > 1:
			d.Media = "hdd"
		}
	}
	if w := o.WWN; w != nil {
		if w.NAA > 0xf || w.OUI > 0xffffff || w.ID > 0xfffffffff {
			warnings = append(warnings, fmt.Sprintf("smartctl JSON wwn {naa %d, oui %d, id %d} does not fit NAA, OUI and a 36-bit id: ignored", w.NAA, w.OUI, w.ID))
		} else if w.NAA != 0 || w.OUI != 0 || w.ID != 0 {
			d.WWN = fmt.Sprintf("naa.%x%06x%09x", w.NAA, w.OUI, w.ID)
		}
	}
	if o.LogicalUnitID != "" {
		wwn, err := parseLUID(strings.TrimSpace(o.LogicalUnitID))
		if err != nil {
			warnings = append(warnings, "smartctl JSON logical_unit_id: "+err.Error()+": ignored")
		} else if wwn != "" {
			d.WWN = wwn
		}
	}
	if p := o.NVMePCIVendor; p != nil {
		if p.ID > 0xffff || p.SubsystemID > 0xffff {
			warnings = append(warnings, fmt.Sprintf("smartctl JSON nvme_pci_vendor {id %d, subsystem_id %d} is not 16-bit ids: ignored", p.ID, p.SubsystemID))
		} else {
			d.PCIVendor, d.PCISubsystemVendor = uint16(p.ID), uint16(p.SubsystemID)
		}
	}
	if o.NVMeIEEEOUI != nil {
		d.IEEEOUI = ouiHex(*o.NVMeIEEEOUI)
	}
	if len(o.NVMeNamespaces) > 0 {
		ns := o.NVMeNamespaces[0]
		if d.SizeBytes == 0 {
			d.SizeBytes = size("nvme_namespaces[0].size.bytes", ns.Size.Bytes)
		}
		if e := ns.EUI64; e != nil && (e.OUI != 0 || e.ExtID != 0) {
			if e.OUI > 0xffffff || e.ExtID > 0xffffffffff {
				warnings = append(warnings, fmt.Sprintf("smartctl JSON eui64 {oui %d, ext_id %d} does not fit 64 bits: ignored", e.OUI, e.ExtID))
			} else {
				d.EUI64 = fmt.Sprintf("%06x%010x", e.OUI, e.ExtID)
			}
		}
	}
	if d.SizeBytes == 0 {
		d.SizeBytes = size("nvme_total_capacity", o.NVMeTotalCapacity)
	}
	if why = d.finish(); why != "" && len(o.Smartctl.Messages) > 0 {
		why += fmt.Sprintf(" (smartctl said %q)", strings.TrimSpace(o.Smartctl.Messages[0].String))
	}
	return d, why, warnings
}
