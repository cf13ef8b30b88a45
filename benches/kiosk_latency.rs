//! The kiosk in headless Chromium: time from a scan to its result on screen, and camera
//! decode time per 640x480 frame compared with zbar and rqrr on the same frames.
//!
//! `cargo bench --bench kiosk_latency [-- SCANS CAMERA_SECONDS DECODE_FRAMES]` (defaults 300,
//! 60, 120). Needs chromium and chromedriver; zbarimg (Debian's zbar-tools) for the zbar
//! column. Times in the page are `performance.now()`: from the Enter key's keydown (or, for
//! the camera, from the frame that first shows the badge) to the result panel's update.

#[path = "../tests/api/kiosk_video.rs"]
mod kiosk_video;

use std::{
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use badgetrail::{app::Application, config::Settings, context::Context, demo, door, registration};
use data_encoding::BASE64;
use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use kiosk_video::{HEIGHT, WIDTH};
use secrecy::SecretString;
use serde_json::{Value, json};

fn percentiles(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "no samples".into();
    }
    v.sort_by(f64::total_cmp);
    let p = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    format!(
        "n={} p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        v.len(),
        p(0.50),
        p(0.95),
        p(0.99),
        v[v.len() - 1]
    )
}

/// The demo programme with its first session (Main Hall) running now.
fn programme_now() -> badgetrail::domain::programme::Programme {
    let mut p = demo::programme::cloud_summit();
    let first = p.sessions.iter().map(|s| s.starts_at).min().unwrap();
    let shift = Timestamp::now().duration_since(first) - SignedDuration::from_mins(10);
    for s in &mut p.sessions {
        s.starts_at = s.starts_at.checked_add(shift).unwrap();
        s.ends_at = s.ends_at.checked_add(shift).unwrap();
    }
    let tz = TimeZone::get(&p.event.time_zone).unwrap();
    let day = |t: Timestamp| t.to_zoned(tz.clone()).date();
    p.event.starts_on = day(p.sessions.iter().map(|s| s.starts_at).min().unwrap());
    p.event.ends_on = day(p.sessions.iter().map(|s| s.ends_at).max().unwrap());
    p
}

