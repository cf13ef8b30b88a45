-- The slug of each lead's likely next need (domain::next_need), also inside the package: kept
-- in a column of its own so that a follow-up email can add that topic's content as a second
-- block without reading the package of every recipient.
ALTER TABLE leads ADD COLUMN next_need TEXT;
