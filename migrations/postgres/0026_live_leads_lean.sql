-- A live row is rewritten for every scanned attendee while the doors run, so it holds what
-- lists and alerts read and nothing more:
-- - no explanation: it is written from the same scans when a page shows it
--   (leads::live_updates::explain), where it cost 400 bytes a row to store and rewrite;
-- - no index beyond the key: the event's rows are read by joining `attendees` (by event),
--   and with no index on a column an update changes, PostgreSQL updates a row in its page
--   without touching any index;
-- - no references: each checked one was a query that locked the event's row and the
--   attendee's for every row written (as for scans, migration 0025). The live write joins
--   `attendees` and leaves out the erased; an erasure deletes the row; no code deletes
--   attendees or events.
ALTER TABLE live_leads DROP CONSTRAINT live_leads_attendee_id_fkey;
ALTER TABLE live_leads DROP CONSTRAINT live_leads_event_id_fkey;
DROP INDEX live_leads_event;
ALTER TABLE live_leads DROP COLUMN explanation;
