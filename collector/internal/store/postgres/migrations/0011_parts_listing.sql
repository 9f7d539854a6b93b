-- Parts in the order store.Store.Parts lists them, so a page (LIMIT,
-- OFFSET) walks the index instead of sorting every part. IF NOT EXISTS:
-- tests replay later migrations on a ledger.
CREATE INDEX IF NOT EXISTS parts_listing ON parts (host_id, kind, slot, id);
