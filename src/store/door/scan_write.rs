//! Writing a group of door scans in one transaction, with one statement per step whatever
//! the group's size.
//!
//! A group can hold thousands of scans from hundreds of devices. Each step sends the whole
//! group as one JSON array parameter that the database unpacks (`json_each` in SQLite,
//! `json_array_elements` in PostgreSQL), so every step is one prepared statement of one
//! shape: no per-scan round trips, no statement text that varies with the group's size.
//! Reads that can return many rows send them back as one JSON array in one row, and writes
//! return only their row counts: the SQLite driver hands each row over between threads on
//! its own, which cost more than the statements themselves. That packing and unpacking, and
//! the event lock each group takes first, are the only SQL that differs between the
//! backends, so each statement is written in both dialects side by side.

use super::Door;
use crate::domain::{
    dashboard::Decision,
    door::scan::{Direction, Refusal},
};
use crate::store::{ScanVerdict, Sql, StoreResult, Tx, on_tx};
use serde::Serialize;

/// A scan fully decided, ready to be stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewScan<'a> {
    pub device_id: i64,
    pub nonce: &'a str,
    /// The badge text as scanned, cut to a sane length.
    pub badge: &'a str,
    pub attendee_id: Option<i64>,
    pub room_id: Option<i64>,
    pub session_id: Option<i64>,
    pub direction: Direction,
    pub device_time: i64,
    pub scanned_at: i64,
    pub received_at: i64,
    pub decision: Decision,
    pub reason: Option<Refusal>,
}

/// What a device reported about itself with a request.
#[derive(Debug, Clone)]
pub struct DeviceContact<'a> {
    pub device_id: i64,
    /// The hash of the token the request came with; `None` for the file-import device.
    pub token_hash: Option<&'a str>,
    pub app_version: &'a str,
    pub queue_size: i64,
    pub clock_skew_ms: i64,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    device_id: i64,
    #[sqlx(flatten)]
    verdict: ScanVerdict,
}

/// An accepted scan already stored: attendee, session, direction, scan time (unix ms).
pub type AcceptedScan = (i64, i64, String, i64);

/// What `ScanWrite::group_reads` found.
pub struct GroupReads {
    pub door_version: i64,
    pub accepted: Vec<AcceptedScan>,
    /// (attendee id, full name).
    pub names: Vec<(i64, String)>,
}

/// One open scan-group transaction. Dropping it without `commit` rolls everything back.
pub struct ScanWrite {
    tx: Tx,
}

// Orders the scan groups of one event across app instances: whoever holds the event's lock
// decides and commits before the next group reads, so two instances cannot both accept one
// badge. PostgreSQL runs the transaction at READ COMMITTED, where each statement reads as of
// its own start: taken in a statement of its own, first, the lock makes every later read see
// the groups committed before it. It is released at commit or rollback. SQLite has one
// writer, and `BEGIN IMMEDIATE` has taken its lock already, so its statement does nothing.
// The key is the two-number form (a key space of its own, apart from the one-number form that
// migrations lock with): [door scans, event id], the id wrapped to 32 bits; two events that
// shared a key would only wait for each other.
// On PostgreSQL the same statement also tells the planner, for this transaction only, not to
// read whole tables: every statement of a group reads a few rows per scan by key, and
// without fresh statistics (right after a bulk load or a restore, before autovacuum analysed
// the table) it would otherwise take the table for small and read all of it. The reads of
// `scans` go one key at a time besides (`LATERAL ... OFFSET 0` in GROUP_READS and STORED), so
// no estimate can turn them into a join over the whole table.
const LOCK_EVENT: Sql = Sql {
    sqlite: "SELECT $1, $2",
    postgres: "SELECT pg_advisory_xact_lock($1, $2), set_config('enable_seqscan', 'off', true)",
};

/// The first number of `LOCK_EVENT`'s key: "door" in ASCII.
const DOOR_LOCK_CLASS: i32 = 0x646f_6f72;

// [device_id, app_version, queue_size, clock_skew_ms, token_hash]
const TOUCH_DEVICES: Sql = Sql {
    sqlite: "UPDATE devices SET last_seen_at = $1, app_version = j.value->>1, queue_size = j.value->>2,
               clock_skew_ms = j.value->>3
             FROM jsonb_each($2) AS j
             WHERE devices.id = j.value->>0 AND devices.token_hash IS j.value->>4 AND devices.revoked_at IS NULL",
    postgres: "UPDATE devices d SET last_seen_at = $1, app_version = j->>1, queue_size = (j->>2)::bigint,
                 clock_skew_ms = (j->>3)::bigint
               FROM json_array_elements($2::json) AS j
               WHERE d.id = (j->>0)::bigint AND d.token_hash IS NOT DISTINCT FROM (j->>4) AND d.revoked_at IS NULL",
};

