-- Door devices (kiosks) and every scan they report, accepted or not.

CREATE TABLE devices (
    id                  INTEGER PRIMARY KEY,
    event_id            INTEGER NOT NULL REFERENCES events(id),
    room_id             INTEGER REFERENCES rooms(id),
    name                TEXT NOT NULL,
    pairing_code_hash   TEXT UNIQUE,
    pairing_expires_at  INTEGER,
    token_hash          TEXT UNIQUE,
    created_at          INTEGER NOT NULL,
    paired_at           INTEGER,
    revoked_at          INTEGER,
    last_seen_at        INTEGER,
    app_version         TEXT,
    queue_size          INTEGER,
    clock_skew_ms       INTEGER
);

-- Append-only: one row per scan a device reported. (device_id, nonce) makes retries harmless.
CREATE TABLE scans (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events(id),
    device_id    INTEGER NOT NULL REFERENCES devices(id),
    nonce        TEXT NOT NULL,
    badge        TEXT NOT NULL,
    attendee_id  INTEGER REFERENCES attendees(id),
    room_id      INTEGER REFERENCES rooms(id),
    session_id   INTEGER REFERENCES sessions(id),
    direction    TEXT NOT NULL,
    device_time  INTEGER NOT NULL,
    scanned_at   INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    decision     TEXT NOT NULL,
    reason       TEXT,
    UNIQUE (device_id, nonce)
);
CREATE INDEX scans_attendee ON scans (attendee_id, session_id, scanned_at);
CREATE INDEX scans_event_time ON scans (event_id, received_at);
