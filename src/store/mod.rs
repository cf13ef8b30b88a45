//! The storage seam: the only place SQL lives, with one backend per database.
//!
//! Statements are written once, in SQL both SQLite and PostgreSQL accept (`$n` parameters,
//! `ON CONFLICT`, `RETURNING`, times as unix milliseconds). `on_pool!`, `on_writer!`,
//! `on_tx!` and `in_tx!` compile each statement against both drivers; a type mismatch on the
//! Rust side is a compile error for both, while the SQL text itself is checked by running
//! the one behavioural suite against both databases.
//!
//! Where the databases differ, the difference is written in one of two ways, and
//! `grep -rnE 'Sql \{|(Sqlite|Postgres)\(' src/store` lists every one: a statement whose text differs is a
//! `Sql` value (its two texts side by side), and a sequence of statements that differs (binary
//! `COPY` of leads, the campaign claim's read-back) is a `match` on the `Pool` or `Tx`
//! variant. Connection set-up and migrations live in `sqlite.rs` and `postgres.rs`; the one
//! transaction type, `Tx`, in `tx.rs`.

mod accounts;
mod attendees;
mod bulk;
mod campaigns;
mod dashboard;
mod data_pool;
mod door;
mod events;
mod leads;
pub mod list_order;
mod mail_queue;
pub mod postgres;
mod rate_limits;
pub mod sqlite;
mod statistics;
mod tx;

pub use accounts::Accounts;
pub use accounts::staff::StaffAccount;
pub use accounts::users::{NewUser, UserRecord};
pub use attendees::Attendees;
pub use attendees::erasure::{Erased, ErasureCounts, ErasureInput, erased_address};
pub use attendees::export::{
    BadgeMailExport, CampaignSendExport, EngagementExport, FeedbackExport, ScanExport,
};
pub use attendees::records::{
    AttendeeListRow, AttendeeRecord, AttendeeSummary, BadgeRecord, ConsentRecord, NewBadge,
    OnExisting, RegisterOptions, RegistrationOutcome,
};
pub use attendees::self_service::SELF_SERVICE_SOURCE;
pub use bulk::{BulkAttendee, BulkLoad, BulkScan};
pub use campaigns::Campaigns;
pub use campaigns::campaign::{CampaignProgress, CampaignRecord, CampaignSettings, ReportLine};
pub use campaigns::engagement::Engagement;
pub use campaigns::send_ledger::{ClaimedSend, LedgerRow, SendOutcome};
pub use campaigns::suppression::{BounceOutcome, BounceReport, UNSUBSCRIBE_WORDING};
pub use dashboard::Dashboard;
pub use data_pool::DataPool;
pub use data_pool::identity::{
    CompanyRecord, MemberRow, PersonEvent, PersonRecord, Resolution, Unresolved,
};
pub use door::Door;
pub use door::devices::DeviceRecord;
pub use door::kiosk_sync::{KioskRoom, KioskSession};
pub use door::live::{LiveAccepted, LiveRefusal};
pub use door::scan_write::{AcceptedScan, DeviceContact, GroupReads, NewScan, ScanWrite};
pub use door::scans::{ScanRow, ScanVerdict};
pub use events::Events;
pub use events::keys::StoredKey;
pub use events::programme::{EventRecord, ImportSummary, ts};
pub use leads::Leads;
pub use leads::deadlines::{OverdueLead, StepKey, StepRecipient, StepRecord};
pub use leads::elsewhere::{PoolInterest, PoolInterests};
pub use leads::feedback::{DueFollowUp, DueFor, FeedbackRecord};
pub use leads::inputs::{LeadAttendee, LeadScan, LeadSession, unpack_scans};
pub use leads::lists::{LeadFilter, LeadLine, LeadOwner, OwnedLeadLine, OwnerFilter};
pub use leads::live::{AlertRecord, LiveBefore, LiveLeadRow, LivePerson, NewAlert};
pub use leads::report::{Attendance, TopicName};
pub use leads::stored::{
    ExportLeadRow, LeadBuildRecord, LeadRow, LeadSummary, STALE_BUILD_MS, StoredLead,
};
pub use leads::write::{INSERT_CHUNK as LEAD_INSERT_CHUNK, LeadWrite};
pub use mail_queue::MailJob;
pub use mail_queue::MailQueue;
pub use rate_limits::RateLimits;
pub use rate_limits::WindowHits;

use sqlx::PgPool;