// [device_id, app_version, queue_size, clock_skew_ms, token_hash]; only when some contact
// matched no device.
const LIVE_DEVICES: Sql = Sql {
    sqlite: "SELECT d.id, d.token_hash FROM jsonb_each($1) AS j
             JOIN devices d ON d.id = j.value->>0 AND d.token_hash IS j.value->>4 AND d.revoked_at IS NULL",
    postgres: "SELECT d.id, d.token_hash FROM json_array_elements($1::json) AS j
               JOIN devices d ON d.id = (j->>0)::bigint AND d.token_hash IS NOT DISTINCT FROM (j->>4)
                 AND d.revoked_at IS NULL",
};

// What a group is decided with, in one row: the door version, the stored accepted scans of
// [attendee_id, session_id] pairs ($2) as a JSON array of AcceptedScan, and the names of
// attendees ($3) as a JSON array of [id, name]. CROSS JOIN keeps SQLite going from each id
// to its row.
const GROUP_READS: Sql = Sql {
    sqlite: "SELECT (SELECT door_version FROM events WHERE id = $1),
               (SELECT json_group_array(json_array(s.attendee_id, s.session_id, s.direction, s.scanned_at))
                FROM jsonb_each($2) AS j
                JOIN scans s INDEXED BY scans_accepted
                  ON s.attendee_id = j.value->>0 AND s.session_id = j.value->>1
                WHERE s.decision = 'accepted'),
               (SELECT json_group_array(json_array(a.id, a.name))
                FROM json_each($3) AS j CROSS JOIN attendees a ON a.id = j.value
                WHERE a.event_id = $1)",
    postgres: "SELECT (SELECT door_version FROM events WHERE id = $1),
                 (SELECT COALESCE(json_agg(json_build_array(s.attendee_id, s.session_id, s.direction, s.scanned_at)), '[]')::text
                  FROM json_array_elements($2::json) AS j
                  CROSS JOIN LATERAL (SELECT k.attendee_id, k.session_id, k.direction, k.scanned_at
                    FROM scans k WHERE k.attendee_id = (j->>0)::bigint AND k.session_id = (j->>1)::bigint
                      AND k.decision = 'accepted' OFFSET 0) AS s),
                 (SELECT COALESCE(json_agg(json_build_array(a.id, a.name)), '[]')::text
                  FROM json_array_elements_text($3::json) AS j
                  JOIN attendees a ON a.id = j::bigint WHERE a.event_id = $1)",
};

// NewScan as an object per scan.
const INSERT: Sql = Sql {
    sqlite: "INSERT INTO scans (event_id, device_id, nonce, badge, attendee_id, room_id, session_id, direction,
               device_time, scanned_at, received_at, decision, reason)
             SELECT $1, j.value->>'device_id', j.value->>'nonce', j.value->>'badge', j.value->>'attendee_id',
               j.value->>'room_id', j.value->>'session_id', j.value->>'direction', j.value->>'device_time',
               j.value->>'scanned_at', j.value->>'received_at', j.value->>'decision', j.value->>'reason'
             FROM jsonb_each($2) AS j WHERE true
             ON CONFLICT (device_id, nonce) DO NOTHING",
    postgres: "INSERT INTO scans (event_id, device_id, nonce, badge, attendee_id, room_id, session_id, direction,
                 device_time, scanned_at, received_at, decision, reason)
               SELECT $1, r.device_id, r.nonce, r.badge, r.attendee_id, r.room_id, r.session_id, r.direction,
                 r.device_time, r.scanned_at, r.received_at, r.decision, r.reason
               FROM json_to_recordset($2::json) AS r(device_id bigint, nonce text, badge text, attendee_id bigint,
                 room_id bigint, session_id bigint, direction text, device_time bigint, scanned_at bigint,
                 received_at bigint, decision text, reason text)
               ON CONFLICT (device_id, nonce) DO NOTHING",
};

// [device_id, nonce]
const STORED: Sql = Sql {
    sqlite: "SELECT s.device_id, s.nonce, s.decision, s.reason, s.session_id, s.attendee_id
             FROM jsonb_each($1) AS j JOIN scans s ON s.device_id = j.value->>0 AND s.nonce = j.value->>1",
    postgres: "SELECT s.device_id, s.nonce, s.decision, s.reason, s.session_id, s.attendee_id
               FROM json_array_elements($1::json) AS j
               CROSS JOIN LATERAL (SELECT k.device_id, k.nonce, k.decision, k.reason, k.session_id,
                 k.attendee_id FROM scans k WHERE k.device_id = (j->>0)::bigint AND k.nonce = (j->>1)
                 OFFSET 0) AS s",
};

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("scan rows serialise")
}

