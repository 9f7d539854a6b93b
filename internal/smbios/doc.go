// Package smbios decodes SMBIOS (DMI) tables: []byte in, plain documented
// structs out. It performs no I/O; callers read
// /sys/firmware/dmi/tables/{smbios_entry_point,DMI}, `dmidecode --dump-bin`
// files or raw structure tables themselves and hand the bytes in.
//
// The decoder follows DMTF DSP0134 (SMBIOS 3.x) and, where the
// specification leaves room, GNU dmidecode: enumeration names
// (MemoryTypeName, FormFactorName, TypeDetailString), the length gates that
// decide which fields a structure carries, the UUID byte-order rule and the
// "<BAD INDEX>" marker for string references beyond a structure's string set
// are all taken from dmidecode so that a table decoded here and the
// dmidecode text rendering of the same table agree.
//
// Robustness: every length and index read from the input is checked against
// the input before use, nothing is allocated from a length field, and a
// corrupt table yields the structures decoded so far plus an error naming
// the offset and handle where decoding stopped.
//
// Aliasing: Structure.Data is a sub-slice of the caller's buffer; callers
// must not modify that buffer while they use the decoded Table.
package smbios
