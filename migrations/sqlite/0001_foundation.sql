-- Events, programme, attendees, badges, staff accounts and the transactional mail queue.
-- Times are unix milliseconds (INTEGER) so both backends share one representation.

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    venue       TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE topics (
    id        INTEGER PRIMARY KEY,
    event_id  INTEGER NOT NULL REFERENCES events(id),
    slug      TEXT NOT NULL,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL,
    UNIQUE (event_id, slug)
);

CREATE TABLE rooms (
    id        INTEGER PRIMARY KEY,
    event_id  INTEGER NOT NULL REFERENCES events(id),
    name      TEXT NOT NULL,
    capacity  INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    UNIQUE (event_id, name)
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events(id),
    external_id  TEXT NOT NULL,
    title        TEXT NOT NULL,
    room_id      INTEGER NOT NULL REFERENCES rooms(id),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    speakers     TEXT NOT NULL,
    UNIQUE (event_id, external_id)
);
CREATE INDEX sessions_room_time ON sessions (room_id, starts_at);

CREATE TABLE session_topics (
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    topic_id    INTEGER NOT NULL REFERENCES topics(id),
    weight      REAL NOT NULL,
    PRIMARY KEY (session_id, topic_id)
);

CREATE TABLE event_keys (
    event_id    INTEGER NOT NULL REFERENCES events(id),
    key_id      INTEGER NOT NULL,
    public_key  BLOB NOT NULL,
    secret_key  BLOB,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER,
    PRIMARY KEY (event_id, key_id)
);

CREATE TABLE attendees (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events(id),
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    company         TEXT NOT NULL,
    job_title       TEXT NOT NULL,
    decision_role   TEXT NOT NULL,
    purchase_stage  TEXT NOT NULL,
    industry        TEXT NOT NULL,
    company_size    TEXT NOT NULL,
    country         TEXT NOT NULL,
    phone           TEXT,
    marketing_consent INTEGER NOT NULL,
    source          TEXT NOT NULL,
    badge_serial    INTEGER NOT NULL,
    registered_at   INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (event_id, email)
);

CREATE TABLE attendee_interests (
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    topic_id     INTEGER NOT NULL REFERENCES topics(id),
    PRIMARY KEY (attendee_id, topic_id)
);

-- Append-only: every consent given or withdrawn, with what the person saw.
CREATE TABLE consents (
    id           INTEGER PRIMARY KEY,
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    granted      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    wording      TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX consents_attendee ON consents (attendee_id);

-- Append-only: every badge ever issued. attendees.badge_serial names the valid one.
CREATE TABLE badges (
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    serial       INTEGER NOT NULL,
    key_id       INTEGER NOT NULL,
    token        TEXT NOT NULL UNIQUE,
    issued_at    INTEGER NOT NULL,
    revoked_at   INTEGER,
    PRIMARY KEY (attendee_id, serial)
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    disabled_at    INTEGER
);

CREATE TABLE login_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE mail_queue (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    run_after    INTEGER NOT NULL,
    lease_until  INTEGER,
    last_error   TEXT,
    message_id   TEXT,
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER
);
CREATE INDEX mail_queue_due ON mail_queue (state, run_after);
