-- Staff accounts may carry an email address: reminders about overdue leads go there.
ALTER TABLE users ADD COLUMN email TEXT;

-- Each step taken on a lead whose feedback deadline passed without an outcome: a reminder
-- to its owner, an escalation to the manager, a reassignment to the fallback owner. One row
-- per step and deadline, so running the check twice takes each step once.
CREATE TABLE lead_deadline_steps (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events(id),
    attendee_id  INTEGER NOT NULL REFERENCES attendees(id),
    -- reminded, escalated, reassigned
    step         TEXT NOT NULL,
    -- the deadline the step answers (leads.due_at when it was taken)
    due_at       INTEGER NOT NULL,
    -- whose deadline it was, and who was told or given the lead
    owner_id     INTEGER NOT NULL REFERENCES users(id),
    to_user_id   INTEGER REFERENCES users(id),
    -- pending (claimed, email not yet handed over), sent, no_address, failed (retried)
    state        TEXT NOT NULL,
    detail       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    UNIQUE (event_id, attendee_id, step, due_at)
);
