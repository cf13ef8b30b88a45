//! Registration POSTs over HTTP on SQLite with 64 concurrent clients: throughput and latency.
//!
//! Runs the real server (release build, SQLite file in a temporary directory, rate limit off,
//! background mailer off so only registration is measured) and 64 clients in one process.
//! `cargo bench --bench registration_http [-- SECONDS CLIENTS]`

use std::time::{Duration, Instant};

use badgetrail::{app::Application, config::Settings, context::Context, demo};
use secrecy::SecretString;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let clients: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(64);

    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut s = Settings {
        database_url: SecretString::from(format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        )),
        public_url: format!("http://127.0.0.1:{port}"),
        registration_per_minute: 0,
        mail_poll_ms: 0,
        ..Settings::default()
    };
    s.mail.outbox_dir = dir.path().join("outbox");
    let ctx = Context::build(s).await?;
    ctx.store
        .events()
        .import_programme(&demo::programme::cloud_summit(), jiff::Timestamp::now())
        .await?;
    tokio::spawn(
        Application::with_listener(ctx.clone(), listener).run_until_stopped(std::future::pending()),
    );

    let topics: Vec<String> = demo::programme::cloud_summit()
        .topics
        .iter()
        .map(|t| t.slug.to_string())
        .collect();
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let people = demo::people::synthetic(clients * 20_000, &topic_refs, 1);
    let people = std::sync::Arc::new(people);
    let url = format!(
        "http://127.0.0.1:{port}/e/{}/register",
        demo::programme::SLUG
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();

    let mut tasks = Vec::new();
    for c in 0..clients {
        let url = url.clone();
        let people = people.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let html = client.get(&url).send().await.unwrap().text().await.unwrap();
            let marker = "name=\"csrf\" value=\"";
            let at = html.find(marker).unwrap() + marker.len();
            let csrf = html[at..at + 43].to_owned();
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut i = c;
            while Instant::now() < deadline {
                let p = &people[i % people.len()];
                i += clients;
                let mut form: Vec<(&str, String)> = vec![
                    ("csrf", csrf.clone()),
                    ("email", p.email.clone()),
                    ("name", p.name.clone()),
                    ("company", p.answers.company.clone()),
                    ("job_title", p.answers.job_title.clone()),
                    ("decision_role", p.answers.decision_role.clone()),
                    ("purchase_stage", p.answers.purchase_stage.clone()),
                    ("industry", p.answers.industry.clone()),
                    ("company_size", p.answers.company_size.clone()),
                    ("country", p.answers.country.clone()),
                    ("phone", p.phone.clone()),
                ];
                for t in &p.interests {
                    form.push(("interests", t.clone()));
                }
                if p.marketing_consent {
                    form.push(("marketing_consent", "yes".into()));
                }
                let t0 = Instant::now();
                let r = client.post(&url).form(&form).send().await;
                let ok = matches!(&r, Ok(r) if r.status() == 303);
                latencies.push(t0.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    let (_, total) = ctx
        .store
        .attendees()
        .list_attendees(
            ctx.store
                .events()
                .event_by_slug(demo::programme::SLUG)
                .await?
                .unwrap()
                .id,
            "",
            1,
            0,
        )
        .await?;
    println!(
        "registration_http: {clients} clients, {:.1} s, SQLite",
        elapsed.as_secs_f64()
    );
    println!(
        "  requests {}  errors {errors}  stored attendees {total}  throughput {:.0}/s",
        all.len(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.90).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    Ok(())
}
