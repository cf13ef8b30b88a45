-- The lead package: every lead carries its scores, explanation, owner and deadline; builds
-- are recorded (one running per event at a time); sales feedback is append-only history.

ALTER TABLE leads ADD COLUMN score DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN fit DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN engagement DOUBLE PRECISION NOT NULL DEFAULT 0;
-- Purchase stage key of the attendee (attendee::PurchaseStage), '' when unknown.
ALTER TABLE leads ADD COLUMN stage TEXT NOT NULL DEFAULT '';
-- 'slug:score;slug:score' by score, highest first, as in the export.
ALTER TABLE leads ADD COLUMN topic_scores TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
-- The whole package as JSON (domain::lead::LeadPackage).
ALTER TABLE leads ADD COLUMN package TEXT NOT NULL DEFAULT '{}';
ALTER TABLE leads ADD COLUMN owner_id BIGINT REFERENCES users(id);
ALTER TABLE leads ADD COLUMN due_at BIGINT;
ALTER TABLE leads ADD COLUMN build_id BIGINT;
CREATE INDEX leads_owner ON leads (owner_id, event_id);

CREATE TABLE lead_builds (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      BIGINT NOT NULL REFERENCES events(id),
    -- 'running', 'done' or 'failed'.
    state         TEXT NOT NULL,
    started_by    TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL,
    finished_at   BIGINT,
    total         BIGINT NOT NULL DEFAULT 0,
    done          BIGINT NOT NULL DEFAULT 0,
    -- JSON counts by tier once done; the error text once failed.
    summary       TEXT,
    -- JSON domain::lead_insight::Insight once done.
    insight       TEXT
);
-- At most one running build per event: a second start conflicts instead of racing.
CREATE UNIQUE INDEX lead_builds_one_running ON lead_builds (event_id) WHERE state = 'running';

-- Append-only: what sales recorded about a lead.
CREATE TABLE lead_feedback (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES events(id),
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    user_id      BIGINT NOT NULL REFERENCES users(id),
    outcome      TEXT NOT NULL,
    note         TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX lead_feedback_lead ON lead_feedback (event_id, attendee_id, at);
