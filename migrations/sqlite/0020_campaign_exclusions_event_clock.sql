-- Why people were left out of a campaign, counted when it started (reason=count pairs, see
-- domain::audience::AudienceSummary::exclusions_stored), so the reasons stay visible while
-- and after it sends. NULL for campaigns started before this column existed, and drafts.
ALTER TABLE campaigns ADD COLUMN exclusions TEXT;

-- How the event's times are written on the kiosk and staff pages: '24h' or '12h'. NULL
-- takes the usual clock of the event's time zone (domain::clock).
ALTER TABLE events ADD COLUMN clock TEXT;
