-- Follow-up email (EDM): campaigns, their content, the send ledger, suppressions, bounces
-- and engagement. Times are unix milliseconds.

CREATE TABLE campaigns (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         BIGINT NOT NULL REFERENCES events(id),
    slug             TEXT NOT NULL,
    name             TEXT NOT NULL,
    -- draft, sending, paused, cancelled, done
    state            TEXT NOT NULL,
    -- Comma-separated lead tiers left out: A, B, C, X, none (no lead).
    excluded_tiers   TEXT NOT NULL,
    track_opens      BOOLEAN NOT NULL,
    track_clicks     BOOLEAN NOT NULL,
    frequency_hours  BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    UNIQUE (event_id, slug)
);

-- What a campaign says: per topic ('' = the general fallback) and tier ('' = every tier).
CREATE TABLE campaign_contents (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    topic        TEXT NOT NULL,
    tier         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    preheader    TEXT NOT NULL,
    body         TEXT NOT NULL,
    cta_label    TEXT NOT NULL,
    cta_url      TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, topic, tier)
);

-- The send ledger: one row per (campaign, attendee), enforced here, never in code.
-- queued -> sending (leased by claim_token until lease_until) -> sent | failed;
-- skipped when the address was suppressed after planning; cancelled with the campaign.
CREATE TABLE campaign_sends (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id     BIGINT NOT NULL REFERENCES campaigns(id),
    attendee_id     BIGINT NOT NULL REFERENCES attendees(id),
    email           TEXT NOT NULL,
    topic           TEXT NOT NULL,
    tier            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    run_after       BIGINT NOT NULL,
    lease_until     BIGINT,
    claim_token     BIGINT,
    message_id      TEXT,
    smtp_reply      TEXT,
    last_error      TEXT,
    queued_at       BIGINT NOT NULL,
    sent_at         BIGINT,
    opened_at       BIGINT,
    clicked_at      BIGINT,
    unsubscribed_at BIGINT,
    bounced_at      BIGINT,
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
    at      BIGINT NOT NULL,
    PRIMARY KEY (email, reason)
);

-- Append-only: every bounce or complaint report read, per recipient.
CREATE TABLE bounces (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email    TEXT NOT NULL,
    -- hard, soft, complaint
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    send_id  BIGINT REFERENCES campaign_sends(id),
    at       BIGINT NOT NULL
);
CREATE INDEX bounces_email ON bounces (email, kind, at);

-- Append-only: opens, clicks and unsubscribes, per attendee, for reports and lead engagement.
CREATE TABLE campaign_engagements (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    send_id      BIGINT NOT NULL REFERENCES campaign_sends(id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    -- open, click, unsubscribe
    kind         TEXT NOT NULL,
    url          TEXT,
    at           BIGINT NOT NULL
);
CREATE INDEX campaign_engagements_attendee ON campaign_engagements (attendee_id, kind);

-- The secret that signs unsubscribe and tracking links when none is configured.
CREATE TABLE link_keys (
    id          BIGINT PRIMARY KEY,
    secret      BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
