-- A part's events are all on the part's host (the ledger writes them so,
-- AppendEvents refuses any other), so "events of part P" is served by
-- events_host (host_id, id) and a filter, and the index on part_id, one
-- more scattered page written for every part event, goes.
DROP INDEX events_part;
