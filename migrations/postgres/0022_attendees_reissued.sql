-- Doors keep the badge serial of every attendee whose badge was replaced (serial above 1),
-- read whenever an app instance loads an event's door state. Few attendees ever have one, so
-- a partial index spares that read the whole attendee list of the event.
CREATE INDEX attendees_reissued ON attendees (event_id, id) WHERE badge_serial > 1;
