-- The genuine interests of other events' leads, read by every build (`Leads::pool_interests`),
-- from an index that holds them: on SQLite the column sits after the package, so reading it
-- from the table walks each package's overflow pages.
CREATE INDEX leads_genuine ON leads (attendee_id, event_id, genuine) WHERE genuine <> '';
