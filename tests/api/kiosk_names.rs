//! The badge holder's first name on the kiosk screen, in headless Chromium: shown as text
//! when the server's verdict arrives, absent from a verdict made on the device offline.

use serde_json::json;

use crate::support::{
    app::{Db, spawn_app},
    browser::browser,
    door::{new_device, register_as, seed_event_now},
    kiosk_page::{QUEUED, RESULT, eventually, field, pair_kiosk, set_offline, wedge_scan},
};

/// The result panel with its name line: text, markup and whether it shows.
const SHOWN: &str = "const r = document.getElementById('result'); \
    const n = document.getElementById('result-name'); \
    return { state: r.dataset.state, source: r.dataset.source, nonce: r.dataset.nonce, \
             title: document.getElementById('result-title').textContent, \
             name: n.textContent, name_html: n.innerHTML, name_hidden: n.hidden, \
             detail: document.getElementById('result-detail').textContent, \
             elements: r.querySelectorAll('b, i, script').length };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_verdict_shows_the_first_name_as_text() {
    let Some(app) = spawn_app(Db::Sqlite).await else {
        return;
    };
    let event = seed_event_now(&app).await;
    let (zoe, _) = register_as(&app, "zoe@example.com", "<b>Zoë</b> Example").await;
    let (ada, _) = register_as(&app, "ada@example.com", "Ada Lovelace").await;
    let device = new_device(&app, &event, Some("Main Hall"), "Door").await;
    let Some(b) = browser(&[]).await else { return };
    let c = &b.client;
    pair_kiosk(c, &app, &device.pairing_code).await;

    // Online: the device's own verdict first, then the server's with the name.
    let local = wedge_scan(c, &zoe).await;
    let nonce = field(&local, "nonce").to_owned();
    let shown = eventually(c, 15, SHOWN, |v| {
        field(v, "nonce") == nonce && field(v, "source") == "server"
    })
    .await;
    assert_eq!(field(&shown, "state"), "accepted", "{shown}");
    assert_eq!(field(&shown, "title"), "Welcome");
    assert_eq!(field(&shown, "name"), "<b>Zoë</b>", "{shown}");
    assert_eq!(field(&shown, "name_html"), "&lt;b&gt;Zoë&lt;/b&gt;");
    assert_eq!(shown["name_hidden"], false);
    assert_eq!(
        shown["elements"], 0,
        "the name is text, not markup: {shown}"
    );
    assert_eq!(
        field(&shown, "detail"),
        "Opening keynote: the next decade of cloud"
    );

    // The same badge again: the server says so, with the name.
    let again = wedge_scan(c, &zoe).await;
    let nonce = field(&again, "nonce").to_owned();
    let shown = eventually(c, 15, SHOWN, |v| {
        field(v, "nonce") == nonce && field(v, "source") == "server"
    })
    .await;
    assert_eq!(field(&shown, "state"), "duplicate", "{shown}");
    assert_eq!(field(&shown, "name"), "<b>Zoë</b>");
    eventually(c, 15, QUEUED, |v| v == "0").await;

    // Offline the device decides alone and knows no names.
    set_offline(c, true).await;
    c.execute("window.dispatchEvent(new Event('offline'));", vec![])
        .await
        .unwrap();
    let local = wedge_scan(c, &ada).await;
    assert_eq!(field(&local, "state"), "accepted", "{local}");
    assert_eq!(field(&local, "source"), "local");
    let shown = c.execute(SHOWN, vec![]).await.unwrap();
    assert_eq!(field(&shown, "nonce"), field(&local, "nonce"));
    assert_eq!(field(&shown, "name"), "", "{shown}");
    assert_eq!(shown["name_hidden"], true);
    eventually(c, 15, QUEUED, |v| v == "1").await;

    // Back online, the queued scan is sent and its server verdict brings the name.
    set_offline(c, false).await;
    let nonce = field(&local, "nonce").to_owned();
    let shown = eventually(c, 30, SHOWN, |v| {
        field(v, "nonce") == nonce && field(v, "source") == "server"
    })
    .await;
    assert_eq!(field(&shown, "name"), "Ada", "{shown}");
    let result = c.execute(RESULT, vec![]).await.unwrap();
    assert!(field(&result, "text").contains("Ada"), "{result}");
    assert_eq!(
        c.execute(
            "return window.kiosk.rejected().then(r => r.length);",
            vec![]
        )
        .await
        .unwrap(),
        json!(0)
    );
    b.client.clone().close().await.unwrap();
}
