-- The hosts whose memory or storage is unread (store.HostFilter.Unread),
-- few in a large fleet: a partial index holds only them. Its predicate
-- is the engine's condition, so the planner can use it. IF NOT EXISTS:
-- tests replay later migrations on a ledger.
CREATE INDEX IF NOT EXISTS hosts_unread ON hosts (memory_unread_since, storage_unread_since)
  WHERE memory_unread_since IS NOT NULL OR storage_unread_since IS NOT NULL;
