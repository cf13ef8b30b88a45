-- Door devices (kiosks) and every scan they report, accepted or not.

CREATE TABLE devices (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id            BIGINT NOT NULL REFERENCES events(id),
    room_id             BIGINT REFERENCES rooms(id),
    name                TEXT NOT NULL,
    pairing_code_hash   TEXT UNIQUE,
    pairing_expires_at  BIGINT,
    token_hash          TEXT UNIQUE,
    created_at          BIGINT NOT NULL,
    paired_at           BIGINT,
    revoked_at          BIGINT,
    last_seen_at        BIGINT,
    app_version         TEXT,
    queue_size          BIGINT,
    clock_skew_ms       BIGINT
);

-- Append-only: one row per scan a device reported. (device_id, nonce) makes retries harmless.
CREATE TABLE scans (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     BIGINT NOT NULL REFERENCES events(id),
    device_id    BIGINT NOT NULL REFERENCES devices(id),
    nonce        TEXT NOT NULL,
    badge        TEXT NOT NULL,
    attendee_id  BIGINT REFERENCES attendees(id),
    room_id      BIGINT REFERENCES rooms(id),
    session_id   BIGINT REFERENCES sessions(id),
    direction    TEXT NOT NULL,
    device_time  BIGINT NOT NULL,
    scanned_at   BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    decision     TEXT NOT NULL,
    reason       TEXT,
    UNIQUE (device_id, nonce)
);
CREATE INDEX scans_attendee ON scans (attendee_id, session_id, scanned_at);
CREATE INDEX scans_event_time ON scans (event_id, received_at);
