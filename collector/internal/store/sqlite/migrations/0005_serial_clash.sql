-- A real serial (maker, part number, serial) may be active on two hosts
-- at once: a clone module, a lazily programmed serial, or a host reporting
-- a part it does not carry. Both keep their part and the ledger records a
-- serial_clash event; a part moves only once its source host no longer
-- lists it. Lookups by identity keep using parts_identity.
DROP INDEX parts_active_real_identity;
