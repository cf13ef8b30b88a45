//! QR decoders on the same hard camera frames: what each reads and how long each frame takes.
//!
//! `cargo bench --bench camera_decode [-- FRAMES_PER_KIND]` (default 12). Generates frames of
//! every kind in `tests/api/camera_frames.rs` (near, far, angled, blurred, low contrast,
//! noisy, glare, no code) at 640x480 and 1280x720, then decodes each with: the kiosk's
//! decoders in headless Chromium, through the kiosk's own worker and frame path
//! (`window.kiosk.camera.measureGreyFrames`, frames arriving as ImageBitmaps as camera frames
//! do): zxing-cpp's WebAssembly build and jsQR, plus BarcodeDetector where the browser has
//! one; rqrr as the server's `/api/v1/decode` runs it (`qr::decode_photo` on a PNG of the
//! frame, same process); and, natively through Python, zxing-cpp (the reference) and zbar
//! (`benches/support/native_decoders.py`). Needs chromium and chromedriver; `pip install
//! zxing-cpp pyzbar numpy` for the native columns.

#[path = "../tests/api/camera_frames.rs"]
mod camera_frames;

use std::{
    collections::BTreeMap,
    net::TcpListener,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use badgetrail::{app::Application, config::Settings, context::Context, qr};
use camera_frames::Kind;
use data_encoding::BASE64;
use fantoccini::{Client, ClientBuilder, wd::TimeoutConfiguration};
use secrecy::SecretString;
use serde_json::{Value, json};

const SIZES: [(usize, usize); 2] = [(640, 480), (1280, 720)];

struct Frame {
    width: usize,
    height: usize,
    kind: Kind,
    /// The badge's text, `None` on frames without a code.
    token: Option<String>,
    grey: Vec<u8>,
}

/// One decoder's answer for one frame.
#[derive(Clone, Default)]
struct Answer {
    text: Option<String>,
    /// The decoder's own time.
    ms: f64,
    /// In the kiosk: the frame's time in the worker, reading its pixels included.
    frame_ms: Option<f64>,
}

fn generate(per_kind: usize) -> Vec<Frame> {
    let mut specs = Vec::new();
    for (s, &(width, height)) in SIZES.iter().enumerate() {
        for (k, &kind) in Kind::ALL.iter().enumerate() {
            for i in 0..per_kind {
                let seed = (s * 1_000_000 + k * 1_000 + i) as u64;
                specs.push((width, height, kind, seed));
            }
        }
    }
    // Drawing a 1280x720 frame takes a while; both cores share the work.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = specs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&(width, height, kind, seed)| {
                            let token = camera_frames::token_like(seed);
                            let grey = camera_frames::frame(&token, kind, width, height, seed);
                            Frame {
                                width,
                                height,
                                kind,
                                token: (kind != Kind::NoCode).then_some(token),
                                grey,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("frame drawing"))
            .collect()
    })
}

fn write_pgm(path: &std::path::Path, f: &Frame) -> std::io::Result<()> {
    let mut bytes = format!("P5\n{} {}\n255\n", f.width, f.height).into_bytes();
    bytes.extend_from_slice(&f.grey);
    std::fs::write(path, bytes)
}

async fn chromium() -> anyhow::Result<(Client, std::process::Child, tempfile::TempDir)> {
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
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let caps = json!({ "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args } });
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await?;
    // jsQR can spend seconds on a batch of noisy 1280x720 frames.
    client
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(1800)),
            None,
            None,
        ))
        .await?;
    Ok((client, driver, profile))
}

/// The frames of one size through the kiosk's worker with the decoder asked for.
async fn in_kiosk(
    c: &Client,
    frames: &[&Frame],
    prefer: &str,
) -> anyhow::Result<(String, Vec<Answer>)> {
    let (w, h) = (frames[0].width, frames[0].height);
    let r = c
        .execute(
            "return window.kiosk.camera.measureGreyFrames(window.benchFrames, arguments[0], \
             arguments[1], arguments[2] || null, true);",
            vec![json!(w), json!(h), json!(prefer)],
        )
        .await?;
    let answers = r["frames"]
        .as_array()
        .expect("one answer a frame")
        .iter()
        .map(|a| Answer {
            text: a["text"].as_str().map(str::to_owned),
            ms: a["decodeMs"].as_f64().unwrap_or(f64::NAN),
            frame_ms: a["frameMs"].as_f64(),
        })
        .collect();
    Ok((r["decoder"].as_str().unwrap_or("?").to_owned(), answers))
}

