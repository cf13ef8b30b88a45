-- Follow-up email (EDM): campaigns, their content, the send ledger, suppressions, bounces
-- and engagement. Times are unix milliseconds.

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES events(id),
    slug             TEXT NOT NULL,
    name             TEXT NOT NULL,
    -- draft, sending, paused, cancelled, done
    state            TEXT NOT NULL,
    -- Comma-separated lead tiers left out: A, B, C, X, none (no lead).
    excluded_tiers   TEXT NOT NULL,
    track_opens      INTEGER NOT NULL,
    track_clicks     INTEGER NOT NULL,
    frequency_hours  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    UNIQUE (event_id, slug)
);

-- What a campaign says: per topic ('' = the general fallback) and tier ('' = every tier).
CREATE TABLE campaign_contents (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
    topic        TEXT NOT NULL,
    tier         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    preheader    TEXT NOT NULL,
    body         TEXT NOT NULL,
    cta_label    TEXT NOT NULL,
    cta_url      TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, topic, tier)
);

-- The send ledger: one row per (campaign, attendee), enforced here, never in code.
-- queued -> sending (leased by claim_token until lease_until) -> sent | failed;
-- skipped when the address was suppressed after planning; cancelled with the campaign.
CREATE TABLE campaign_sends (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),
    attendee_id     INTEGER NOT NULL REFERENCES attendees(id),
    email           TEXT NOT NULL,
    topic           TEXT NOT NULL,
    tier            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    run_after       INTEGER NOT NULL,
    lease_until     INTEGER,
    claim_token     INTEGER,
    message_id      TEXT,
    smtp_reply      TEXT,
    last_error      TEXT,
    queued_at       INTEGER NOT NULL,
    sent_at         INTEGER,
    opened_at       INTEGER,
    clicked_at      INTEGER,
    unsubscribed_at INTEGER,
    bounced_at      INTEGER,
    UNIQUE (campaign_id, attendee_id)
);
CREATE INDEX campaign_sends_due ON campaign_sends (campaign_id, state, run_after);
CREATE INDEX campaign_sends_claim ON campaign_sends (claim_token);
CREATE INDEX campaign_sends_recent ON campaign_sends (email, sent_at);
CREATE INDEX campaign_sends_message ON campaign_sends (message_id);

-- Addresses that get no marketing email, with the first reason each was added for.
CREATE TABLE suppressions (
    email   TEXT NOT NULL,
    -- unsubscribed, hard_bounce, complaint, soft_bounces
    reason  TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (email, reason)
);

-- Append-only: every bounce or complaint report read, per recipient.
CREATE TABLE bounces (
    id       INTEGER PRIMARY KEY,
    email    TEXT NOT NULL,
    -- hard, soft, complaint
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    send_id  INTEGER REFERENCES campaign_sends(id),
    at       INTEGER NOT NULL
);
CREATE INDEX bounces_email ON bounces (email, kind, at);

-- Append-only: opens, clicks and unsubscribes, per attendee, for reports and lead engagement.
CREATE TABLE campaign_engagements (
    id           INTEGER PRIMARY KEY,
    send_id      INTEGER NOT NULL REFERENCES campaign_sends(id),
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    -- open, click, unsubscribe
    kind         TEXT NOT NULL,
    url          TEXT,
    at           INTEGER NOT NULL
);
CREATE INDEX campaign_engagements_attendee ON campaign_engagements (attendee_id, kind);

-- The secret that signs unsubscribe and tracking links when none is configured.
CREATE TABLE link_keys (
    id          INTEGER PRIMARY KEY,
    secret      BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
