-- Live leads while the event runs (leads::live): each accepted scan updates its attendee's
-- interest, tier and explanation here, without a rebuild. The post-event build (`leads`)
-- stays the reference. `scan_seen` is the newest accepted scan the row reflects: an update
-- computed from fewer scans never overwrites one computed from more.
CREATE TABLE live_leads (
    attendee_id   INTEGER PRIMARY KEY REFERENCES attendees(id),
    event_id      INTEGER NOT NULL REFERENCES events(id),
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

-- Each event's watch rules (domain::watch), as the TOML text people wrote.
CREATE TABLE watch_rules (
    event_id    INTEGER PRIMARY KEY REFERENCES events(id),
    body        TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Hot-lead alerts: a watch rule that fired for a person. The reason holds no name; pages
-- and messages read it from the registration, so erasing the person leaves nothing here.
CREATE TABLE lead_alerts (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events(id),
    attendee_id    INTEGER NOT NULL REFERENCES attendees(id),
    rule           TEXT NOT NULL,
    -- 'enters' or 'tier_a'.
    trigger        TEXT NOT NULL,
    owner_id       INTEGER REFERENCES users(id),
    session_id     INTEGER REFERENCES sessions(id),
    reason         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    -- 'pending', then 'sent', 'no_address', 'failed' or 'none' (nobody to tell).
    email_state    TEXT NOT NULL,
    -- 'pending', then 'posted', 'failed' or 'none' (no webhook set).
    webhook_state  TEXT NOT NULL,
    lease_until    INTEGER
);
CREATE INDEX lead_alerts_event ON lead_alerts (event_id, created_at);
CREATE INDEX lead_alerts_owner ON lead_alerts (owner_id, created_at);
CREATE INDEX lead_alerts_pending ON lead_alerts (email_state, webhook_state);

-- The last alert of each rule for each person: an alert is claimed by moving `last_at`
-- forward only when the window has passed, so two instances cannot both send it.
CREATE TABLE lead_alert_marks (
    event_id     INTEGER NOT NULL REFERENCES events(id),
    rule         TEXT NOT NULL,
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    last_at      INTEGER NOT NULL,
    PRIMARY KEY (event_id, rule, attendee_id)
);
