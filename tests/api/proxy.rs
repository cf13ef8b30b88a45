//! Two `serve` processes on one PostgreSQL database behind nginx with round-robin: kiosks scan
//! through the proxy while one instance is killed and nothing is lost, the per-client limits
//! key on the address nginx saw (`trusted_proxy_hops = 1`), and the links `public_url` makes
//! work through the proxy.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    net::IpAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use badgetrail::{
    context::Context, demo, domain::attendee::Registration, door, registration, store::EventRecord,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::support::{
    app::{Db, body_of, cannot_run, demo_event, fresh_database},
    forms::valid_form,
    server_process::{Server, library_context, wait_until_serving},
};

/// Kiosks scanning at once.
const KIOSKS: usize = 4;
/// Scans a kiosk takes between two uploads.
const SCANS_PER_ROUND: usize = 10;
/// The most scans one upload carries, as in the kiosk app.
const BATCH: usize = 50;
/// Registrations per client address and minute.
const PER_MINUTE: usize = 3;
/// How long any one stage may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_lose_no_scan_when_one_dies_and_see_the_real_client() {
    let Some(nginx) = nginx_binary() else {
        cannot_run(
            "nginx is not installed",
            "./scripts/test installs it (Debian: apt-get install nginx)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(Db::Postgres, dir.path()).await else {
        return;
    };
    let [port_a, port_b, port_proxy] = free_ports();
    let proxy = format!("http://127.0.0.1:{port_proxy}");

    // The event and its attendees, made through the library (which also migrates).
    let ctx = library_context(&fresh.url, dir.path()).await;
    let (event, badges) = seed(&ctx).await;

    // Two instances as deployed behind one proxy: the proxy's address is the public one.
    let mut instances = Vec::new();
    for (name, port) in [("a", port_a), ("b", port_b)] {
        let instance_dir = dir.path().join(name);
        std::fs::create_dir(&instance_dir).unwrap();
        let mut more = toml::Table::new();
        more.insert("public_url".into(), proxy.clone().into());
        more.insert("trusted_proxy_hops".into(), 1.into());
        more.insert("registration_per_minute".into(), (PER_MINUTE as i64).into());
        more.insert("mail_poll_ms".into(), 100.into());
        instances.push(Server::start_with(&instance_dir, &fresh.url, port, more));
    }
    let probe = reqwest::Client::new();
    for port in [port_a, port_b] {
        wait_until_serving(&probe, &format!("http://127.0.0.1:{port}")).await;
    }
    let _nginx = Nginx::start(
        &nginx,
        &dir.path().join("nginx"),
        port_proxy,
        [port_a, port_b],
    );
    wait_until_serving(&probe, &proxy).await;

    let badge_link = links_from_public_url_work_through_the_proxy(
        &proxy,
        [&dir.path().join("a"), &dir.path().join("b")],
    )
    .await;
    limits_key_on_the_address_nginx_saw(&proxy, &fresh.url).await;
    // Without a token, the metrics page is for this machine's unforwarded requests only: a
    // proxy on the same machine must not expose it.
    let r = probe.get(format!("{proxy}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404, "the metrics page through the proxy");

    // Kiosks pair and scan through the proxy; instance A dies in the middle of it.
    let mut devices = Vec::new();
    for k in 0..KIOSKS {
        devices.push(pair_through(&ctx, &event, &proxy, k).await);
    }
    let load = Arc::new(Load::default());
    let kiosks: Vec<_> = devices
        .iter()
        .enumerate()
        .map(|(k, (_, token))| {
            tokio::spawn(kiosk(
                proxy.clone(),
                token.clone(),
                k,
                badges.clone(),
                load.clone(),
            ))
        })
        .collect();
    let answered_by = |port: u16| {
        load.answers
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.port == port)
            .count()
    };
    let running = || {
        if let Some(k) = kiosks.iter().position(|k| k.is_finished()) {
            panic!("kiosk {k} stopped before it was told to");
        }
    };
    eventually("both instances answered uploads", || {
        running();
        answered_by(port_a) >= 20 && answered_by(port_b) >= 20
    })
    .await;
    let a = instances.remove(0);
    let pid = a.0.id();
    a.kill_9();
    load.killed.store(true, Ordering::SeqCst);
    eventually("every kiosk had uploads answered after the kill", || {
        running();
        let answers = load.answers.lock().unwrap();
        (0..KIOSKS).all(|k| {
            answers
                .iter()
                .filter(|a| a.kiosk == k && a.sent_after_kill)
                .count()
                >= 10
        })
    })
    .await;
    load.stop.store(true, Ordering::SeqCst);
    for k in kiosks {
        tokio::time::timeout(PATIENCE, k)
            .await
            .expect("the kiosks emptied their queues")
            .expect("a kiosk failed");
    }

    // The proxy noticed the dead instance: an upload failed (and was sent again), or nginx
    // passed one on from A to B. Either way the kill was felt by the traffic.
    let answers = load.answers.lock().unwrap().clone();
    let passed_on = answers.iter().filter(|a| a.passed_on).count();
    let failed = load.failed.load(Ordering::SeqCst);
    assert!(
        failed + passed_on > 0,
        "instance A (pid {pid}) was killed but no upload noticed"
    );
    let late: Vec<_> = answers
        .iter()
        .filter(|a| a.sent_after_kill && a.port != port_b)
        .collect();
    assert!(
        late.is_empty(),
        "after the kill only B can answer: {late:?}"
    );

    // Every scan a kiosk took is stored exactly once: read from the database.
    let taken = load.taken.lock().unwrap().clone();
    let mut stored: HashMap<(usize, String), usize> = HashMap::new();
    for (k, (device_id, _)) in devices.iter().enumerate() {
        for nonce in ctx.store.door().device_nonces(*device_id).await.unwrap() {
            *stored.entry((k, nonce)).or_default() += 1;
        }
    }
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let taken: HashSet<(usize, String)> = taken.into_iter().collect();
    let lost: Vec<_> = taken.iter().filter(|s| !stored.contains_key(*s)).collect();
    assert!(lost.is_empty(), "{} scans lost: {lost:?}", lost.len());
    assert_eq!(
        stored.len(),
        taken.len(),
        "nothing stored that was not taken"
    );

    // The emailed badge link still works through the proxy, whichever turn it is.
    for _ in 0..4 {
        let r = probe.get(&badge_link).send().await.unwrap();
        assert_eq!(r.status(), 200, "{badge_link} with one instance left");
    }
    drop(instances);
    ctx.store.close().await;
}

/// The event, and the badges of 40 attendees.
async fn seed(ctx: &Context) -> (EventRecord, Arc<Vec<String>>) {
    let p = demo::programme::cloud_summit();
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await.unwrap();
    let event = demo_event(&ctx.store).await;
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<Registration> = demo::people::synthetic(40, &topics, 11)
        .iter()
        .map(|i| Registration::parse(i, &topics).unwrap())
        .collect();
    let badges = registration::record(ctx, &event, &people, registration::Source::Demo, false, now)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.token)
        .collect();
    (event, Arc::new(badges))
}

