-- Leads are written only by the lead builder, a million rows at a time, from attendees and
-- accounts it has just read. Checking each row's foreign keys one by one cost a third of
-- that write; instead the build checks the whole set in one query before it commits
-- (LeadWrite::finish), which also checks that every lead's attendee is of the lead's event.
ALTER TABLE leads DROP CONSTRAINT IF EXISTS leads_attendee_id_fkey;
ALTER TABLE leads DROP CONSTRAINT IF EXISTS leads_event_id_fkey;
ALTER TABLE leads DROP CONSTRAINT IF EXISTS leads_owner_id_fkey;