async fn load_frames(c: &Client, frames: &[&Frame]) -> anyhow::Result<()> {
    c.execute("window.benchFrames = [];", vec![]).await?;
    for chunk in frames.chunks(4) {
        let encoded: Vec<String> = chunk.iter().map(|f| BASE64.encode(&f.grey)).collect();
        c.execute(
            "for (const b of arguments[0]) window.benchFrames.push(Uint8Array.from(atob(b), (ch) => ch.charCodeAt(0)));",
            vec![json!(encoded)],
        )
        .await?;
    }
    Ok(())
}

/// rqrr as `POST /api/v1/decode` runs it: the frame as a PNG upload, read, searched and
/// decoded by `qr::decode_photo`; timed from the PNG bytes to the codes.
fn rqrr(frames: &[Frame]) -> Vec<Answer> {
    frames
        .iter()
        .map(|f| {
            let image = image::GrayImage::from_raw(f.width as u32, f.height as u32, f.grey.clone())
                .expect("frame size");
            let png = qr::encode_png(&image).expect("PNG");
            let started = Instant::now();
            let codes = qr::decode_photo(&png, usize::MAX, u64::MAX, &qr::Budget::unlimited())
                .unwrap_or_default();
            Answer {
                ms: started.elapsed().as_secs_f64() * 1e3,
                text: codes.into_iter().next(),
                frame_ms: None,
            }
        })
        .collect()
}

/// zxing-cpp and zbar through their Python bindings, per frame; decoders not installed are
/// missing from the map.
fn native(paths: &[std::path::PathBuf]) -> BTreeMap<String, Vec<Answer>> {
    let mut out: BTreeMap<String, Vec<Answer>> = BTreeMap::new();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/support/native_decoders.py"
    );
    let run = Command::new("python3")
        .arg(script)
        .args(paths)
        .stderr(Stdio::inherit())
        .output();
    let Ok(run) = run else {
        println!("python3 not found: no zxing-cpp or zbar column");
        return out;
    };
    for line in String::from_utf8_lossy(&run.stdout).lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line per frame");
        for (name, a) in v.as_object().unwrap() {
            if name == "file" {
                continue;
            }
            out.entry(name.clone()).or_default().push(Answer {
                text: a["text"].as_str().map(str::to_owned),
                ms: a["ms"].as_f64().unwrap_or(f64::NAN),
                frame_ms: None,
            });
        }
    }
    out
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "".into()
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn reads(f: &Frame, a: &Answer) -> bool {
    f.token.is_some() && a.text == f.token
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let per_kind: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);

    let started = Instant::now();
    let frames = generate(per_kind);
    println!(
        "camera_decode: {} frames ({per_kind} of each kind at each size) drawn in {:.1} s",
        frames.len(),
        started.elapsed().as_secs_f64()
    );
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let chromium_version = Command::new("chromium")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!(
        "machine: {} x {cpu}; load average {}; {chromium_version}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    let dir = tempfile::tempdir()?;
    let mut paths = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let path = dir.path().join(format!("f{i:04}.pgm"));
        write_pgm(&path, f)?;
        paths.push(path);
    }
    if let Ok(keep) = std::env::var("BENCH_KEEP_FRAMES") {
        // For looking at the frames, or feeding them to another decoder.
        std::fs::create_dir_all(&keep)?;
        for p in &paths {
            std::fs::copy(p, std::path::Path::new(&keep).join(p.file_name().unwrap()))?;
        }
        println!("frames kept in {keep}");
    }

    // The kiosk served by the real server, as a kiosk loads it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut s = Settings {
        database_url: SecretString::from(format!("sqlite://{}", dir.path().join("k.db").display())),
        public_url: format!("http://127.0.0.1:{port}"),
        mail_poll_ms: 0,
        ..Settings::default()
    };
    s.mail.outbox_dir = dir.path().join("outbox");
    let ctx = Context::build(s).await?;
    tokio::spawn(
        Application::with_listener(ctx, listener).run_until_stopped(std::future::pending()),
    );

    let (c, mut driver, _profile) = chromium().await?;
    c.goto(&format!("http://127.0.0.1:{port}/kiosk")).await?;
    let has_detector = c
        .execute("return 'BarcodeDetector' in self;", vec![])
        .await?
        == Value::Bool(true);
    let mut prefer = vec!["zxing-wasm", "jsQR"];
    if has_detector {
        prefer.push("");
    }

    // Decoder name -> one answer a frame, in the order of `frames`.
    let mut results: BTreeMap<String, Vec<Answer>> = BTreeMap::new();
    for &(width, height) in &SIZES {
        let group: Vec<&Frame> = frames
            .iter()
            .filter(|f| f.width == width && f.height == height)
            .collect();
        load_frames(&c, &group).await?;
        for p in &prefer {
            let t = Instant::now();
            let (name, answers) = in_kiosk(&c, &group, p).await?;
            println!(
                "  {name} in the kiosk's worker, {width}x{height}: {:.1} s",
                t.elapsed().as_secs_f64()
            );
            results
                .entry(format!("{name} (kiosk, Chromium)"))
                .or_default()
                .extend(answers);
        }
    }
    c.close().await?;
    let _ = driver.kill();
    let _ = driver.wait();

    results.insert("rqrr 0.11, patched (server)".into(), rqrr(&frames));
    for (name, answers) in native(&paths) {
        let label = if name.starts_with("zxing-cpp") {
            format!("{name} (native, reference)")
        } else {
            format!("{name} (native)")
        };
        results.insert(label, answers);
    }

    report(&frames, &results);
    Ok(())
}

