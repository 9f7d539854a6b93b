-- Presence intervals are stored once they close: the engine writes the
-- closed interval with the removal, and a present part's current stay is
-- [parts.arrived_at, now). The open rows that earlier versions kept for
-- present parts say exactly that and go; any other open row stays, for
-- `memledger-collector check` to report.
DELETE FROM part_presence WHERE until_at IS NULL AND EXISTS (
  SELECT 1 FROM parts p
  WHERE p.id = part_presence.part_id AND p.removed_at IS NULL AND p.arrived_at = part_presence.since_at);
