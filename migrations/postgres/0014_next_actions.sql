-- What each sales outcome leads to, decided by the event's playbook when it is recorded:
-- who works the person next, from when, with what, and whether follow-up email may reach them.
ALTER TABLE lead_feedback ADD COLUMN next_owner TEXT NOT NULL DEFAULT 'nurture';
ALTER TABLE lead_feedback ADD COLUMN next_at BIGINT;
ALTER TABLE lead_feedback ADD COLUMN next_content TEXT NOT NULL DEFAULT 'top_topic';
ALTER TABLE lead_feedback ADD COLUMN next_email BOOLEAN NOT NULL DEFAULT TRUE;
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
        WHEN 'buying_within_year' THEN CAST(EXTRACT(EPOCH FROM ((to_timestamp(at / 1000.0) AT TIME ZONE 'UTC') + INTERVAL '9 months')) * 1000 AS BIGINT)
        WHEN 'need_unclear' THEN CAST(EXTRACT(EPOCH FROM ((to_timestamp(at / 1000.0) AT TIME ZONE 'UTC') + INTERVAL '1 months')) * 1000 AS BIGINT)
        WHEN 'lost_to_competitor' THEN CAST(EXTRACT(EPOCH FROM ((to_timestamp(at / 1000.0) AT TIME ZONE 'UTC') + INTERVAL '10 months')) * 1000 AS BIGINT)
        WHEN 'won' THEN CAST(EXTRACT(EPOCH FROM ((to_timestamp(at / 1000.0) AT TIME ZONE 'UTC') + INTERVAL '6 months')) * 1000 AS BIGINT)
        ELSE NULL END,
    next_content = CASE outcome
        WHEN 'need_unclear' THEN 'educational' WHEN 'lost_to_competitor' THEN 'renewal'
        WHEN 'not_a_fit' THEN 'nothing' WHEN 'won' THEN 'next_need' ELSE 'top_topic' END,
    next_email = CASE outcome
        WHEN 'contacted' THEN FALSE WHEN 'meeting_booked' THEN FALSE WHEN 'not_a_fit' THEN FALSE ELSE TRUE END,
    next_tag = CASE outcome
        WHEN 'contacted' THEN 'in_sales' WHEN 'meeting_booked' THEN 'in_sales'
        WHEN 'lost_to_competitor' THEN 'lost' WHEN 'not_a_fit' THEN 'not_a_fit'
        WHEN 'won' THEN 'customer' ELSE 'nurture' END;

-- The due list reads the latest outcome of each lead whose next contact has come.
CREATE INDEX lead_feedback_next ON lead_feedback (next_at);
