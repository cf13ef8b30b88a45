-- Live leads while the event runs (leads::live), in a file of their own beside the
-- database (store::sqlite): each accepted scan updates its attendee's interest, tier and
-- explanation here, without a rebuild, and these writes never wait for the door's. They are
-- derived from the scans, so the file holds nothing that cannot be made again. No foreign
-- keys across files: erasure deletes a person's row here after its own commit, and the
-- live writer stores no row for a person erased (store::leads::live).
-- `scan_seen` is the newest accepted scan the row reflects: an update computed from fewer
-- scans never overwrites one computed from more.
CREATE TABLE live_leads (
    attendee_id   INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL,
    tier          TEXT NOT NULL,
    score         REAL NOT NULL,
    top_topic     TEXT,
    -- As in `leads`: `slug:score;slug:score`, strongest first.
    topic_scores  TEXT NOT NULL,
    explanation   TEXT NOT NULL,
    scan_seen     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX live_leads_event ON live_leads (event_id, tier);
