-- What each sales outcome leads to, decided by the event's playbook when it is recorded:
-- who works the person next, from when, with what, and whether follow-up email may reach them.
ALTER TABLE lead_feedback ADD COLUMN next_owner TEXT NOT NULL DEFAULT 'nurture';
ALTER TABLE lead_feedback ADD COLUMN next_at INTEGER;
ALTER TABLE lead_feedback ADD COLUMN next_content TEXT NOT NULL DEFAULT 'top_topic';
ALTER TABLE lead_feedback ADD COLUMN next_email INTEGER NOT NULL DEFAULT 1;
ALTER TABLE lead_feedback ADD COLUMN next_tag TEXT NOT NULL DEFAULT 'nurture';

-- Feedback recorded before there was a playbook gets the default playbook's plays
-- (domain::playbook), with months counted in UTC.
UPDATE lead_feedback SET
    next_owner = CASE outcome
        WHEN 'contacted' THEN 'sales' WHEN 'meeting_booked' THEN 'sales' WHEN 'won' THEN 'sales'
        WHEN 'not_a_fit' THEN 'nobody' ELSE 'nurture' END,
    next_at = CASE outcome
        WHEN 'contacted' THEN at + 14 * 86400000
        WHEN 'meeting_booked' THEN at + 7 * 86400000
        WHEN 'buying_within_year' THEN CAST(strftime('%s', at / 1000, 'unixepoch', '+9 months') AS INTEGER) * 1000 + at % 1000
        WHEN 'need_unclear' THEN CAST(strftime('%s', at / 1000, 'unixepoch', '+1 months') AS INTEGER) * 1000 + at % 1000
        WHEN 'lost_to_competitor' THEN CAST(strftime('%s', at / 1000, 'unixepoch', '+10 months') AS INTEGER) * 1000 + at % 1000
        WHEN 'won' THEN CAST(strftime('%s', at / 1000, 'unixepoch', '+6 months') AS INTEGER) * 1000 + at % 1000
        ELSE NULL END,
    next_content = CASE outcome
        WHEN 'need_unclear' THEN 'educational' WHEN 'lost_to_competitor' THEN 'renewal'
        WHEN 'not_a_fit' THEN 'nothing' WHEN 'won' THEN 'next_need' ELSE 'top_topic' END,
    next_email = CASE outcome
        WHEN 'contacted' THEN 0 WHEN 'meeting_booked' THEN 0 WHEN 'not_a_fit' THEN 0 ELSE 1 END,
    next_tag = CASE outcome
        WHEN 'contacted' THEN 'in_sales' WHEN 'meeting_booked' THEN 'in_sales'
        WHEN 'lost_to_competitor' THEN 'lost' WHEN 'not_a_fit' THEN 'not_a_fit'
        WHEN 'won' THEN 'customer' ELSE 'nurture' END;

-- The due list reads the latest outcome of each lead whose next contact has come.
CREATE INDEX lead_feedback_next ON lead_feedback (next_at);
