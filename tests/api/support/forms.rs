//! The public registration form (a valid set of fields, posted with its CSRF token), the badge
//! token it leads to, and the links of the badge email in the outbox.

use badgetrail::{
    demo,
    domain::attendee::{Answers, RegistrationInput},
};

use super::app::TestApp;
use crate::support::app::demo_event;

/// The badge link and the "my registration" link of the newest badge email to `to` in the
/// outbox, as absolute URLs.
pub fn emailed_links(app: &TestApp, to: &str) -> (String, String) {
    let mut newest: Option<(std::time::SystemTime, String)> = None;
    for entry in std::fs::read_dir(app.outbox()).unwrap() {
        let path = entry.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let addressed = msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .is_some_and(|a| a.eq_ignore_ascii_case(to));
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        if addressed && newest.as_ref().is_none_or(|(t, _)| modified >= *t) {
            newest = Some((modified, msg.body_text(0).unwrap().into_owned()));
        }
    }
    let (_, text) = newest.unwrap_or_else(|| panic!("no badge email to {to} in the outbox"));
    let link = |part: &str| {
        text.split_whitespace()
            .find(|w| w.starts_with(&app.address) && w[app.address.len()..].starts_with(part))
            .unwrap_or_else(|| panic!("no {part} link in {text}"))
            .to_owned()
    };
    (link("/b/"), link("/me/"))
}

pub fn extract_csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + 43].to_owned()
}

/// A complete, valid registration form.
pub fn valid_form(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "Ada Lovelace".into()),
        ("email", email.into()),
        ("company", "Analytical Engines".into()),
        ("job_title", "CTO".into()),
        ("country", "United Kingdom".into()),
        ("phone", "".into()),
        ("decision_role", "decision_maker".into()),
        ("purchase_stage", "look_for_suppliers".into()),
        ("industry", "software".into()),
        ("company_size", "51_200".into()),
        ("interests", "ai".into()),
        ("interests", "big-data".into()),
        ("marketing_consent", "yes".into()),
    ]
}

/// Posts a registration form with this client's CSRF token.
pub async fn post_registration(
    app: &TestApp,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let path = format!("/e/{}/register", demo::programme::SLUG);
    let csrf = app.csrf(&path).await;
    let mut form: Vec<(&str, String)> = vec![("csrf", csrf)];
    form.extend(fields.iter().cloned());
    app.post_form(&path, &form).await
}

/// The badge token from a registration redirect.
/// Registers through the public form (which shows no badge) and returns the badge token the
/// attendee's email carries, read from the store.
pub async fn register_badge(app: &TestApp, fields: &[(&'static str, String)]) -> String {
    let r = post_registration(app, fields).await;
    assert_eq!(r.status(), 303, "registration accepted");
    assert_eq!(
        r.headers()["location"],
        format!("/e/{}/registered", demo::programme::SLUG).as_str()
    );
    let email = fields
        .iter()
        .find(|(k, _)| *k == "email")
        .map(|(_, v)| badgetrail::domain::email::Email::parse(v).expect("a valid address"))
        .expect("an email field");
    let event = demo_event(&app.ctx.store).await;
    let id = app
        .ctx
        .store
        .attendees()
        .attendee_id_by_email(event.id, email.as_str())
        .await
        .unwrap()
        .expect("registered");
    app.ctx
        .store
        .attendees()
        .attendee(id)
        .await
        .unwrap()
        .unwrap()
        .token
}

/// What `valid_form` registers, as the importer reads it: a CTO and decision maker at
/// Analytical Engines looking for suppliers, no interests; with this name, address and
/// marketing consent.
pub fn registration_input(name: &str, email: &str, marketing_consent: bool) -> RegistrationInput {
    RegistrationInput {
        email: email.to_owned(),
        name: name.to_owned(),
        answers: Answers {
            company: "Analytical Engines".into(),
            job_title: "CTO".into(),
            decision_role: "decision_maker".into(),
            purchase_stage: "look_for_suppliers".into(),
            industry: "software".into(),
            company_size: "51_200".into(),
            country: "United Kingdom".into(),
        },
        phone: String::new(),
        interests: vec![],
        marketing_consent,
    }
}

/// `text` as the pages show it (askama escapes these characters).
pub fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
