-- Serial and part-number searches (store.PartFilter.SerialPrefix,
-- PartNumberPrefix) are prefix ranges in byte order: these indexes answer
-- them without scanning the parts. IF NOT EXISTS: tests replay later
-- migrations on a ledger.
CREATE INDEX IF NOT EXISTS parts_serial_number ON parts (serial_number);
CREATE INDEX IF NOT EXISTS parts_part_number ON parts (part_number);
