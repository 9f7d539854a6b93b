-- When the full reports of a host began to leave its memory or storage
-- unread (Inventory.incomplete, or for older agents the ledger's
-- inference), kept until one reads the domain completely; NULL while
-- the last full report read it. A host whose report before this
-- migration left a domain unread gets the time of its next full report.
-- SQLite has no ADD COLUMN IF NOT EXISTS: tests that replay this file
-- drop the columns first.
ALTER TABLE hosts ADD COLUMN memory_unread_since INTEGER;
ALTER TABLE hosts ADD COLUMN storage_unread_since INTEGER;
