-- Every index on `scans` costs each door scan an insert. `scans_event_time`
-- `(event_id, received_at)` serves no query: recent scans are read by scan time
-- (`scans_event_scanned`) and the latest refusals by `scans_event_refused`.
DROP INDEX scans_event_time;