/// Rows the database sent back as one JSON array: one row to fetch instead of one per row.
fn parse<T: serde::de::DeserializeOwned>(rows: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(rows).map_err(|e| sqlx::Error::Decode(e.into()))
}

impl Door<'_> {
    /// Opens the write transaction of one scan group of `event_id` and waits for the event's
    /// lock (SQLite: the writer connection with the write lock taken at once; PostgreSQL: the
    /// event's transaction-scoped advisory lock), so that groups of one event are decided one
    /// after the other whichever app instance writes them.
    pub async fn begin_scan_write(self, event_id: i64) -> StoreResult<ScanWrite> {
        let mut w = ScanWrite {
            tx: Tx::begin(self.pool).await?,
        };
        // Wrapping is intended: see LOCK_EVENT.
        let key = event_id as i32;
        on_tx!(&mut w.tx, LOCK_EVENT, (c, sql) =>
            sqlx::query(sql).bind(DOOR_LOCK_CLASS).bind(key).execute(c).await.map(|_| ()))?;
        Ok(w)
    }
}

impl ScanWrite {
    /// The event's door version as this transaction sees it (-1 for no such event), the
    /// stored accepted scans of these (attendee, session) pairs, and (id, name) of those of
    /// `ids` who are attendees of the event: one statement.
    pub async fn group_reads(
        &mut self,
        event_id: i64,
        keys: &[(i64, i64)],
        ids: &[i64],
    ) -> StoreResult<GroupReads> {
        let (keys, ids) = (json(&keys), json(&ids));
        let (version, accepted, names): (Option<i64>, String, String) = on_tx!(&mut self.tx, GROUP_READS, (c, sql) =>
                sqlx::query_as(sql).bind(event_id).bind(&keys).bind(&ids).fetch_one(c).await)?;
        Ok(GroupReads {
            door_version: version.unwrap_or(-1),
            accepted: parse(&accepted)?,
            names: parse(&names)?,
        })
    }

    /// Records each device's contact and returns (id, token hash) of the devices that still
    /// hold the token they presented and are not revoked; the others must not store anything.
    pub async fn touch_devices(
        &mut self,
        contacts: &[DeviceContact<'_>],
        now_ms: i64,
    ) -> StoreResult<Vec<(i64, Option<String>)>> {
        let rows: Vec<_> = contacts
            .iter()
            .map(|c| {
                (
                    c.device_id,
                    c.app_version,
                    c.queue_size,
                    c.clock_skew_ms,
                    c.token_hash,
                )
            })
            .collect();
        let rows = json(&rows);
        let touched = on_tx!(&mut self.tx, TOUCH_DEVICES, (c, sql) =>
            sqlx::query(sql).bind(now_ms).bind(&rows).execute(c).await.map(|r| r.rows_affected()))?;
        if touched == contacts.len() as u64 {
            return Ok(contacts
                .iter()
                .map(|c| (c.device_id, c.token_hash.map(str::to_owned)))
                .collect());
        }
        let live = on_tx!(&mut self.tx, LIVE_DEVICES, (c, sql) =>
            sqlx::query_as(sql).bind(&rows).fetch_all(c).await)?;
        Ok(live)
    }

    /// Stores the scans whose (device, nonce) is new and returns how many those were; a pair
    /// that is already stored is left as it is.
    pub async fn insert_scans(&mut self, event_id: i64, scans: &[NewScan<'_>]) -> StoreResult<u64> {
        if scans.is_empty() {
            return Ok(0);
        }
        let rows = json(&scans);
        let done = on_tx!(&mut self.tx, INSERT, (c, sql) =>
            sqlx::query(sql).bind(event_id).bind(&rows).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(done)
    }

    /// The verdicts stored earlier for these (device, nonce) pairs, with their device.
    pub async fn stored_verdicts(
        &mut self,
        pairs: &[(i64, &str)],
    ) -> StoreResult<Vec<(i64, ScanVerdict)>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let pairs = json(&pairs);
        let rows: Vec<StoredRow> = on_tx!(&mut self.tx, STORED, (c, sql) =>
            sqlx::query_as(sql).bind(&pairs).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|r| (r.device_id, r.verdict)).collect())
    }

    /// Undoes the transaction now and lets go of the event's lock, so that a group another
    /// instance has waiting goes ahead without waiting for a dropped transaction's cleanup.
    pub async fn rollback(self) -> StoreResult<()> {
        Ok(self.tx.rollback().await?)
    }

    pub async fn commit(self) -> StoreResult<()> {
        Ok(self.tx.commit().await?)
    }
}
