//! Every page as its users meet it, in headless Chromium: each role (an attendee, door staff at
//! the kiosk, a marketer, sales, an admin) opens every page, at a phone's size and a desktop's.
//! Each page is scanned with axe-core (`tools/axe`, pinned by its lock file) and may have no
//! serious or critical violation; a page a signed-in person is refused, or a malformed address,
//! still shows the styled staff layout. A screenshot of every page at both sizes is kept, as
//! `<role>-<page>-<width>.png`, in `target/screenshots` (or in `BADGETRAIL_SCREENSHOTS`);
//! `docs/ui.md` names them. The keyboard test walks the main controls of the key pages with
//! Tab, checks that focus shows, and submits with Enter.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    time::Duration,
};

use badgetrail::{demo::programme::SLUG, domain::user::Role, door, jobs::badge_mail, registration};
use fantoccini::{
    Client, Locator,
    actions::{InputSource, KeyAction, KeyActions},
    key::Key,
};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::support::{
    app::{Db, TestApp, cannot_run, spawn_app},
    browser::{browser, browser_login, click, submit_login, type_into},
    door::new_device,
    forms::{emailed_links, register_badge, valid_form},
    kiosk_page::pair_kiosk,
    staff_pages::{DESKTOP, PHONE, Page, page, screenshot, seed, set_viewport},
};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// axe-core, installed by `npm ci --prefix tools/axe` (as `./scripts/test` does).
const AXE: &str = "tools/axe/node_modules/axe-core/axe.min.js";

/// Runs axe on the page and hands back its serious and critical violations.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] }).then(
  (r) => done(r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')) }))),
  (e) => done([{ id: 'axe-failed', impact: 'critical', help: String(e), targets: [] }]));
"#;

/// What the page is: the HTTP status it came with, whether it has the site's stylesheet and
/// header, and whether it shows the staff header (the sections and a sign-out button).
const LOOK: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
return {
  status: nav ? nav.responseStatus : 0,
  styled: document.styleSheets.length > 0
    && getComputedStyle(document.body).fontFamily.includes('system-ui'),
  header: !!document.querySelector('header.top'),
  signed_in: !!document.querySelector('header.top form[action="/logout"]')
    && !!document.querySelector('header.top nav.sections'),
  title: document.title,
};
"#;

/// The folder the screenshots go to: `BADGETRAIL_SCREENSHOTS` if set, else `target/screenshots`
/// (emptied of old screenshots first, so that it holds exactly this run's pages).
fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BADGETRAIL_SCREENSHOTS") {
        return PathBuf::from(dir);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "png") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    dir
}

/// A page's name as a file name: lower case words joined by `-`.
fn file_stem(role: &str, name: &str) -> String {
    let words = format!("{role} {name}").to_lowercase().replace('\'', "");
    words
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// One browser going through pages, noting what it finds.
struct Tour<'a> {
    c: &'a Client,
    app: &'a TestApp,
    axe: String,
    dir: PathBuf,
    failures: Vec<String>,
    /// One line per page: role, page, status and screenshot stem, printed at the end.
    seen: Vec<String>,
}

