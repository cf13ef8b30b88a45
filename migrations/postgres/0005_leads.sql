-- Leads: the result of the latest lead build, one row per attendee of an event.
-- The lead builder owns this table; the follow-up email reads tier and top_topic from it.

CREATE TABLE leads (
    event_id     BIGINT NOT NULL REFERENCES events(id),
    attendee_id  BIGINT NOT NULL REFERENCES attendees(id),
    -- 'A', 'B', 'C' or 'X' (excluded).
    tier         TEXT NOT NULL,
    -- The topic slug with the highest interest score; NULL when the attendee showed none.
    top_topic    TEXT,
    built_at     BIGINT NOT NULL,
    PRIMARY KEY (event_id, attendee_id)
);
