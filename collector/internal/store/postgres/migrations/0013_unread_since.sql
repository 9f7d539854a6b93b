-- When the full reports of a host began to leave its memory or storage
-- unread (Inventory.incomplete, or for older agents the ledger's
-- inference), kept until one reads the domain completely; NULL while
-- the last full report read it. A host whose report before this
-- migration left a domain unread gets the time of its next full report.
-- IF NOT EXISTS: tests replay later migrations on a ledger.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS memory_unread_since TIMESTAMPTZ;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS storage_unread_since TIMESTAMPTZ;