fn report(frames: &[Frame], results: &BTreeMap<String, Vec<Answer>>) {
    println!();
    println!("Time per frame, every frame of the size (codes or not):");
    println!();
    println!("| decoder | size | frames | p50 | p90 | p99 | max |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (name, answers) in results {
        for &(width, height) in &SIZES {
            let of_size = || {
                frames
                    .iter()
                    .zip(answers)
                    .filter(move |(f, _)| f.width == width && f.height == height)
            };
            let mut rows = vec![(
                name.clone(),
                of_size().map(|(_, a)| a.ms).collect::<Vec<_>>(),
            )];
            if of_size().any(|(_, a)| a.frame_ms.is_some()) {
                rows.push((
                    format!("{name}, device path (pixels read in the worker)"),
                    of_size().filter_map(|(_, a)| a.frame_ms).collect(),
                ));
            }
            for (label, mut times) in rows {
                times.sort_by(f64::total_cmp);
                println!(
                    "| {label} | {width}x{height} | {} | {} | {} | {} | {} |",
                    times.len(),
                    ms(percentile(&times, 0.5)),
                    ms(percentile(&times, 0.9)),
                    ms(percentile(&times, 0.99)),
                    ms(times.last().copied().unwrap_or(f64::NAN)),
                );
            }
        }
    }

    println!();
    println!("Frames read (right text), per kind; \"no code\" counts false reads:");
    println!();
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    println!("| decoder | size | {} | read |", kinds.join(" | "));
    println!("|---|---|{}---:|", "---:|".repeat(kinds.len()));
    for (name, answers) in results {
        for &(width, height) in &SIZES {
            let mut cells = Vec::new();
            let (mut read, mut with_code) = (0, 0);
            for kind in Kind::ALL {
                let of_kind: Vec<(&Frame, &Answer)> = frames
                    .iter()
                    .zip(answers)
                    .filter(|(f, _)| f.width == width && f.height == height && f.kind == kind)
                    .collect();
                if kind == Kind::NoCode {
                    let false_reads = of_kind.iter().filter(|(_, a)| a.text.is_some()).count();
                    cells.push(format!("{false_reads}"));
                } else {
                    let n = of_kind.iter().filter(|(f, a)| reads(f, a)).count();
                    read += n;
                    with_code += of_kind.len();
                    cells.push(format!("{n}/{}", of_kind.len()));
                }
            }
            println!(
                "| {name} | {width}x{height} | {} | {read}/{with_code} |",
                cells.join(" | ")
            );
        }
    }

    println!();
    println!("Median time per frame by kind, 640x480:");
    println!();
    println!("| decoder | {} |", kinds.join(" | "));
    println!("|---|{}", "---:|".repeat(kinds.len()));
    for (name, answers) in results {
        let cells: Vec<String> = Kind::ALL
            .iter()
            .map(|&kind| {
                let mut t: Vec<f64> = frames
                    .iter()
                    .zip(answers)
                    .filter(|(f, _)| f.width == 640 && f.kind == kind)
                    .map(|(_, a)| a.ms)
                    .collect();
                t.sort_by(f64::total_cmp);
                ms(percentile(&t, 0.5))
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }

    // The requirement: the kiosk's decoder reads at least what zxing-cpp reads.
    let reference = results
        .iter()
        .find(|(n, _)| n.starts_with("zxing-cpp"))
        .map(|(_, a)| a);
    let kiosk = results
        .iter()
        .find(|(n, _)| n.starts_with("zxing-wasm"))
        .map(|(_, a)| a);
    if let (Some(reference), Some(kiosk)) = (reference, kiosk) {
        let missed: Vec<String> = frames
            .iter()
            .enumerate()
            .filter(|&(i, f)| reads(f, &reference[i]) && !reads(f, &kiosk[i]))
            .map(|(i, f)| format!("f{i:04} ({} {}x{})", f.kind.name(), f.width, f.height))
            .collect();
        println!();
        if missed.is_empty() {
            println!("zxing-wasm in the kiosk read every frame zxing-cpp read.");
        } else {
            println!(
                "zxing-wasm in the kiosk missed {} frames zxing-cpp read: {}",
                missed.len(),
                missed.join(", ")
            );
        }
    }
}
