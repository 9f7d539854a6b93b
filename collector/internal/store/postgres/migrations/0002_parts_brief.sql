-- Covering index for fleet-wide passes (store.Store.ForEachPart and
-- ForEachPartGroup: reports, policy evaluation). They read these columns
-- of every part in host order without touching the wide rows and their
-- protobuf records; the column order lets ForEachPartGroup's GROUP BY
-- stream in index order instead of sorting.
CREATE INDEX parts_brief ON parts (host_id, first_seen, kind, maker_id, maker_parent,
  dram_id, dram_parent, part_number, removed_at, id, slot, serial_number);
