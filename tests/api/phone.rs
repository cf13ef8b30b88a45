//! Staff pages on a phone, in headless Chromium: every page fits a 390 px wide screen without
//! sideways scrolling, its buttons, fields and navigation links are big enough to tap, and
//! chart text stays readable; the same pages still fit a 1280 px desktop window.
//!
//! `seed` builds the staff pages that every browser check opens: `accessibility.rs` opens the
//! same list for every role, runs axe on each page and keeps its screenshots.

use badgetrail::domain::user::Role;
use fantoccini::Client;
use serde_json::json;

use crate::support::{
    app::{Db, TestApp, spawn_app},
    browser::{browser, browser_login, submit_login},
    staff_pages::{DESKTOP, PHONE, Page, page, seed, set_viewport},
};

/// The smallest comfortable touch target, in CSS pixels.
const TOUCH: f64 = 44.0;
/// The smallest chart text that reads on a phone, in CSS pixels.
const CHART_TEXT: f64 = 11.0;

/// What a page looks like at one window width, measured in the page.
const MEASURE: &str = r#"
// The page's width: the window's, less a scroll bar that takes room (a phone's does not).
const width = document.documentElement.clientWidth;
const describe = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
  + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
const clipped = (e) => {
  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true;
  }
  return false;
};
const sticksOut = (e) => e.getBoundingClientRect().right > width + 0.5;
const wide = [...document.body.querySelectorAll('*')]
  .filter((e) => sticksOut(e) && !clipped(e) && !(e.parentElement && sticksOut(e.parentElement)))
  .slice(0, 4).map(describe);
const targets = 'button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
  + 'label.check, header a, nav a';
const small = [...document.querySelectorAll(targets)]
  .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().height < arguments[0])
  .slice(0, 4)
  .map((e) => `${describe(e)} "${(e.innerText || e.value || e.name || '').trim().slice(0, 30)}" `
    + `${Math.round(e.getBoundingClientRect().height)} px`);
const chartText = [...document.querySelectorAll('svg.chart text')]
  .map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
return {
  inner: window.innerWidth,
  client: width,
  scroll: document.documentElement.scrollWidth,
  wide,
  small,
  chart_text: chartText.length ? Math.min(...chartText) : null,
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_staff_page_fits_a_phone_screen_without_sideways_scrolling() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let (admin_pages, sales_pages) = seed(&app).await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    let mut failures = Vec::new();

    let login = [
        page("staff sign-in", "/login"),
        page("door kiosk", "/kiosk"),
    ];
    check(c, &app, &login, &mut failures).await;
    browser_login(c, &app, Role::Admin, "/admin").await;
    check(c, &app, &admin_pages, &mut failures).await;
    c.delete_all_cookies().await.unwrap();
    submit_login(c, &app, "sally", "/sales/leads").await;
    check(c, &app, &sales_pages, &mut failures).await;

    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
    b.client.clone().close().await.unwrap();
}

/// Opens each page at both widths and notes every way it does not fit.
async fn check(c: &Client, app: &TestApp, pages: &[Page], failures: &mut Vec<String>) {
    for (width, height) in [PHONE, DESKTOP] {
        set_viewport(c, width, height).await;
        for p in pages {
            c.goto(&app.url(&p.path)).await.unwrap();
            let url = c.current_url().await.unwrap();
            let landed = format!(
                "{}{}",
                url.path(),
                url.query().map_or(String::new(), |q| format!("?{q}"))
            );
            assert_eq!(landed, p.path, "{} opens without a redirect", p.name);
            let m = c.execute(MEASURE, vec![json!(TOUCH)]).await.unwrap();
            let number = |k: &str| m[k].as_f64().unwrap();
            let (inner, client, scroll) = (number("inner"), number("client"), number("scroll"));
            eprintln!("{width:>5} px  {:<32} {scroll} px wide", p.name);
            let at = format!("{} ({}) at {width} px", p.name, p.path);
            if inner != f64::from(width) {
                failures.push(format!("{at}: the window is {inner} px wide"));
            }
            // scrollWidth <= innerWidth, and no wider than the page once a scroll bar is drawn.
            if scroll > client {
                failures.push(format!(
                    "{at}: scrolls sideways, {scroll} px of content in {client} px; sticking out: {}",
                    m["wide"]
                ));
            }
            if width != PHONE.0 {
                continue;
            }
            if m["small"].as_array().is_some_and(|s| !s.is_empty()) {
                failures.push(format!(
                    "{at}: touch targets under {TOUCH} px: {}",
                    m["small"]
                ));
            }
            if let Some(px) = m["chart_text"].as_f64().filter(|px| *px < CHART_TEXT) {
                failures.push(format!("{at}: chart text is {px:.1} px"));
            }
        }
    }
}
