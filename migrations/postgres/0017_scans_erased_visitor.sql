-- The dashboard counts the people of an event who were scanned in, erased people too: their
-- scans carry a visitor number instead of the attendee (migration 0013). Everyone else is
-- counted by probing `scans_accepted` once per attendee; without this index the erased
-- part read every scan of the event (2,000,000 at a large one) on each dashboard view.
-- Door scans are stored without a visitor, so this partial index costs them nothing; only
-- an erasure adds entries, one per scan of the erased person.
CREATE INDEX scans_erased_visitor ON scans (event_id, visitor)
    WHERE visitor IS NOT NULL AND decision = 'accepted';
