//! Set-up shared by the data pool benchmarks: a database (an SQLite file, or
//! `BENCH_DATABASE_URL`), an earlier event and the sample event, and registrations for the
//! bulk loader.

use badgetrail::{
    config::Settings,
    context::Context,
    demo,
    domain::{attendee::RegistrationInput, slug::Slug},
    store::{BulkAttendee, EventRecord},
};
use jiff::Timestamp;
use secrecy::SecretString;

/// The database with its two events.
pub struct TwoEvents {
    pub ctx: Context,
    /// The database URL, to tell the backends apart.
    pub url: String,
    /// `earlier-2025`, a copy of the sample programme.
    pub earlier: EventRecord,
    /// The sample event.
    pub later: EventRecord,
    /// The sample event's topic slugs.
    pub topics: Vec<String>,
    /// Holds the SQLite file while the benchmark runs.
    _dir: tempfile::TempDir,
}

impl TwoEvents {
    pub async fn new() -> anyhow::Result<TwoEvents> {
        let dir = tempfile::tempdir()?;
        let url = std::env::var("BENCH_DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
        let s = Settings {
            database_url: SecretString::from(url.clone()),
            database_max_connections: 8,
            mail_poll_ms: 0,
            ..Settings::default()
        };
        let ctx = Context::build(s).await?;
        let now = Timestamp::now();
        let mut earlier = demo::programme::cloud_summit();
        earlier.event.slug = Slug::parse("earlier-2025").map_err(anyhow::Error::msg)?;
        ctx.store.events().import_programme(&earlier, now).await?;
        let p = demo::programme::cloud_summit();
        ctx.store.events().import_programme(&p, now).await?;
        let event = |slug: &'static str| {
            let ctx = &ctx;
            async move {
                ctx.store
                    .events()
                    .event_by_slug(slug)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("{slug} vanished"))
            }
        };
        let earlier = event("earlier-2025").await?;
        let later = event(demo::programme::SLUG).await?;
        let topics = p.topics.iter().map(|t| t.slug.to_string()).collect();
        Ok(TwoEvents {
            ctx,
            url,
            earlier,
            later,
            topics,
            _dir: dir,
        })
    }

    pub fn backend(&self) -> &'static str {
        if self.url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }
}

/// A synthetic registration as the bulk loader takes it, as `person{i}` at its domain.
pub fn bulk_row(i: usize, r: &RegistrationInput) -> BulkAttendee {
    BulkAttendee {
        email: format!(
            "person{i}@{}",
            r.email.split('@').nth(1).unwrap_or("x.example")
        ),
        name: r.name.clone(),
        answers: r.answers.check().expect("synthetic answers are valid"),
        marketing_consent: r.marketing_consent,
        interests: Vec::new(),
    }
}
