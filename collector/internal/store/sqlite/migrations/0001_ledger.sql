-- memledger ledger schema, SQLite dialect.
-- Times are INTEGER Unix microseconds (UTC). Nothing is ever deleted from
-- parts, part_presence or events; host_labels is a materialized view of
-- each host's effective labels, rewritten when they change.

CREATE TABLE hosts (
  host_id             TEXT PRIMARY KEY,
  hostname            TEXT NOT NULL DEFAULT '',
  -- JSON object of the labels in the last full inventory.
  agent_labels        TEXT NOT NULL DEFAULT '{}',
  -- JSON object of collector-side overrides, JSON array of hidden keys.
  label_overrides     TEXT NOT NULL DEFAULT '{}',
  labels_unset        TEXT NOT NULL DEFAULT '[]',
  first_seen          INTEGER NOT NULL,
  last_seen           INTEGER NOT NULL,
  -- Last full inventory received.
  last_report_at      INTEGER,
  -- Last confirmation of the parts: full inventory or heartbeat with the
  -- current digest. Active parts' last_seen is derived from it.
  inventory_seen_at   INTEGER,
  last_sequence       INTEGER NOT NULL DEFAULT 0,
  inventory_digest    TEXT NOT NULL DEFAULT '',
  agent_version       TEXT NOT NULL DEFAULT '',
  os                  TEXT NOT NULL DEFAULT '',
  kernel              TEXT NOT NULL DEFAULT '',
  system_manufacturer TEXT NOT NULL DEFAULT '',
  system_product      TEXT NOT NULL DEFAULT '',
  system_serial       TEXT NOT NULL DEFAULT '',
  -- memledger.v1.Host of the last full inventory (protobuf, deterministic).
  platform            BLOB
);
CREATE INDEX hosts_hostname ON hosts (hostname);

CREATE TABLE host_labels (
  host_id TEXT NOT NULL REFERENCES hosts (host_id),
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (host_id, key)
) WITHOUT ROWID;
CREATE INDEX host_labels_key_value ON host_labels (key, value);

-- One row per part identity per host.
CREATE TABLE parts (
  id                INTEGER PRIMARY KEY,
  host_id           TEXT NOT NULL REFERENCES hosts (host_id),
  kind              TEXT NOT NULL CHECK (kind IN ('memory', 'drive')),
  identity          TEXT NOT NULL,
  real_serial       INTEGER NOT NULL CHECK (real_serial IN (0, 1)),
  slot              TEXT NOT NULL,
  slot_key          TEXT NOT NULL,
  manufacturer_raw  TEXT NOT NULL,
  part_number       TEXT NOT NULL,
  serial_number     TEXT NOT NULL,
  size_bytes        INTEGER NOT NULL,
  firmware          TEXT NOT NULL,
  memory_type       TEXT NOT NULL,
  form_factor       TEXT NOT NULL,
  speed_mts         INTEGER NOT NULL,
  transport         TEXT NOT NULL,
  maker_id          TEXT NOT NULL,
  maker_parent      TEXT NOT NULL,
  maker_evidence    TEXT NOT NULL,
  dram_id           TEXT NOT NULL,
  dram_parent       TEXT NOT NULL,
  controller_id     TEXT NOT NULL,
  controller_parent TEXT NOT NULL,
  -- memledger.v1.MemoryModule or StorageDevice (protobuf, deterministic):
  -- every decoded field, exact strings, vendor evidence.
  record            BLOB NOT NULL,
  first_seen        INTEGER NOT NULL,
  -- Last arrival on this host (added, returned, moved in).
  arrived_at        INTEGER NOT NULL,
  -- Set on removal; NULL while active (derived from the host then).
  last_seen         INTEGER,
  removed_at        INTEGER,
  UNIQUE (host_id, identity)
);
CREATE INDEX parts_identity ON parts (identity);
-- A physical part with a real serial is active on one host at most.
CREATE UNIQUE INDEX parts_active_real_identity ON parts (identity)
  WHERE removed_at IS NULL AND real_serial = 1;

-- Intervals during which a part row was on its host, for AsOf queries.
CREATE TABLE part_presence (
  part_id  INTEGER NOT NULL REFERENCES parts (id),
  host_id  TEXT NOT NULL,
  since_at INTEGER NOT NULL,
  until_at INTEGER
);
CREATE INDEX part_presence_part ON part_presence (part_id, since_at);

CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  host_id TEXT NOT NULL REFERENCES hosts (host_id),
  part_id INTEGER REFERENCES parts (id),
  kind    TEXT NOT NULL,
  message TEXT NOT NULL,
  -- JSON object.
  details TEXT NOT NULL
);
CREATE INDEX events_host ON events (host_id, id);
CREATE INDEX events_part ON events (part_id) WHERE part_id IS NOT NULL;
CREATE INDEX events_at ON events (at);
CREATE INDEX events_kind ON events (kind, id);
