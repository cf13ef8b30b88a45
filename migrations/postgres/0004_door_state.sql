-- Door state versions and live-page indexes.
--
-- A door decision depends on an event's rooms, sessions, signing keys and badge serials.
-- App instances keep those in memory; `door_version` is bumped by these triggers in the
-- same transaction as any change to them, so one cheap read inside the scan transaction
-- tells an instance whether its copy is still current, whoever made the change.

ALTER TABLE events ADD COLUMN door_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_door_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE events SET door_version = door_version + 1 WHERE id = NEW.event_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE events SET door_version = door_version + 1 WHERE id = OLD.event_id;
    ELSE
        UPDATE events SET door_version = door_version + 1 WHERE id IN (OLD.event_id, NEW.event_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rooms_door AFTER INSERT OR UPDATE OR DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION bump_door_version();
CREATE TRIGGER sessions_door AFTER INSERT OR UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION bump_door_version();
CREATE TRIGGER event_keys_door AFTER INSERT OR UPDATE OR DELETE ON event_keys
    FOR EACH ROW EXECUTE FUNCTION bump_door_version();
-- Registrations update attendees all the time; only a new badge serial matters to doors.
CREATE TRIGGER attendees_door_serial AFTER UPDATE OF badge_serial, event_id ON attendees
    FOR EACH ROW WHEN (OLD.badge_serial IS DISTINCT FROM NEW.badge_serial OR OLD.event_id IS DISTINCT FROM NEW.event_id)
    EXECUTE FUNCTION bump_door_version();
CREATE TRIGGER attendees_door_delete AFTER DELETE ON attendees
    FOR EACH ROW EXECUTE FUNCTION bump_door_version();

-- The double-scan check reads only accepted scans of an attendee in a session; with this
-- index it never touches the rows of the duplicates and refusals beside them.
CREATE INDEX scans_accepted ON scans (attendee_id, session_id, direction, scanned_at)
    WHERE decision = 'accepted';

-- The live operations page: recent scans of an event by scan time, and the latest refusals.
CREATE INDEX scans_event_scanned ON scans (event_id, scanned_at);
CREATE INDEX scans_event_refused ON scans (event_id, received_at) WHERE decision = 'refused';
