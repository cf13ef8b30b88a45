-- The lead builder pages through an event's attendees in id order: this index serves that
-- range directly, whatever the planner knows of the table (a large import that has not
-- been analysed yet made PostgreSQL sort every remaining attendee for each page).
CREATE INDEX attendees_event_id ON attendees (event_id, id);
