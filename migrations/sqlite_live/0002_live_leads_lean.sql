-- A live row is rewritten for every scanned attendee while the doors run, so it holds what
-- lists and alerts read and nothing more: no explanation (written from the same scans when
-- a page shows it, leads::live_updates::explain, where it cost 400 bytes a row to store and
-- rewrite), and no index beyond the key (the event's rows are read by joining `attendees`).
DROP INDEX live_leads_event;
ALTER TABLE live_leads DROP COLUMN explanation;