impl Tour<'_> {
    async fn goto(&self, path: &str) {
        self.c.goto(&self.app.url(path)).await.unwrap();
    }

    async fn look(&self) -> Value {
        self.c.execute(LOOK, vec![]).await.unwrap()
    }

    /// The page in the window, at both sizes: a screenshot of each, and axe's findings.
    async fn judge(&mut self, role: &str, name: &str) {
        let stem = file_stem(role, name);
        let look = self.look().await;
        let path = self.c.current_url().await.unwrap().path().to_owned();
        for (width, height) in [PHONE, DESKTOP] {
            set_viewport(self.c, width, height).await;
            screenshot(self.c, &self.dir.join(format!("{stem}-{width}.png"))).await;
            let loaded = self
                .c
                .execute("return !!window.axe;", vec![])
                .await
                .unwrap();
            if loaded != Value::Bool(true) {
                self.c.execute(&self.axe, vec![]).await.unwrap();
            }
            let found = self.c.execute_async(RUN_AXE, vec![]).await.unwrap();
            for v in found.as_array().unwrap() {
                let targets: Vec<&str> = v["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .take(4)
                    .map(|t| t.as_str().unwrap())
                    .collect();
                self.failures.push(format!(
                    "{role}: {name} ({path}) at {width} px: {} ({}): {}; at {}",
                    v["id"].as_str().unwrap(),
                    v["impact"].as_str().unwrap(),
                    v["help"].as_str().unwrap(),
                    targets.join(" | ")
                ));
            }
        }
        self.seen.push(format!(
            "{role:<10} {:<40} {:>3}  {stem}-{{390,1280}}.png",
            name, look["status"]
        ));
    }

    /// Opens `path` and judges it.
    async fn visit(&mut self, role: &str, p: &Page) {
        self.goto(&p.path).await;
        self.judge(role, p.name).await;
    }

    /// A signed-in person opens every staff page: those the role may see are judged; the
    /// others must answer with the styled error page in the staff layout, the first of each
    /// status judged like any page.
    async fn staff_pages(&mut self, role: &str, pages: &[Page]) {
        let mut refused: Vec<(u64, Vec<&str>)> = Vec::new();
        for p in pages {
            self.goto(&p.path).await;
            let look = self.look().await;
            let status = look["status"].as_u64().unwrap();
            if (200..300).contains(&status) || p.name.starts_with("not found") {
                self.judge(role, p.name).await;
                continue;
            }
            self.expect_staff_error(role, p, &look);
            match refused.iter_mut().find(|(s, _)| *s == status) {
                Some((_, names)) => names.push(p.name),
                None => {
                    self.judge(role, &format!("refused {status}")).await;
                    refused.push((status, vec![p.name]));
                }
            }
        }
        for (status, names) in refused {
            self.seen.push(format!(
                "{role:<10} refused ({status}): {}",
                names.join("; ")
            ));
        }
    }

    fn expect_staff_error(&mut self, role: &str, p: &Page, look: &Value) {
        if look["styled"] != true || look["signed_in"] != true {
            self.failures.push(format!(
                "{role}: {} ({}) answers {} without the staff layout: {look}",
                p.name, p.path, look["status"]
            ));
        }
    }

    /// Malformed addresses a signed-in person may follow or type: each is refused in the
    /// styled staff layout, never as a bare text response.
    async fn malformed(&mut self, role: &str) {
        let event = format!("/admin/events/{SLUG}");
        let paths = [
            format!("{event}/attendees/not-a-number"),
            format!("{event}?page=last"),
            format!("{event}/leads?page=-"),
            "/due?within=soon".to_owned(),
            format!("/sales/leads/{SLUG}/not-a-number"),
        ];
        for path in paths {
            self.goto(&path).await;
            let look = self.look().await;
            if look["status"].as_u64().is_some_and(|s| s < 400) {
                continue;
            }
            let p = page("malformed address", path);
            self.expect_staff_error(role, &p, &look);
        }
    }
}

/// Reads the pinned axe-core, or says how to install it (a failure unless skips are allowed).
fn axe_source() -> Option<String> {
    match std::fs::read_to_string(Path::new(ROOT).join(AXE)) {
        Ok(s) => Some(s),
        Err(_) => {
            cannot_run(
                &format!("{AXE} is missing"),
                "run `npm ci --prefix tools/axe` (./scripts/test does)",
            );
            None
        }
    }
}

/// What an attendee opens: the pages, and the links the later steps follow.
struct Attendee {
    pages: Vec<Page>,
    badge: String,
    manage: String,
    unsubscribe: String,
}

