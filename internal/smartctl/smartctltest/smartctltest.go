// Package smartctltest holds smartctl outputs for tests of the packages
// that read them (internal/smartctl, the agent's --smartctl scan), laid
// out as smartmontools prints them, so that each test does not keep a
// copy of its own.
package smartctltest

// InfoATA is `smartctl -i` of one SATA SSD as smartctl 7.3 prints it
// (ataprint.cpp's layout): banner, information section, and nothing that
// names the device it read.
const InfoATA = "smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0-18-amd64] (local build)\n" +
	"Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org\n" +
	"\n" +
	"=== START OF INFORMATION SECTION ===\n" +
	"Model Family:     Samsung based SSDs\n" +
	"Device Model:     Samsung SSD 860 EVO 500GB\n" +
	"Serial Number:    S3Z2NB0K123456A\n" +
	"LU WWN Device Id: 5 002538 e70005ab2\n" +
	"Firmware Version: RVT03B6Q\n" +
	"User Capacity:    500,107,862,016 bytes [500 GB]\n" +
	"Sector Size:      512 bytes logical/physical\n" +
	"Rotation Rate:    Solid State Device\n" +
	"Form Factor:      2.5 inches\n" +
	"TRIM Command:     Available, deterministic, zeroed\n" +
	"Device is:        In smartctl database 7.3/5319\n" +
	"ATA Version is:   ACS-4 T13/BSR INCITS 529 revision 5\n" +
	"SATA Version is:  SATA 3.2, 6.0 Gb/s (current: 6.0 Gb/s)\n" +
	"Local Time is:    Mon Mar  4 10:11:12 2024 UTC\n" +
	"SMART support is: Available - device has SMART capability.\n" +
	"SMART support is: Enabled\n" +
	"\n"

// InfoNVMeNoSerial is `smartctl -q noserial -i` of an NVMe drive: no
// Serial Number line (and this drive reports no namespace EUI-64).
const InfoNVMeNoSerial = "smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0-18-amd64] (local build)\n" +
	"Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org\n" +
	"\n" +
	"=== START OF INFORMATION SECTION ===\n" +
	"Model Number:                       CT1000P5SSD8\n" +
	"Firmware Version:                   P4CR313\n" +
	"PCI Vendor/Subsystem ID:            0xc0a9\n" +
	"IEEE OUI Identifier:                0x00a075\n" +
	"Total NVM Capacity:                 1,000,204,886,016 [1.00 TB]\n" +
	"Number of Namespaces:               1\n" +
	"Namespace 1 Size/Capacity:          1,000,204,886,016 [1.00 TB]\n" +
	"Local Time is:                      Mon Mar  4 10:11:12 2024 UTC\n" +
	"\n"
