// Package maker identifies who made a memory module, its DRAM, or a drive,
// and says how it knows. It is used by every source (SMBIOS tables,
// dmidecode text, udev, SPD, storage scans) and does not depend on the proto
// package; Attribution mirrors proto memledger.v1.Vendor field for field.
//
// # Makers
//
// The catalogue (Catalogue) lists the makers the product cares about under fixed
// slugs, each with the company that owns it today as Parent: crucial, elpida
// and spectek belong to micron; solidigm to skhynix; lexar to longsys; hgst
// to westerndigital. Judgement calls are recorded in each Company's Note; the
// main ones:
//
//   - sandisk is its own parent: SanDisk was spun off from Western Digital in
//     February 2025 and took the flash business with it, including WD-branded
//     SSDs (WDS..., WD_BLACK SN..., PC SN...), PCI vendor 15b7 and JEP106
//     1:0x45. WD's hard disks stay westerndigital.
//   - Toshiba's memory business became Kioxia: JEP106 1:0x18, PCI 1179 and
//     Toshiba SSD families are kioxia; Toshiba hard disks, the name
//     "Toshiba" and JEP106 5:0x71 "Toshiba Corporation" are toshiba.
//   - Intel-branded SSDs are intel (the model does not tell whether a drive
//     was built before or after the Solidigm sale); SOLIDIGM models are
//     solidigm, even on Intel's PCI id.
//   - "Micron CMS" (JEP106 2:0x45) is micron. "Patriot Scientific",
//     "Bright Micron", "HT Micron" and "Hyundai Technology" are other
//     companies than patriot, micron and skhynix.
//
// Every other id in the JEP106 table is still an identification: its maker
// gets a slug derived from the JEP106 name (lower-case ASCII letters and
// digits, parenthetical notes and trailing corporate words such as "Co Ltd",
// "Technology", "Inc", "Corporation" dropped: 11:0x48 "Advantech Co Ltd" ->
// "advantech") and is its own parent. BySlug and IsKnownSlug know both kinds,
// so policies may name them; Catalogue lists only the curated makers.
//
// # Modules
//
// IdentifyModule weighs evidence in this order, strongest first:
//
//  1. "smbios-module-id": the SMBIOS 3.2 Module Manufacturer ID word
//     (continuation count, id byte with odd parity).
//  2. "jep106-code-in-string": a JEP106 code written into the Manufacturer
//     string, in any encoding seen in the field: a (count, id) pair ("859B",
//     "0B2C", "0416"), the SMBIOS word printed as a number ("2C00",
//     "Unknown - [0x9B85]"), written-out continuation codes
//     ("7F7FFE0000000000", "CE00000000000000"), Dell/HP's six bytes of module
//     id, two unknown bytes and DRAM id ("002C00B3002C", "01980000802C"),
//     "JEDEC ID:80 2C", "Bank 5, Hex 0x16". A reading is believed only when
//     its parity is valid, its bank exists, the id is listed, and no other
//     valid reading of the same digits disagrees: "1315" (seen on Crucial
//     modules) has no valid reading and is ignored with a warning. Two
//     bytes are the exception: a valid (count, id) reading wins over the
//     byte-swapped word ("8502" is Patriot's 6:0x02, not 3:0x05), with a
//     warning, as in every such string of linuxhw-dmi-train, and the word
//     is read only when the second byte is no id byte ("2C00"): "0x7301"
//     is a (count, id) pair past the last bank, not 2:0x73; in brackets
//     they are always the word.
//  3. "name": the Manufacturer string as a maker's name or alias
//     ("Hynix Semiconductor", "Micron_Technolog", "Crucial Technology"),
//     ignoring case, punctuation and corporate suffixes.
//  4. "part-number-exact": the part number is listed as one maker's in the
//     table mined from linuxhw/DMI reports (partnumbers.tsv, exact rows:
//     part numbers that follow no scheme, whose reports' Module
//     Manufacturer IDs all name one maker, such as ADATA's 4JQA-0622AC).
//  5. "part-number": the part number follows a maker's scheme (Micron
//     MTA.../18ASF.../MT53E..., the package number without MT
//     53E1G32D2NP-046, Crucial CT.../CP..., Samsung M393.../K4..., SK hynix
//     HMA.../H9HC..., Kingston KVR..., G.Skill F4-..., Goodram IRX...,
//     ...). OEM option numbers (HP "647647-071") name nobody; Dell numbers
//     with a DRAM-maker suffix ("XVTW4H-MIE") are Kingston's, which
//     programs them into the modules it builds for Dell.
//
// The schemes and the mined part numbers are data: partnumbers.tsv, each
// row with its source, compiled by `go generate` into partnumbers_gen.go;
// a scheme's regexp is compiled the first time a part number starts with
// its literal prefix, not at start-up. A part number the table lists as
// ambiguous (seen on other makers' modules than its scheme's: firmware of
// soldered LPDDR that pairs Samsung's id with Micron's MT53D... number)
// names nobody, whatever scheme it follows, and says so in a warning.
//
// Placeholder strings ("Unknown", "Not Specified", "0000", "Manufacturer00",
// "NO DIMM", ...) are no evidence. All kinds of evidence are examined; those
// that agree with the strongest are listed in Attribution.Evidence, those that
// disagree produce a warning, and the stronger kind wins. The DRAM maker is
// reported only when a source states it (the last id of a six-byte string).
// Unknown stays unknown: nothing is guessed.
//
// # Drives
//
// IdentifyDrive first tells RAID logical volumes and virtual disks from
// physical drives (DriveResult.Kind); those get no maker. For a physical
// drive it weighs: the PCI subsystem vendor when it is a drive maker
// ("pci-subsystem-vendor"), the PCI vendor when it names a drive maker
// rather than a controller maker ("pci-vendor"; Phison, Silicon Motion,
// Marvell, Maxio, Realtek, InnoGrit and JMicron set DriveResult.Controller
// instead), the IEEE company id in the NVMe NGUID, EUI-64 or WWN
// ("wwn-oui", from the generated oui_gen.go), the model ("model-prefix";
// "smartmontools-drivedb" for a family of smartmontools' drive database,
// drivedb_gen.go; "model-name" for a maker's name inside the model), and
// the SCSI vendor string unless it is "ATA", a USB bridge, a hypervisor, an
// array or an OEM ("scsi-vendor"), and last the model family smartctl
// printed ("smartctl-model-family", DriveFacts.ModelFamily), read by the
// rule that selects drivedb_gen.go's families, so a family named after a
// controller names nobody. OEM part-number schemes, OEM SCSI
// vendors and OEM PCI subsystem ids set DriveResult.OEM, the label, never
// the maker. When only a controller maker is known, the maker is unknown.
package maker
