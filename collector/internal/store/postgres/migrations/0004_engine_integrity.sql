-- Referential integrity of the hot tables is the engine's, not trigger
-- checks': a foreign key on PostgreSQL runs a locking lookup per inserted
-- row, and a changed report inserts a part, two events and a presence
-- interval. The four checks cost 11 % of the changed reports a collector
-- commits per second (paired runs, docs/benchmarks.md).
--
-- What the keys guarded is guaranteed by construction and tested: nothing
-- is ever deleted from hosts or parts; the ingest path inserts a host row
-- before anything that names it and a part row (its id reserved from the
-- sequence) before its events and presence; AppendEvents checks the host
-- and part it is given. The conformance suite runs Engine.CheckIntegrity
-- (no row names a host or part that does not exist) after every case, on
-- both drivers; `memledger-collector check` runs it on a live ledger.
-- SQLite keeps its keys: there they cost little.
ALTER TABLE parts DROP CONSTRAINT parts_host_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_host_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_part_id_fkey;
ALTER TABLE part_presence DROP CONSTRAINT part_presence_part_id_fkey;