/// The attendee's pages: their badge and my-registration links (from the badge email) and an
/// unsubscribe link of the campaign `seed` sent.
async fn attendee_pages(app: &TestApp) -> Attendee {
    register_badge(app, &valid_form("grace@example.com")).await;
    badge_mail::run_once(&app.ctx).await.unwrap();
    let (badge, manage) = emailed_links(app, "grace@example.com");
    let local = |url: &str| url[app.address.len()..].to_owned();
    let event = app
        .ctx
        .store
        .events()
        .event_by_slug(SLUG)
        .await
        .unwrap()
        .unwrap();
    let sent = app
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(event.id, "after-the-summit")
        .await
        .unwrap()
        .unwrap();
    let ledger = app
        .ctx
        .store
        .campaigns()
        .campaign_ledger(sent.id)
        .await
        .unwrap();
    let unsubscribe = format!("/u/{}", app.ctx.edm.signer.unsubscribe_token(ledger[0].id));
    let pages = vec![
        page("events", "/"),
        page("register", format!("/e/{SLUG}/register")),
        page("registered", format!("/e/{SLUG}/registered")),
        page("badge", local(&badge)),
        page("ask for my link", format!("/e/{SLUG}/my-link")),
        page("my registration", local(&manage)),
        page(
            "link refused",
            "/me/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        page("unsubscribe", unsubscribe.clone()),
        page("not found", "/nothing-here"),
    ];
    Attendee {
        pages,
        badge: local(&badge),
        manage: local(&manage),
        unsubscribe,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_role_passes_axe_and_is_kept_as_screenshots() {
    let Some(axe) = axe_source() else { return };
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let (admin_pages, sales_pages) = seed(&app).await;
    let attendee = attendee_pages(&app).await;
    let Some(b) = browser(&[]).await else { return };
    let dir = screenshot_dir();
    let mut t = Tour {
        c: &b.client,
        app: &app,
        axe,
        dir: dir.clone(),
        failures: Vec::new(),
        seen: Vec::new(),
    };
    let c = &b.client;

    // The attendee: public pages, then the states a form leads to.
    for p in &attendee.pages {
        t.visit("attendee", p).await;
    }
    t.goto(&format!("/e/{SLUG}/register")).await;
    click(c, Locator::Css("form button[type=submit]")).await;
    c.wait()
        .for_element(Locator::Id("form-errors"))
        .await
        .unwrap();
    t.judge("attendee", "register with errors").await;
    t.goto(&attendee.unsubscribe).await;
    click(c, Locator::Css("main form button[type=submit]")).await;
    c.wait()
        .for_element(Locator::XPath("//h1[text()='You are unsubscribed']"))
        .await
        .unwrap();
    t.judge("attendee", "unsubscribed").await;
    let event = app
        .ctx
        .store
        .events()
        .event_by_slug(SLUG)
        .await
        .unwrap()
        .unwrap();
    let grace = app.attendee_id("grace@example.com").await;
    registration::reissue_badge(&app.ctx, &event, grace, Timestamp::now())
        .await
        .unwrap();
    t.goto(&attendee.badge).await;
    t.judge("attendee", "badge replaced").await;
    t.goto(&attendee.manage).await;
    click(
        c,
        Locator::Css("form[action$='/erase'] input[name=confirm]"),
    )
    .await;
    click(
        c,
        Locator::Css("form[action$='/erase'] button[type=submit]"),
    )
    .await;
    wait_until_path(c, &attendee.manage, "leave").await;
    t.judge("attendee", "registration deleted").await;

    // Staff, before signing in.
    t.visit("staff", &page("sign-in", "/login")).await;

    // Door staff at the kiosk: pairing, then scanning, then a scan's result.
    let now = Timestamp::now();
    let device = door::create_device(&app.ctx, &event, Some("Main Hall"), "West door", now)
        .await
        .unwrap();
    t.goto("/kiosk").await;
    c.wait()
        .for_element(Locator::Css("#pairing:not([hidden])"))
        .await
        .unwrap();
    t.judge("door staff", "kiosk pairing").await;
    pair_kiosk(c, &app, &device.pairing_code).await;
    t.judge("door staff", "kiosk scanning").await;
    let wedge = c.find(Locator::Id("wedge")).await.unwrap();
    wedge
        .send_keys(&format!("not-a-badge{}", Key::Enter))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#result:not(.idle)"))
        .await
        .unwrap();
    t.judge("door staff", "kiosk refused scan").await;

    // Each staff role signed in, over every staff page.
    let all: Vec<Page> = admin_pages
        .into_iter()
        .chain(sales_pages)
        .collect::<Vec<_>>();
    for (role, label) in [
        (Role::Admin, "admin"),
        (Role::Marketer, "marketer"),
        (Role::Staff, "door staff"),
        (Role::Sales, "sales"),
    ] {
        c.delete_all_cookies().await.unwrap();
        if role == Role::Sales {
            // Sally owns leads, so her pages have rows.
            submit_login(c, &app, "sally", "/sales/leads").await;
        } else {
            browser_login(c, &app, role, "/due").await;
        }
        wait_until_path(c, "/login", "leave").await;
        t.staff_pages(label, &all).await;
        t.malformed(label).await;
    }

    let mut summary = String::new();
    for line in &t.seen {
        writeln!(summary, "{line}").unwrap();
    }
    eprintln!("screenshots in {}\n{summary}", dir.display());
    assert!(
        t.failures.is_empty(),
        "\n{} problems:\n{}\n",
        t.failures.len(),
        t.failures.join("\n")
    );
    b.client.clone().close().await.unwrap();
}

/// Waits until the browser has loaded `path` (`"load"`) or has left it (`"leave"`).
async fn wait_until_path(c: &Client, path: &str, mode: &str) {
    for _ in 0..200 {
        let now = c.current_url().await.unwrap().path().to_owned();
        let ready = c
            .execute("return document.readyState === 'complete';", vec![])
            .await
            .unwrap_or(Value::Bool(false));
        if ready == true && ((mode == "load") == (now == path)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser did not {mode} {path}");
}

/// What Tab reaches: the element, whether it matches each expected control, and whether its
/// focus shows (an outline or ring at least 2 px wide with 3:1 contrast to what is behind).
const FOCUSED: &str = r#"
const e = document.activeElement;
const wanted = arguments[0];
const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
  + (e.name ? `[name=${e.name}]` : '') + ` "${(e.innerText || e.value || '').trim().slice(0, 24)}"`;
const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const behind = (el) => {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
if (!e || e === document.body) return { desc: 'body', matches: wanted.map(() => false), shows: false };
const s = getComputedStyle(e);
const width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
const ring = width >= 2 ? rgb(s.outlineColor).slice(0, 3) : null;
let contrast = 0;
if (ring) {
  const [a, b] = [lum(ring), lum(behind(e))];
  contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
return {
  desc: describe(e),
  matches: wanted.map((w) => e.matches(w)),
  shows: e.matches(':focus-visible') && width >= 2 && contrast >= 3,
  outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}, contrast ${contrast.toFixed(2)}`,
};
"#;

/// Presses one key on whatever has focus.
async fn press(c: &Client, key: Key) {
    let k: char = key.into();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    c.perform_actions(keys).await.unwrap();
}

/// Tabs from the top of the page until each of `wanted` (CSS selectors, in the order a person
/// meets them) has had focus, for at most `limit` presses; every stop must show its focus.
/// Leaves focus on the last wanted control.
async fn tab_through(c: &Client, page: &str, wanted: &[&str], limit: usize) -> Vec<String> {
    let mut problems = Vec::new();
    c.execute(
        "const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); \
         window.scrollTo(0, 0);",
        vec![],
    )
    .await
    .unwrap();
    let mut next = 0;
    let mut walked = Vec::new();
    for _ in 0..limit {
        press(c, Key::Tab).await;
        let f = c.execute(FOCUSED, vec![json!(wanted)]).await.unwrap();
        let desc = f["desc"].as_str().unwrap().to_owned();
        walked.push(desc.clone());
        // Past the last control, focus leaves the page for the browser's own controls.
        if f["shows"] != true && desc != "body" {
            problems.push(format!(
                "{page}: no visible focus on {desc}: {}",
                f["outline"]
            ));
        }
        let matches: Vec<bool> = f["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m == true)
            .collect();
        if let Some(later) = (next + 1..wanted.len()).find(|&i| matches[i])
            && !matches[next]
        {
            problems.push(format!(
                "{page}: Tab reaches {} before {}",
                wanted[later], wanted[next]
            ));
        }
        if matches[next] {
            next += 1;
            if next == wanted.len() {
                return problems;
            }
        }
    }
    problems.push(format!(
        "{page}: {limit} presses of Tab never reach {}; they went {}",
        wanted[next],
        walked.join(", ")
    ));
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_controls_work_from_the_keyboard_with_a_visible_focus() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let (admin_pages, _) = seed(&app).await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    set_viewport(c, DESKTOP.0, DESKTOP.1).await;
    let path_of = |name: &str| {
        admin_pages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no {name} page in staff_pages::seed"))
            .path
            .clone()
    };
    let mut problems = Vec::new();

    // The registration form: every field in reading order, then the button; Enter sends it.
    c.goto(&app.url(&format!("/e/{SLUG}/register")))
        .await
        .unwrap();
    problems.extend(
        tab_through(
            c,
            "register",
            &[
                "#f-name",
                "#f-email",
                "#f-company",
                "#f-job_title",
                "#f-country",
                "#f-phone",
                "#f-decision_role",
                "#f-marketing_consent",
                "form button[type=submit]",
            ],
            60,
        )
        .await,
    );
    press(c, Key::Enter).await;
    c.wait()
        .for_element(Locator::Id("form-errors"))
        .await
        .unwrap();

    // Sign-in: name, password, button; Enter in the password field signs in.
    let user = app.role_user(Role::Marketer).await;
    c.goto(&app.url("/login?next=/admin")).await.unwrap();
    problems.extend(
        tab_through(
            c,
            "sign-in",
            &["#username", "#password", "form button[type=submit]"],
            10,
        )
        .await,
    );
    type_into(c, Locator::Id("username"), &user).await;
    let password = c.find(Locator::Id("password")).await.unwrap();
    password.send_keys("correct horse battery").await.unwrap();
    password.send_keys(&Key::Enter.to_string()).await.unwrap();
    wait_until_path(c, "/admin", "load").await;

    // The lead list: the filters, then the first lead; Enter on it opens the package.
    let leads = path_of("leads");
    c.goto(&app.url(&leads)).await.unwrap();
    problems.extend(
        tab_through(
            c,
            "leads",
            &[
                "#tier",
                "#topic",
                "#owner",
                "form.filters button[type=submit]",
                "table a[href*='/leads/']",
            ],
            60,
        )
        .await,
    );
    let first = c
        .execute(
            "return document.activeElement.getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    press(c, Key::Enter).await;
    wait_until_path(c, first.as_str().unwrap_or_default(), "load").await;

    // A lead package: its links to the attendee's record and the company.
    let package = path_of("lead package");
    c.goto(&app.url(&package)).await.unwrap();
    problems.extend(
        tab_through(
            c,
            "lead package",
            &[
                "nav.crumbs a",
                "a[href*='/attendees/']",
                "a[href*='/companies/']",
            ],
            40,
        )
        .await,
    );

    // A draft campaign: Tab reaches each of its steps and the button that goes on, and Enter
    // follows it to the audience; the rules come name first and save with Enter in the name.
    let campaign = path_of("draft campaign");
    c.goto(&app.url(&campaign)).await.unwrap();
    problems.extend(tab_through(c, "draft campaign", &["ol.overview a", "a.button"], 60).await);
    press(c, Key::Enter).await;
    wait_until_path(c, &campaign, "leave").await;
    let step = c.current_url().await.unwrap().path().to_owned();
    problems.extend(tab_through(c, "campaign audience", &["#cname", "#freq"], 80).await);
    let name = c.find(Locator::Id("cname")).await.unwrap();
    name.clear().await.unwrap();
    name.send_keys(&format!("Spring webinar, renamed{}", Key::Enter))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//*[contains(text(), 'Spring webinar, renamed')]",
        ))
        .await
        .unwrap();
    assert!(
        c.current_url().await.unwrap().path().starts_with(&campaign),
        "saving the rules stays with the campaign ({step})"
    );

    // The kiosk: the pairing code and Enter pair it; the badge field has focus, and a code typed
    // there with Enter is scanned; Tab reaches the direction and the camera.
    let event = app
        .ctx
        .store
        .events()
        .event_by_slug(SLUG)
        .await
        .unwrap()
        .unwrap();
    let device = new_device(&app, &event, Some("Main Hall"), "Side door").await;
    c.goto(&app.url("/kiosk")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("#pairing:not([hidden])"))
        .await
        .unwrap();
    problems.extend(tab_through(c, "kiosk pairing", &["#pair-code", "#pair-submit"], 10).await);
    pair_kiosk(c, &app, &device.pairing_code).await;
    let focused = c
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "wedge", "the badge field has focus once paired");
    c.active_element()
        .await
        .unwrap()
        .send_keys(&format!("typed-by-hand{}", Key::Enter))
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#result:not(.idle)"))
        .await
        .unwrap();
    problems.extend(
        tab_through(
            c,
            "kiosk scanning",
            &["#dir-entry", "#dir-exit", "#camera-toggle"],
            10,
        )
        .await,
    );

    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_address_shows_the_styled_error_page_to_a_browser_and_plain_text_to_scripts() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    app.seed_event().await;
    let get = |path: &str, accept: &'static str| {
        app.client
            .get(app.url(path))
            .header("accept", accept)
            .send()
    };
    let page = "text/html,application/xhtml+xml,*/*;q=0.8";
    let path = format!("/admin/events/{SLUG}/attendees/not-a-number");

    // Nobody signed in, a form's address typed in: the public layout.
    let r = get("/logout", page).await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>405 Method Not Allowed</h1>"), "{html}");
    assert!(html.contains("could not be read"), "{html}");
    assert!(html.contains("Staff sign-in"), "{html}");

    // Signed in: the staff layout.
    app.sign_in(Role::Marketer, "/admin").await;
    let html = get(&path, page).await.unwrap().text().await.unwrap();
    assert!(html.contains("<h1>400 Bad Request</h1>"), "{html}");
    assert!(html.contains("Sign out"), "{html}");

    // A script that did not ask for a page keeps the extractor's plain answer.
    let r = get(&path, "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
}
