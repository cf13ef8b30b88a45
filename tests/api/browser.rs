//! Real headless Chromium, driven over WebDriver: a person registering and getting a badge.

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use badgetrail::{demo::programme::SLUG, domain::badge, jobs::badge_mail, qr};
use fantoccini::{Client, Locator};

use crate::support::{
    app::{Db, cannot_run, spawn_app},
    browser::{CHROMIUM, browser, click, heading_on, type_into},
    forms::{emailed_links, register_badge, valid_form},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_registers_in_chromium_and_the_badge_on_screen_decodes_and_verifies() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = app.seed_event().await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    c.goto(&app.url(&format!("/e/{SLUG}/register")))
        .await
        .unwrap();

    // Submitting an incomplete form shows the errors and keeps what was typed.
    type_into(c, Locator::Id("f-name"), "Grace <b>Hopper</b>").await;
    click(c, Locator::Css("button[type=submit]")).await;
    let alert = c
        .wait()
        .for_element(Locator::Id("form-errors"))
        .await
        .unwrap();
    assert!(alert.text().await.unwrap().contains("highlighted"));
    let name = c.find(Locator::Id("f-name")).await.unwrap();
    assert_eq!(
        name.prop("value").await.unwrap().as_deref(),
        Some("Grace <b>Hopper</b>")
    );

    for (id, value) in [
        ("f-email", "grace@navy.example"),
        ("f-company", "US Navy"),
        ("f-job_title", "Rear Admiral"),
        ("f-country", "United States"),
    ] {
        type_into(c, Locator::Id(id), value).await;
    }
    for (id, value) in [
        ("f-decision_role", "decision_maker"),
        ("f-purchase_stage", "call_for_proposals"),
        ("f-industry", "public"),
        ("f-company_size", "5000_plus"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
    click(c, Locator::Css("input[name=interests][value=ai]")).await;
    click(c, Locator::Id("f-marketing_consent")).await;
    click(c, Locator::Css("button[type=submit]")).await;

    // The page never shows a badge: it goes to the address, which is what proves who it is.
    assert_eq!(heading_on(c, "/registered").await, "Check your inbox");
    assert!(!c.source().await.unwrap().contains("/b/"));
    badge_mail::run_once(&app.ctx).await.unwrap();
    let (badge_url, _) = emailed_links(&app, "grace@navy.example");
    c.goto(&badge_url).await.unwrap();
    let img = c.wait().for_element(Locator::Css("img.qr")).await.unwrap();
    let url = c.current_url().await.unwrap();
    let token = url.path().trim_start_matches("/b/").to_owned();
    let page = c.source().await.unwrap();
    assert!(
        page.contains("Grace &#60;b&#62;Hopper&#60;/b&#62;")
            || page.contains("Grace &lt;b&gt;Hopper&lt;/b&gt;")
    );
    c.wait()
        .for_element(Locator::XPath("//img[contains(@class,'qr') and @alt]"))
        .await
        .unwrap();
    for _ in 0..50 {
        let loaded = c
            .execute("const i = document.querySelector('img.qr'); return i.complete && i.naturalWidth > 0;", vec![])
            .await
            .unwrap();
        if loaded == serde_json::Value::Bool(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // What the person sees is a QR code that decodes to a token this event's key verifies.
    let shot = img.screenshot().await.unwrap();
    let decoded = qr::decode_png(&shot, 20 << 20, 20_000_000).expect("the on-screen QR decodes");
    assert_eq!(decoded, vec![token.clone()]);
    let keys = app.badge_keys(event.id).await;
    let claims = badge::verify(&token, &keys.verifying).expect("the token verifies");
    let attendee = app
        .ctx
        .store
        .attendees()
        .attendee(i64::from(claims.attendee_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attendee.email, "grace@navy.example");
    assert!(attendee.marketing_consent);
    assert_eq!(attendee.interests, ["ai"]);
    b.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_works_from_the_keyboard() {
    use fantoccini::key::Key;
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = app.seed_event().await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    c.goto(&app.url(&format!("/e/{SLUG}/register")))
        .await
        .unwrap();
    // The honeypot is out of the tab order: Tab walks the visible fields in reading order.
    let order = [
        ("f-name", "Katherine Johnson"),
        ("f-email", "katherine@nasa.example"),
        ("f-company", "NASA"),
        ("f-job_title", "Mathematician"),
        ("f-country", "United States"),
    ];
    click(c, Locator::Id("f-name")).await;
    for (i, (id, text)) in order.iter().enumerate() {
        let active = c.active_element().await.unwrap();
        assert_eq!(
            active.attr("id").await.unwrap().as_deref(),
            Some(*id),
            "focus at step {i}"
        );
        active.send_keys(text).await.unwrap();
        active.send_keys(&Key::Tab.to_string()).await.unwrap();
    }
    let phone = c.active_element().await.unwrap();
    assert_eq!(phone.attr("id").await.unwrap().as_deref(), Some("f-phone"));
    for (id, value) in [
        ("f-decision_role", "user"),
        ("f-purchase_stage", "just_learning"),
        ("f-industry", "public"),
        ("f-company_size", "5000_plus"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
    // Enter in a text field submits the form.
    let phone = c.find(Locator::Id("f-phone")).await.unwrap();
    phone.send_keys(&Key::Enter.to_string()).await.unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Check your inbox']"))
        .await
        .unwrap();
    let (rows, total) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 5, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].email, "katherine@nasa.example");
    b.client.clone().close().await.unwrap();
}

/// Types into text fields and picks select options by element id.
async fn fill(c: &Client, texts: &[(&str, &str)], selects: &[(&str, &str)]) {
    for (id, value) in texts {
        let field = c.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    for (id, value) in selects {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_in_chromium_gets_no_badge_and_only_the_emailed_link_changes_answers() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    app.seed_event().await;
    let token = register_badge(&app, &valid_form("ada@example.com")).await;
    let id = app.attendee_id("ada@example.com").await;
    let before = app.stored_attendee(id).await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;

    // A stranger types Ada's address with other answers.
    c.goto(&app.url(&format!("/e/{SLUG}/register")))
        .await
        .unwrap();
    fill(
        c,
        &[
            ("f-name", "Mallory"),
            ("f-email", "Ada@Example.com"),
            ("f-company", "Evil Corp"),
            ("f-job_title", "Intern"),
            ("f-country", "Nowhere"),
        ],
        &[
            ("f-decision_role", "user"),
            ("f-purchase_stage", "just_learning"),
            ("f-industry", "public"),
            ("f-company_size", "1_10"),
        ],
    )
    .await;
    click(c, Locator::Css("button[type=submit]")).await;
    assert_eq!(heading_on(c, "/registered").await, "Check your inbox");
    assert!(!c.source().await.unwrap().contains(&token), "no token");
    assert_eq!(app.stored_attendee(id).await, before, "no row changed");
    let badge = app.get(&format!("/b/{token}")).await;
    assert_eq!(badge.status(), 200, "the real badge keeps working");

    // A link that is not ours opens nothing.
    c.goto(&app.url("/me/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .await
        .unwrap();
    let heading = c.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert_eq!(
        heading.text().await.unwrap(),
        "This link does not open a registration"
    );

    // Ada opens the link from her email and changes her company and her consent.
    badge_mail::run_once(&app.ctx).await.unwrap();
    let (_, manage) = emailed_links(&app, "ada@example.com");
    c.goto(&manage).await.unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[text()='My registration']"))
        .await
        .unwrap();
    assert!(
        c.find(Locator::Id("f-email")).await.is_err(),
        "the address is not editable"
    );
    fill(c, &[("f-company", "Difference Engines Ltd")], &[]).await;
    click(c, Locator::XPath("//button[text()='Save my answers']")).await;
    c.wait()
        .for_element(Locator::XPath("//*[text()='Your answers were saved.']"))
        .await
        .unwrap();
    click(c, Locator::Id("f-marketing_consent")).await;
    click(c, Locator::XPath("//button[text()='Save my email choice']")).await;
    c.wait()
        .for_element(Locator::XPath("//*[text()='Your email choice was saved.']"))
        .await
        .unwrap();
    let ada = app
        .ctx
        .store
        .attendees()
        .attendee(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.answers.company, "Difference Engines Ltd");
    assert_eq!(ada.name, "Ada Lovelace");
    assert!(!ada.marketing_consent);
    let consents = app
        .ctx
        .store
        .attendees()
        .attendee_consents(id)
        .await
        .unwrap();
    let last = consents.last().unwrap();
    assert_eq!((last.granted, last.source.as_str()), (false, "attendee"));
    assert_eq!(last.wording, badgetrail::domain::attendee::CONSENT_WORDING);
    b.client.clone().close().await.unwrap();
}

/// The page size (width, height) in points of the first page of a PDF.
fn media_box(pdf: &[u8]) -> (f64, f64) {
    let text = String::from_utf8_lossy(pdf);
    let start = text.find("/MediaBox [").expect("a MediaBox") + "/MediaBox [".len();
    let numbers: Vec<f64> = text[start..]
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    (numbers[2] - numbers[0], numbers[3] - numbers[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_a6_badge_prints_on_a6_paper_in_chromium() {
    // Chromium's own print to PDF, as a person printing the badge page gets it.
    if !std::path::Path::new(CHROMIUM).exists() {
        cannot_run(
            &format!("Chromium is not installed at {CHROMIUM}"),
            "./scripts/test installs it (apt-get install chromium chromium-driver)",
        );
        return;
    }
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    app.seed_event().await;
    let token = register_badge(&app, &valid_form("print@example.com")).await;
    let dir = tempfile::tempdir().unwrap();
    let mm = |pt: f64| pt * 25.4 / 72.0;
    for (stock, width, height) in [("a6", 105.0, 148.0), ("4x3", 101.6, 76.2)] {
        let pdf = dir.path().join(format!("{stock}.pdf"));
        let url = app.url(&format!("/b/{token}?stock={stock}"));
        let profile = dir.path().join("profile");
        let target = pdf.clone();
        // Off the runtime's threads: the app answers Chromium meanwhile.
        let status = tokio::task::spawn_blocking(move || {
            Command::new(CHROMIUM)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-pdf-header-footer",
                ])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg(format!("--print-to-pdf={}", target.display()))
                .arg(url)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(status.success());
        let (w, h) = media_box(&std::fs::read(&pdf).unwrap());
        assert!(
            (mm(w) - width).abs() < 1.0 && (mm(h) - height).abs() < 1.0,
            "{stock}: {:.1} x {:.1} mm",
            mm(w),
            mm(h)
        );
    }
}
