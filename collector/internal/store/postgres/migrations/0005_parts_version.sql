-- parts_version changes in every transaction that writes one of the host's
-- part rows (the engine bumps it before committing). A collector keeps the
-- part rows of the hosts it saw between transactions and trusts them only
-- while the version it locked with the host row is the one they were
-- cached at: another collector sharing the database changes it.
ALTER TABLE hosts ADD COLUMN parts_version BIGINT NOT NULL DEFAULT 0;