/// What went wrong in storage, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A column the row type could not read (a choice the list does not know, say) is stored
/// data gone wrong, reported once here, naming the column and what it held.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::Corrupt(format!("column {index}: {source}"))
            }
            e => StoreError::Database(e),
        }
    }
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err("database URL must start with sqlite:// or postgres://".into())
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(sqlite::Pools),
    Postgres(PgPool),
}

impl Pool {
    /// The pool itself, for the macros, which take it from the `Store` and from its handles
    /// (which hold a reference) alike.
    pub(crate) fn of(pool: &Pool) -> &Pool {
        pool
    }
}

/// One statement whose text differs between the databases, for speed or for what only one
/// of them has; every such statement is one of these.
struct Sql {
    sqlite: &'static str,
    postgres: &'static str,
}

impl Sql {
    /// The text for the store's database.
    fn text(&self, pool: &Pool) -> &'static str {
        match pool {
            Pool::Sqlite(_) => self.sqlite,
            Pool::Postgres(_) => self.postgres,
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
}

/// Runs a read-only `$body` with `$p` bound to whichever pool is configured; with a `Sql`
/// statement, `$sql` is bound to its text for that database.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $crate::store::Pool::of(&$store.pool) {
            $crate::store::Pool::Sqlite(pools) => {
                let $p = &pools.read;
                $body
            }
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
    ($store:expr, $stmt:expr, ($p:ident, $sql:ident) => $body:expr) => {
        match $crate::store::Pool::of(&$store.pool) {
            $crate::store::Pool::Sqlite(pools) => {
                let $p = &pools.read;
                let $sql = $stmt.sqlite;
                $body
            }
            $crate::store::Pool::Postgres($p) => {
                let $sql = $stmt.postgres;
                $body
            }
        }
    };
}

/// Runs a single writing statement `$body` with `$p` bound to the pool writers use; with a
/// `Sql` statement, `$sql` is bound to its text for that database.
macro_rules! on_writer {
    ($store:expr, $p:ident => $body:expr) => {
        match $crate::store::Pool::of(&$store.pool) {
            $crate::store::Pool::Sqlite(pools) => {
                let $p = &pools.write;
                $body
            }
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
    ($store:expr, $stmt:expr, ($p:ident, $sql:ident) => $body:expr) => {
        match $crate::store::Pool::of(&$store.pool) {
            $crate::store::Pool::Sqlite(pools) => {
                let $p = &pools.write;
                let $sql = $stmt.sqlite;
                $body
            }
            $crate::store::Pool::Postgres($p) => {
                let $sql = $stmt.postgres;
                $body
            }
        }
    };
}

pub(crate) use on_pool;
pub(crate) use on_writer;
pub(crate) use tx::{Tx, in_tx, on_tx};

impl Store {
    /// Connects to the database named by `url`, creating an SQLite file if needed, and
    /// brings the schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Store> {
        let store = Store::connect_without_migrating(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn connect_without_migrating(url: &str, max_connections: u32) -> StoreResult<Store> {
        let backend = Backend::from_url(url).map_err(StoreError::Conflict)?;
        let pool = match backend {
            Backend::Sqlite => Pool::Sqlite(sqlite::connect(url, max_connections).await?),
            Backend::Postgres => Pool::Postgres(postgres::connect(url, max_connections).await?),
        };
        Ok(Store { pool })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Whether a long write transaction keeps other writers waiting until it ends: true on
    /// SQLite (one writer at a time), false on PostgreSQL (row locks).
    pub fn writers_queue(&self) -> bool {
        matches!(self.pool, Pool::Sqlite(_))
    }

    /// Applies pending migrations of this backend (on SQLite, of the live file too).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(pools) => {
                sqlite::migrate_live(pools).await?;
                sqlite::move_live_rows(pools).await?;
                sqlite::MIGRATOR.run(&pools.write).await?;
                sqlite::drop_erased_live(pools).await?;
            }
            Pool::Postgres(p) => postgres::MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// Applies pending migrations up to and including `version` only: for staged upgrades
    /// and for testing that data written by an older schema survives the newer ones.
    pub async fn migrate_up_to(&self, version: i64) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(pools) => {
                sqlite::migrate_live(pools).await?;
                sqlite::MIGRATOR.run_to(version, &pools.write).await?
            }
            Pool::Postgres(p) => postgres::MIGRATOR.run_to(version, p).await?,
        }
        Ok(())
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pools) => {
                pools.write.close().await;
                pools.live.close().await;
                pools.read.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// Turns a unique-constraint violation into a `Conflict` with a message for people.
pub(crate) fn conflict_on_unique(e: sqlx::Error, message: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(message.to_owned())
        }
        _ => StoreError::from(e),
    }
}
