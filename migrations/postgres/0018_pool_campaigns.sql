-- Campaigns that reach the data pool across events: `segment` holds the criteria (a JSON
-- object, domain::segment); NULL keeps the campaign to its own event's attendees.
ALTER TABLE campaigns ADD COLUMN segment TEXT;

-- The latest consent of a registration is read by `ORDER BY id DESC LIMIT 1` (planning a
-- campaign, claiming its messages, a pool segment). With an index on the registration alone,
-- PostgreSQL without fresh statistics walked the whole table backwards by id instead (1 ms a
-- message, every message); with the id in the index the newest row is its first entry.
CREATE INDEX consents_latest ON consents (attendee_id, id);
DROP INDEX consents_attendee;
