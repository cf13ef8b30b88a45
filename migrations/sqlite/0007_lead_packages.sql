-- The lead package: every lead carries its scores, explanation, owner and deadline; builds
-- are recorded (one running per event at a time); sales feedback is append-only history.

ALTER TABLE leads ADD COLUMN score REAL NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN fit REAL NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN engagement REAL NOT NULL DEFAULT 0;
-- Purchase stage key of the attendee (attendee::PurchaseStage), '' when unknown.
ALTER TABLE leads ADD COLUMN stage TEXT NOT NULL DEFAULT '';
-- 'slug:score;slug:score' by score, highest first, as in the export.
ALTER TABLE leads ADD COLUMN topic_scores TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
-- The whole package as JSON (domain::lead::LeadPackage).
ALTER TABLE leads ADD COLUMN package TEXT NOT NULL DEFAULT '{}';
ALTER TABLE leads ADD COLUMN owner_id INTEGER REFERENCES users(id);
ALTER TABLE leads ADD COLUMN due_at INTEGER;
ALTER TABLE leads ADD COLUMN build_id INTEGER;
CREATE INDEX leads_owner ON leads (owner_id, event_id);

CREATE TABLE lead_builds (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL REFERENCES events(id),
    -- 'running', 'done' or 'failed'.
    state         TEXT NOT NULL,
    started_by    TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL,
    finished_at   INTEGER,
    total         INTEGER NOT NULL DEFAULT 0,
    done          INTEGER NOT NULL DEFAULT 0,
    -- JSON counts by tier once done; the error text once failed.
    summary       TEXT,
    -- JSON domain::lead_insight::Insight once done.
    insight       TEXT
);
-- At most one running build per event: a second start conflicts instead of racing.
CREATE UNIQUE INDEX lead_builds_one_running ON lead_builds (event_id) WHERE state = 'running';

-- Append-only: what sales recorded about a lead.
CREATE TABLE lead_feedback (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events(id),
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    outcome      TEXT NOT NULL,
    note         TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX lead_feedback_lead ON lead_feedback (event_id, attendee_id, at);
