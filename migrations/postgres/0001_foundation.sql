-- Events, programme, attendees, badges, staff accounts and the transactional mail queue.
-- Times are unix milliseconds (BIGINT) so both backends share one representation.

CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    venue       TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE topics (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  BIGINT NOT NULL REFERENCES events(id),
    slug      TEXT NOT NULL,
    name      TEXT NOT NULL,
    position  BIGINT NOT NULL,
    UNIQUE (event_id, slug)
);

CREATE TABLE rooms (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  BIGINT NOT NULL REFERENCES events(id),
    name      TEXT NOT NULL,
    capacity  BIGINT NOT NULL,
    position  BIGINT NOT NULL,
    UNIQUE (event_id, name)
);

CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES events(id),
    external_id  TEXT NOT NULL,
    title        TEXT NOT NULL,
    room_id      BIGINT NOT NULL REFERENCES rooms(id),
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    speakers     TEXT NOT NULL,
    UNIQUE (event_id, external_id)
);
CREATE INDEX sessions_room_time ON sessions (room_id, starts_at);

CREATE TABLE session_topics (
    session_id  BIGINT NOT NULL REFERENCES sessions(id),
    topic_id    BIGINT NOT NULL REFERENCES topics(id),
    weight      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (session_id, topic_id)
);

CREATE TABLE event_keys (
    event_id    BIGINT NOT NULL REFERENCES events(id),
    key_id      BIGINT NOT NULL,
    public_key  BYTEA NOT NULL,
    secret_key  BYTEA,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,
    PRIMARY KEY (event_id, key_id)
);

CREATE TABLE attendees (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        BIGINT NOT NULL REFERENCES events(id),
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
    marketing_consent BOOLEAN NOT NULL,
    source          TEXT NOT NULL,
    badge_serial    BIGINT NOT NULL,
    registered_at   BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (event_id, email)
);

CREATE TABLE attendee_interests (
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    topic_id     BIGINT NOT NULL REFERENCES topics(id),
    PRIMARY KEY (attendee_id, topic_id)
);

-- Append-only: every consent given or withdrawn, with what the person saw.
CREATE TABLE consents (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    granted      BOOLEAN NOT NULL,
    source       TEXT NOT NULL,
    wording      TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX consents_attendee ON consents (attendee_id);

-- Append-only: every badge ever issued. attendees.badge_serial names the valid one.
CREATE TABLE badges (
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    serial       BIGINT NOT NULL,
    key_id       BIGINT NOT NULL,
    token        TEXT NOT NULL UNIQUE,
    issued_at    BIGINT NOT NULL,
    revoked_at   BIGINT,
    PRIMARY KEY (attendee_id, serial)
);

CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT
);

CREATE TABLE login_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE mail_queue (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT NOT NULL,
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    run_after    BIGINT NOT NULL,
    lease_until  BIGINT,
    last_error   TEXT,
    message_id   TEXT,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT
);
CREATE INDEX mail_queue_due ON mail_queue (state, run_after);
