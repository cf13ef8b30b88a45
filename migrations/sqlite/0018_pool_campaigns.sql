-- Campaigns that reach the data pool across events: `segment` holds the criteria (a JSON
-- object, domain::segment); NULL keeps the campaign to its own event's attendees.
ALTER TABLE campaigns ADD COLUMN segment TEXT;
