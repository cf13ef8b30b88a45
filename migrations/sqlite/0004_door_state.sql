-- Door state versions and live-page indexes.
--
-- A door decision depends on an event's rooms, sessions, signing keys and badge serials.
-- App instances keep those in memory; `door_version` is bumped by these triggers in the
-- same transaction as any change to them, so one cheap read inside the scan transaction
-- tells an instance whether its copy is still current, whoever made the change.

ALTER TABLE events ADD COLUMN door_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER rooms_door_insert AFTER INSERT ON rooms BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = NEW.event_id;
END;
CREATE TRIGGER rooms_door_update AFTER UPDATE ON rooms BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id IN (OLD.event_id, NEW.event_id);
END;
CREATE TRIGGER rooms_door_delete AFTER DELETE ON rooms BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = OLD.event_id;
END;

CREATE TRIGGER sessions_door_insert AFTER INSERT ON sessions BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = NEW.event_id;
END;
CREATE TRIGGER sessions_door_update AFTER UPDATE ON sessions BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id IN (OLD.event_id, NEW.event_id);
END;
CREATE TRIGGER sessions_door_delete AFTER DELETE ON sessions BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = OLD.event_id;
END;

CREATE TRIGGER event_keys_door_insert AFTER INSERT ON event_keys BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = NEW.event_id;
END;
CREATE TRIGGER event_keys_door_update AFTER UPDATE ON event_keys BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id IN (OLD.event_id, NEW.event_id);
END;
CREATE TRIGGER event_keys_door_delete AFTER DELETE ON event_keys BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = OLD.event_id;
END;

-- Registrations update attendees all the time; only a new badge serial matters to doors.
CREATE TRIGGER attendees_door_serial AFTER UPDATE OF badge_serial, event_id ON attendees
WHEN OLD.badge_serial IS NOT NEW.badge_serial OR OLD.event_id IS NOT NEW.event_id BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id IN (OLD.event_id, NEW.event_id);
END;
CREATE TRIGGER attendees_door_delete AFTER DELETE ON attendees BEGIN
    UPDATE events SET door_version = door_version + 1 WHERE id = OLD.event_id;
END;

-- The double-scan check reads only accepted scans of an attendee in a session; with this
-- index it never touches the rows of the duplicates and refusals beside them.
CREATE INDEX scans_accepted ON scans (attendee_id, session_id, direction, scanned_at)
    WHERE decision = 'accepted';

-- The live operations page: recent scans of an event by scan time, and the latest refusals.
CREATE INDEX scans_event_scanned ON scans (event_id, scanned_at);
CREATE INDEX scans_event_refused ON scans (event_id, received_at) WHERE decision = 'refused';