/// Registers through the proxy (with the `Origin` a browser on the public address sends, and
/// nginx passing on the host without its port), then follows the emailed links through it;
/// the badge link.
async fn links_from_public_url_work_through_the_proxy(
    proxy: &str,
    instance_dirs: [&Path; 2],
) -> String {
    let client = client_from("127.0.0.4".parse().unwrap());
    let status = register(&client, proxy, "grace@example.com", None).await;
    assert_eq!(status, 303, "a registration through the proxy");

    let text = eventually_some("the badge email to grace@example.com", || {
        instance_dirs
            .iter()
            .find_map(|d| email_to(&d.join("outbox"), "grace@example.com"))
    })
    .await;
    let link = |part: &str| {
        text.split_whitespace()
            .find(|w| w.contains(part) && w.starts_with("http"))
            .unwrap_or_else(|| panic!("no {part} link in {text}"))
            .to_owned()
    };
    let (badge, manage) = (link("/b/"), link("/me/"));
    for l in [&badge, &manage] {
        assert!(
            l.starts_with(&format!("{proxy}/")),
            "{l} is on the public address"
        );
    }
    let r = client.get(&badge).send().await.unwrap();
    assert_eq!(r.status(), 200, "{badge}");
    assert!(r.text().await.unwrap().contains("Ada Lovelace"));
    let r = client
        .get(format!("{badge}/badge.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let r = client.get(&manage).send().await.unwrap();
    assert_eq!(r.status(), 200, "{manage}");
    assert!(r.text().await.unwrap().contains("grace@example.com"));
    badge
}

/// The registration limit through the proxy, from two clients on their own addresses: one
/// writes a new `X-Forwarded-For` each time and is limited all the same, the other has a limit
/// of its own. The counts in the database are under the clients' addresses, not nginx's.
async fn limits_key_on_the_address_nginx_saw(proxy: &str, db_url: &str) {
    let spoofer = client_from("127.0.0.2".parse().unwrap());
    let mut statuses = Vec::new();
    for i in 0..=PER_MINUTE {
        let spoofed = format!("198.51.100.{i}");
        let email = format!("spoof{i}@example.com");
        statuses.push(register(&spoofer, proxy, &email, Some(&spoofed)).await);
    }
    let mut expected = vec![303; PER_MINUTE];
    expected.push(429);
    assert_eq!(
        statuses, expected,
        "one client, a new forwarded address each time"
    );

    let other = client_from("127.0.0.3".parse().unwrap());
    assert_eq!(
        register(&other, proxy, "other@example.com", None).await,
        303,
        "another client behind the same proxy"
    );

    let pool = sqlx::PgPool::connect(db_url).await.unwrap();
    let counted: Vec<(String, i64)> = sqlx::query_as(
        "SELECT client, SUM(hits)::BIGINT FROM rate_limit_hits WHERE scope = 'registration'
         GROUP BY client ORDER BY client",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let counted: Vec<(&str, i64)> = counted.iter().map(|(c, n)| (c.as_str(), *n)).collect();
    assert_eq!(
        counted,
        [
            ("127.0.0.2", PER_MINUTE as i64 + 1),
            ("127.0.0.3", 1),
            ("127.0.0.4", 1),
        ],
        "registrations counted by client address"
    );
}

/// A browser-like client whose connections come from `local` (any address of 127.0.0.0/8
/// is this machine, so nginx sees each client apart from itself).
fn client_from(local: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local)
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Posts the registration form through the proxy as a browser on the public address would;
/// the status.
async fn register(
    client: &reqwest::Client,
    proxy: &str,
    email: &str,
    forwarded_for: Option<&str>,
) -> u16 {
    let path = format!("{proxy}/e/{}/register", demo::programme::SLUG);
    let html = body_of(client.get(&path)).await;
    let mut form: Vec<(&str, String)> = vec![("csrf", crate::support::forms::extract_csrf(&html))];
    form.extend(valid_form(email));
    let mut request = client.post(&path).header("origin", proxy).form(&form);
    if let Some(f) = forwarded_for {
        request = request.header("x-forwarded-for", f);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The text of the first message to `to` in an outbox, if there is one yet.
fn email_to(outbox: &Path, to: &str) -> Option<String> {
    for entry in std::fs::read_dir(outbox).ok()? {
        let path = entry.ok()?.path();
        let raw = std::fs::read(&path).ok()?;
        let Some(msg) = mail_parser::MessageParser::default().parse(&raw) else {
            continue;
        };
        let addressed = msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .is_some_and(|a| a.eq_ignore_ascii_case(to));
        if addressed {
            return msg.body_text(0).map(|t| t.into_owned());
        }
    }
    None
}

/// Creates a kiosk for the Main Hall door and pairs it through the proxy; its id and token.
async fn pair_through(ctx: &Context, event: &EventRecord, proxy: &str, k: usize) -> (i64, String) {
    let d = door::create_device(
        ctx,
        event,
        Some("Main Hall"),
        &format!("Door {k}"),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{proxy}/api/v1/devices/pair"))
        .json(&json!({ "code": d.pairing_code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "pairing through the proxy");
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (d.device_id, token)
}

/// An upload the server acknowledged.
#[derive(Debug, Clone)]
struct Answer {
    kiosk: usize,
    /// The instance that answered (the last address nginx tried).
    port: u16,
    /// nginx tried another instance first and passed the upload on.
    passed_on: bool,
    /// The upload left the kiosk after instance A was killed.
    sent_after_kill: bool,
}

/// What the kiosks did, shared with the test.
#[derive(Default)]
struct Load {
    /// (kiosk, nonce) of every scan taken.
    taken: Mutex<Vec<(usize, String)>>,
    answers: Mutex<Vec<Answer>>,
    /// Uploads that got no acknowledgement (a 502, a reset): their scans stayed queued.
    failed: AtomicUsize,
    killed: AtomicBool,
    /// Take no more scans; send what is queued and stop.
    stop: AtomicBool,
}

/// One kiosk, as the kiosk app's queue works: every scan is queued with its own nonce, uploads
/// take up to `BATCH` from the front, and only an acknowledged upload leaves the queue, so
/// what failed goes again (with what was scanned meanwhile) until the server has it.
async fn kiosk(proxy: String, token: String, k: usize, badges: Arc<Vec<String>>, load: Arc<Load>) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut queue: VecDeque<Value> = VecDeque::new();
    let mut n = 0usize;
    loop {
        if !load.stop.load(Ordering::SeqCst) {
            for _ in 0..SCANS_PER_ROUND {
                let nonce = format!("k{k}-{n}");
                queue.push_back(json!({
                    "nonce": nonce,
                    "badge": badges[(k * 7 + n) % badges.len()],
                    "device_time": Timestamp::now(),
                    "direction": if n.is_multiple_of(2) { "entry" } else { "exit" },
                }));
                load.taken.lock().unwrap().push((k, nonce));
                n += 1;
            }
        } else if queue.is_empty() {
            return;
        }
        let batch: Vec<Value> = queue.iter().take(BATCH).cloned().collect();
        let sent_after_kill = load.killed.load(Ordering::SeqCst);
        let sent = client
            .post(format!("{proxy}/api/v1/scans"))
            .bearer_auth(&token)
            .json(&json!({
                "sent_at": Timestamp::now(),
                "queue_size": queue.len() - batch.len(),
                "scans": batch,
            }))
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(_) => {
                load.failed.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let upstream = response
            .headers()
            .get("x-upstream")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        match status {
            200 => {}
            502..=504 => {
                load.failed.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            other => panic!(
                "kiosk {k}: upload answered {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
        let Ok(body) = response.json::<Value>().await else {
            load.failed.fetch_add(1, Ordering::SeqCst);
            continue;
        };
        let answered: HashSet<&str> = body["results"]
            .as_array()
            .unwrap_or_else(|| panic!("no results in {body}"))
            .iter()
            .map(|r| r["nonce"].as_str().unwrap())
            .collect();
        let sent: HashSet<&str> = batch.iter().map(|s| s["nonce"].as_str().unwrap()).collect();
        assert_eq!(answered, sent, "a verdict for every scan of the upload");
        queue.drain(..batch.len());
        // `$upstream_addr`: every instance tried, in order; the last one answered.
        let tried: Vec<&str> = upstream.split(", ").collect();
        let port = tried
            .last()
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no X-Upstream on an answer: {upstream:?}"));
        load.answers.lock().unwrap().push(Answer {
            kiosk: k,
            port,
            passed_on: tried.len() > 1,
            sent_after_kill,
        });
    }
}

/// nginx in the foreground with everything (config, pid, logs, temporary files) in `dir`.
struct Nginx(Child);

impl Nginx {
    fn start(binary: &Path, dir: &Path, port: u16, upstreams: [u16; 2]) -> Nginx {
        std::fs::create_dir_all(dir).unwrap();
        let d = dir.display();
        // Started by root, nginx runs its workers as `nobody`, who could not use this
        // directory; as anyone else it stays who it is and needs no `user` line.
        // SAFETY: geteuid has no preconditions and cannot fail.
        let user = if unsafe { libc::geteuid() } == 0 {
            "user root;"
        } else {
            ""
        };
        let servers: String = upstreams
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n"))
            .collect();
        let conf = format!(
            r#"{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream badgetrail {{
        zone badgetrail 64k;
{servers}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://badgetrail;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            # For the test: which instances nginx tried for each answer.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"#
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        Nginx(child)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too; SIGKILL would leave them serving.
        // SAFETY: kill with a pid of our own child and a valid signal.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian installs nginx in /usr/sbin, which is not on every user's `PATH`.
fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// Three ports nothing listens on now.
fn free_ports() -> [u16; 3] {
    let listeners: Vec<_> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let port = |i: usize| listeners[i].local_addr().unwrap().port();
    [port(0), port(1), port(2)]
}

/// Polls `done` until it holds, for at most `PATIENCE`.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    eventually_some(what, || done().then_some(())).await
}

/// Polls `found` until it finds something, for at most `PATIENCE`.
async fn eventually_some<T>(what: &str, found: impl Fn() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(t) = found() {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
