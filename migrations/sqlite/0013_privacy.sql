-- People own their data: erasure on request and retention after the event.
--
-- An erased attendee keeps their row (other rows refer to it) with every personal field
-- replaced by a neutral value; `erased_at` says when.
ALTER TABLE attendees ADD COLUMN erased_at BIGINT;

-- What is left of a consent after erasure: the record, with a keyed hash of the address
-- instead of the person, as proof of what was agreed to and when.
ALTER TABLE consents ADD COLUMN address_hash TEXT;

-- An erased person's scans no longer name them; a random number stands in for them so
-- room occupancy and check-in counts, which need to tell people apart, stay as they were.
ALTER TABLE scans ADD COLUMN visitor BIGINT;

-- How long personal data is kept after the event ends, in days: for people who agreed to
-- marketing email and for everyone else.
ALTER TABLE events ADD COLUMN retain_days_consented BIGINT NOT NULL DEFAULT 730;
ALTER TABLE events ADD COLUMN retain_days_other BIGINT NOT NULL DEFAULT 180;
