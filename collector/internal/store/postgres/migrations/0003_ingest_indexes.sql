-- A part's events are all on the part's host (the ledger writes them so,
-- AppendEvents refuses any other), so "events of part P" is served by
-- events_host (host_id, id) and a filter, and the index on part_id, one
-- more scattered page written for every part event, goes.
DROP INDEX events_part;

-- Several collectors may share this database, so none caches part rows: a
-- changed report reads its host's active rows, found here without visiting
-- the removed ones, which grow with the host's history.
CREATE INDEX parts_active_host ON parts (host_id) WHERE removed_at IS NULL;

-- One index on (identity, host_id) answers both "this identity on this
-- host" (the uniqueness rule) and "this identity anywhere" (moves), where
-- two indexes did: each new part row and each removal (not a HOT update:
-- removed_at is indexed) wrote both.
ALTER TABLE parts DROP CONSTRAINT parts_host_id_identity_key;
ALTER TABLE parts ADD CONSTRAINT parts_identity_host_key UNIQUE (identity, host_id);
DROP INDEX parts_identity;