async fn chromium(
    video: &Path,
) -> anyhow::Result<(Client, std::process::Child, tempfile::TempDir)> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir()?;
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--window-size=1000,1400".into(),
        "--use-fake-device-for-media-stream".into(),
        "--use-fake-ui-for-media-stream".into(),
        format!("--use-file-for-fake-video-capture={}", video.display()),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let caps = json!({ "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args } });
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await?;
    Ok((client, driver, profile))
}

#[derive(Debug)]
struct Offline(bool);

impl fantoccini::wd::WebDriverCompatibleCommand for Offline {
    fn endpoint(
        &self,
        base: &reqwest::Url,
        session: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!(
            "session/{}/chromium/network_conditions",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({ "network_conditions": { "offline": self.0, "latency": 0,
            "download_throughput": -1, "upload_throughput": -1 } });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("script runs")
}

/// Scans every badge through the wedge, one after the other; the in-page latency of each.
async fn wedge_run(c: &Client, badges: &[String]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let start = js(c, "return window.kiosk.latencies.length;")
        .await
        .as_u64()
        .unwrap() as usize;
    for (i, b) in badges.iter().enumerate() {
        let wedge = c.active_element().await.unwrap();
        wedge
            .send_keys(&format!("{b}{}", Key::Enter))
            .await
            .unwrap();
        let want = (start + i + 1) as u64;
        for _ in 0..500 {
            let n = js(c, "return window.kiosk.latencies.length;")
                .await
                .as_u64()
                .unwrap();
            if n >= want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = js(c, &format!("return window.kiosk.latencies.slice({start});")).await;
    let get = |k: &str| -> Vec<f64> {
        all.as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e[k].as_f64())
            .collect()
    };
    (get("shownMs"), get("paintedMs"), get("serverMs"))
}

/// Frames with badges at several places and sizes, with noise, and a few without any.
fn decode_frames(badges: &[String], n: usize) -> Vec<(Vec<u8>, Option<String>)> {
    (0..n)
        .map(|i| {
            if i % 6 == 5 {
                let mut f = kiosk_video::blank_frame(120 + (i % 40) as u8);
                kiosk_video::add_noise(&mut f, i as u64, 10);
                return (f, None);
            }
            let token = &badges[i % badges.len()];
            let bg = 110 + (i * 7 % 70) as u8;
            let x = (i * 37) % (WIDTH - 392);
            let y = (i * 23) % (HEIGHT - 392);
            let mut f = kiosk_video::badge_frame(token, x, y, bg);
            if i % 2 == 1 {
                f = kiosk_video::shrunk(&f, (i * 53) % 300, (i * 29) % 220, bg);
            }
            kiosk_video::add_noise(&mut f, i as u64, 10);
            (f, Some(token.clone()))
        })
        .collect()
}

fn zbar_time(paths: &[std::path::PathBuf]) -> Option<(f64, usize)> {
    let run = |files: &[std::path::PathBuf]| -> Option<(Duration, String)> {
        let t = Instant::now();
        let out = Command::new("zbarimg")
            .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .args(files)
            .output()
            .ok()?;
        Some((
            t.elapsed(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    };
    // One call with every frame, less one call with a single frame (process start, set-up).
    let (one, _) = run(&paths[..1])?;
    let (all, text) = run(paths)?;
    let per_frame = (all.saturating_sub(one)).as_secs_f64() * 1e3 / (paths.len() - 1) as f64;
    Some((
        per_frame,
        text.lines().filter(|l| !l.trim().is_empty()).count(),
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let scans: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(300);
    let camera_secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let decode_n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(120);

    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut s = Settings {
        database_url: SecretString::from(format!("sqlite://{}", dir.path().join("k.db").display())),
        public_url: format!("http://127.0.0.1:{port}"),
        mail_poll_ms: 0,
        registration_per_minute: 0,
        ..Settings::default()
    };
    s.mail.outbox_dir = dir.path().join("outbox");
    let ctx = Context::build(s).await?;
    let p = programme_now();
    let now = Timestamp::now();
    ctx.store.events().import_programme(&p, now).await?;
    let event = ctx
        .store
        .events()
        .event_by_slug(demo::programme::SLUG)
        .await?
        .unwrap();
    let topics: Vec<&str> = p.topics.iter().map(|t| t.slug.as_str()).collect();
    let people: Vec<_> = demo::people::synthetic(scans, &topics, 3)
        .iter()
        .map(|i| badgetrail::domain::attendee::Registration::parse(i, &topics).unwrap())
        .collect();
    let mut badges = Vec::new();
    for chunk in people.chunks(500) {
        for o in registration::record(&ctx, &event, chunk, registration::Source::Demo, false, now)
            .await?
        {
            badges.push(o.token);
        }
    }
    let device = door::create_device(&ctx, &event, Some("Main Hall"), "Bench door", now).await?;
    tokio::spawn(
        Application::with_listener(ctx.clone(), listener).run_until_stopped(std::future::pending()),
    );

    // The camera's video: per badge, half a second without it, then a second with it; a
    // white corner square marks the frames that show a badge.
    let video = dir.path().join("camera.y4m");
    let mut frames = Vec::new();
    for token in badges.iter().take(4) {
        for i in 0..15 {
            let mut f = kiosk_video::blank_frame(140);
            kiosk_video::add_noise(&mut f, i, 8);
            kiosk_video::mark(&mut f, false);
            frames.push(f);
        }
        let mut f = kiosk_video::badge_frame(token, 160, 60, 140);
        kiosk_video::add_noise(&mut f, 99, 8);
        kiosk_video::mark(&mut f, true);
        for _ in 0..30 {
            frames.push(f.clone());
        }
    }
    kiosk_video::write_y4m(&video, &frames, 30);
    drop(frames);

    let (c, mut driver, _profile) = chromium(&video).await?;
    c.goto(&format!("http://127.0.0.1:{port}/kiosk")).await?;
    c.wait()
        .for_element(Locator::Css("#pairing:not([hidden]) #pair-code"))
        .await?
        .send_keys(&format!("{}{}", device.pairing_code, Key::Enter))
        .await?;
    c.wait()
        .for_element(Locator::Css("#scanning:not([hidden])"))
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let has_detector = js(&c, "return 'BarcodeDetector' in window;").await == Value::Bool(true);
    println!(
        "kiosk_latency: {scans} wedge scans online and offline, camera {camera_secs} s, {decode_n} decode frames; Chromium {}; BarcodeDetector {}",
        String::from_utf8_lossy(&Command::new("chromium").arg("--version").output()?.stdout).trim(),
        if has_detector { "present" } else { "absent" }
    );

    let (shown, painted, server) = wedge_run(&c, &badges).await;
    println!(
        "  wedge online,  Enter to result panel:   {}",
        percentiles(shown)
    );
    println!(
        "  wedge online,  Enter to next frame:     {}",
        percentiles(painted)
    );
    println!(
        "  wedge online,  Enter to server verdict: {}",
        percentiles(server)
    );
    c.issue_cmd(Offline(true)).await?;
    let (shown, painted, _) = wedge_run(&c, &badges).await;
    println!(
        "  wedge offline, Enter to result panel:   {}",
        percentiles(shown)
    );
    println!(
        "  wedge offline, Enter to next frame:     {}",
        percentiles(painted)
    );
    c.issue_cmd(Offline(false)).await?;
    js(&c, "window.dispatchEvent(new Event('online'));").await;

    // Camera: the badge's first frame, as the page sees it (its presentation time), to the
    // result panel. The corner marker is read on the page's thread for this benchmark only.
    js(&c, "document.getElementById('camera-toggle').click();").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    js(
        &c,
        "const v = document.getElementById('camera-video'); window.benchMarks = []; \
         const cv = new OffscreenCanvas(16, 16); const cx = cv.getContext('2d', { willReadFrequently: true }); \
         let white = false; \
         const watch = (now, meta) => { cx.drawImage(v, 0, 0, 16, 16, 0, 0, 16, 16); \
           const w = cx.getImageData(8, 8, 1, 1).data[0] > 128; \
           if (w && !white) window.benchMarks.push({ at: meta.presentationTime || now, capture: meta.captureTime || null }); \
           white = w; v.requestVideoFrameCallback(watch); }; \
         v.requestVideoFrameCallback(watch); window.benchCameraFrom = window.kiosk.latencies.length;",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(camera_secs)).await;
    let got = js(
        &c,
        "return { marks: window.benchMarks, scans: window.kiosk.latencies.slice(window.benchCameraFrom).filter(l => l.input === 'camera'), stats: window.kiosk.decodeStats() };",
    )
    .await;
    js(&c, "document.getElementById('camera-toggle').click();").await;
    let marks: Vec<f64> = got["marks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["at"].as_f64())
        .collect();
    let mut from_frame = Vec::new();
    let mut from_grab = Vec::new();
    let mut used = std::collections::HashSet::new();
    for s in got["scans"].as_array().unwrap() {
        let shown_at = s["shownAt"].as_f64().unwrap();
        from_grab.push(s["shownMs"].as_f64().unwrap());
        if let Some((i, at)) = marks.iter().enumerate().rfind(|(_, m)| **m <= shown_at)
            && used.insert(i)
        {
            from_frame.push(shown_at - at);
        }
    }
    println!(
        "  camera: {} badge appearances, {} scans; decoder {} (p50 {:.1} ms, p95 {:.1} ms per frame in the kiosk)",
        marks.len(),
        got["scans"].as_array().unwrap().len(),
        got["stats"]["decoder"],
        got["stats"]["p50"].as_f64().unwrap_or(f64::NAN),
        got["stats"]["p95"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "  camera, badge's first frame to result panel: {}",
        percentiles(from_frame)
    );
    println!(
        "  camera, decoded frame's grab to result panel: {}",
        percentiles(from_grab)
    );

    // Decode per 640x480 frame, the same grey frames for every decoder.
    let frames = decode_frames(&badges, decode_n);
    let with_code = frames.iter().filter(|(_, t)| t.is_some()).count();
    let pgm_dir = dir.path().join("frames");
    std::fs::create_dir_all(&pgm_dir)?;
    let mut paths = Vec::new();
    for (i, (f, _)) in frames.iter().enumerate() {
        let path = pgm_dir.join(format!("f{i:04}.pgm"));
        kiosk_video::write_pgm(&path, f);
        paths.push(path);
    }
    js(&c, "window.benchFrames = [];").await;
    for chunk in frames.chunks(10) {
        let encoded: Vec<String> = chunk.iter().map(|(f, _)| BASE64.encode(f)).collect();
        c.execute(
            "for (const b of arguments[0]) window.benchFrames.push(Uint8Array.from(atob(b), (ch) => ch.charCodeAt(0)));",
            vec![json!(encoded)],
        )
        .await?;
    }
    let mut decoders = vec!["jsQR", "zxing-wasm"];
    if has_detector {
        decoders.push("");
    }
    println!(
        "  decode per 640x480 frame ({} frames, {with_code} with a badge):",
        frames.len()
    );
    for prefer in decoders {
        let r = c
            .execute(
                "return window.kiosk.camera.measureGreyFrames(window.benchFrames, 640, 480, arguments[0] || null);",
                vec![json!(prefer)],
            )
            .await?;
        let results = r["frames"].as_array().unwrap();
        let times: Vec<f64> = results
            .iter()
            .filter_map(|x| x["decodeMs"].as_f64())
            .collect();
        let read = results
            .iter()
            .zip(&frames)
            .filter(|(x, (_, want))| want.is_some() && x["text"].as_str() == want.as_deref())
            .count();
        println!(
            "    {:<16} in Chromium's worker: {} ; read {read}/{with_code}",
            r["decoder"].as_str().unwrap_or("?"),
            percentiles(times)
        );
    }
    match zbar_time(&paths) {
        Some((ms, read)) => println!(
            "    zbarimg (one process, all frames): {ms:.1} ms per frame on average; read {read}/{with_code}"
        ),
        None => println!("    zbarimg: not installed (apt-get install zbar-tools)"),
    }
    let mut rq = Vec::new();
    let mut rq_read = 0;
    for (f, want) in &frames {
        let t = Instant::now();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(WIDTH, HEIGHT, |x, y| f[y * WIDTH + x]);
        let text = prepared
            .detect_grids()
            .first()
            .and_then(|g| g.decode().ok())
            .map(|(_, t)| t);
        rq.push(t.elapsed().as_secs_f64() * 1e3);
        if want.is_some() && text.as_deref() == want.as_deref() {
            rq_read += 1;
        }
    }
    println!(
        "    rqrr (server, release build): {} ; read {rq_read}/{with_code}",
        percentiles(rq)
    );

    c.close().await?;
    let _ = driver.kill();
    let _ = driver.wait();
    Ok(())
}
