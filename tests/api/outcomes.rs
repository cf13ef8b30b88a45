//! Sales outcomes close the loop, on both databases: the playbook gives each outcome its
//! next action (custom outcomes included), the due list shows who to reach now, the next
//! lead build acts on the outcomes, and follow-up email honours "no email".

use badgetrail::{
    accounts,
    domain::{
        campaigns::audience::Exclusion,
        leads::package::LeadPackage,
        leads::playbook::{NextContent, NextOwner},
        user::Role,
    },
    jobs, leads,
};
use jiff::{Timestamp, ToSpan, tz::TimeZone};

use crate::support::{
    app::{Db, TestApp, old_database, raw, spawn_app, spawn_app_with},
    campaign::{eml_files, new_campaign},
    command::run,
    forms::extract_csrf,
    lead_build::{event_with_day, opts, sales_owners, write_file},
    smtp_sink::{SinkOptions, SmtpSink},
    staff::{get, signed_in},
    stored_leads::fixture,
};

crate::on_both_backends!(
    the_playbook_decides_the_next_action_of_each_outcome,
    the_due_list_shows_who_to_reach_now_and_why,
    the_next_build_acts_on_recorded_outcomes,
    follow_up_email_honours_a_no_email_next_action,
    a_changed_playbook_restates_next_actions_after_a_dry_run,
    feedback_recorded_before_the_playbook_gets_the_default_next_actions,
    the_command_line_lists_who_is_due_and_applies_a_playbook,
    missed_deadlines_remind_escalate_and_reassign_once_each,
    two_instances_checking_deadlines_at_once_remind_once,
);

const PLAYBOOK: &str = r#"
[outcome.won]
recontact_after = "3 months"

[outcome.demo_requested]
label = "Demo requested"
owner = "sales"
recontact_after = "3 days"
content = "top_topic"
email = false
tag = "in_sales"
"#;

async fn post_outcome(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    csrf: &str,
    outcome: &str,
) -> reqwest::Response {
    client
        .post(app.url(&format!("{path}/feedback")))
        .form(&[("outcome", outcome), ("note", ""), ("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

async fn the_playbook_decides_the_next_action_of_each_outcome(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    write_file(&app, "playbook", PLAYBOOK);
    let (sally, _) = signed_in(&app, "sally", Role::Sales).await;
    let ada = f.ids[0];
    let path = format!("/sales/leads/{}/{ada}", f.slug);

    // The playbook's own outcome is offered beside the standard ones.
    let (status, html) = get(&sally, &app, &path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"demo_requested\" required> Demo requested"),
        "{html}"
    );
    assert!(html.contains("value=\"won\" required> Won"));
    let csrf = extract_csrf(&html);

    let r = post_outcome(&sally, &app, &path, &csrf, "Demo requested").await;
    assert_eq!(r.status(), 303);
    let tz = TimeZone::get(&f.event.info.time_zone).unwrap();
    let history = app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap();
    let demo = &history[0];
    assert_eq!(demo.outcome, "demo_requested");
    assert_eq!(demo.next.owner, NextOwner::Sales);
    assert!(!demo.next.email);
    let at = Timestamp::from_millisecond(demo.at).unwrap();
    assert_eq!(
        demo.next.due_at,
        Some(
            at.to_zoned(tz.clone())
                .checked_add(3.days())
                .unwrap()
                .timestamp()
        )
    );

    // A standard outcome the file changes keeps the rest of its default play.
    let r = post_outcome(&sally, &app, &path, &csrf, "won").await;
    assert_eq!(r.status(), 303);
    let won = &app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap()[0];
    let at = Timestamp::from_millisecond(won.at).unwrap();
    assert_eq!(
        won.next.due_at,
        Some(at.to_zoned(tz).checked_add(3.months()).unwrap().timestamp())
    );
    assert_eq!(won.next.content, NextContent::NextNeed);
    assert_eq!(won.next.tag, "customer");

    // The page says what happens now and what each outcome led to.
    let (_, html) = get(&sally, &app, &path).await;
    assert!(html.contains("id=\"next-action\""), "{html}");
    assert!(html.contains("<td>Demo requested</td>"), "{html}");
    assert!(html.contains("their likely next need"), "{html}");

    // An outcome neither standard nor in the playbook is refused, nothing written.
    let recorded = || app.ctx.store.leads().lead_feedback(f.event.id, ada);
    let r = post_outcome(&sally, &app, &path, &csrf, "maybe_later").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("demo_requested"));
    assert_eq!(recorded().await.unwrap().len(), 2);

    // A broken playbook refuses recording rather than guessing.
    write_file(&app, "playbook", "[outcome.won]\nonwer = \"sales\"\n");
    let r = post_outcome(&sally, &app, &path, &csrf, "won").await;
    assert_eq!(r.status(), 500);
    assert_eq!(recorded().await.unwrap().len(), 2);
}

async fn the_due_list_shows_who_to_reach_now_and_why(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (ada, bob, cy, dee) = (f.ids[0], f.ids[1], f.ids[2], f.ids[3]);
    let weeks_ago = |w: i64| Timestamp::now() - (w * 7 * 24).hours();
    let record = |who, owner, outcome: &'static str, at| {
        leads::feedback::record(&app.ctx, &f.event, who, owner, outcome, "", at)
    };
    // Ada: need unclear 6 weeks ago, re-contact after a month: due, for marketing.
    record(ada, f.sally, "need_unclear", weeks_ago(6))
        .await
        .unwrap();
    // Bob: contacted 3 weeks ago by sam, check back after 2 weeks: due, for sam.
    record(bob, f.sam, "contacted", weeks_ago(3)).await.unwrap();
    // Cy: not a fit: never due.
    record(cy, f.sally, "not_a_fit", weeks_ago(6))
        .await
        .unwrap();
    // Dee: buying within a year, 6 weeks ago: due in about 7 months.
    record(dee, f.sally, "buying_within_year", weeks_ago(6))
        .await
        .unwrap();

    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, "/due").await;
    assert_eq!(status, 200);
    let admin = format!("/admin/events/{}/leads/", f.slug);
    let sales = format!("/sales/leads/{}/", f.slug);
    assert!(html.contains(&format!("{admin}{ada}\"")), "{html}");
    assert!(html.contains(&format!("{sales}{bob}\"")) || html.contains(&format!("{admin}{bob}\"")));
    assert!(
        !html.contains(&format!("/{cy}\"")),
        "not a fit is never due: {html}"
    );
    assert!(!html.contains(&format!("/{dee}\"")), "not due yet: {html}");
    assert!(html.contains("Need unclear, recorded"), "{html}");
    assert!(
        html.contains("educational content on their top topic"),
        "{html}"
    );

    let (_, html) = get(&marketer, &app, "/due?within=366").await;
    assert!(html.contains(&format!("/{dee}\"")), "{html}");
    assert!(
        !html.contains(&format!("/{cy}\"")),
        "not a fit is never due: {html}"
    );

    // A salesperson sees only what is theirs to do.
    let (sam, _) = signed_in(&app, "sam", Role::Sales).await;
    let (status, html) = get(&sam, &app, "/due?within=366").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("class=\"brand\" href=\"/sales/leads\""),
        "a salesperson's home is their leads, not the dashboard they may not open"
    );
    assert!(html.contains(&format!("{sales}{bob}\"")), "{html}");
    for other in [ada, cy, dee] {
        assert!(!html.contains(&format!("/{other}\"")), "{html}");
    }
    let (sally, _) = signed_in(&app, "sally", Role::Sales).await;
    let (_, html) = get(&sally, &app, "/due?within=366").await;
    assert!(
        html.contains("id=\"nobody-due\""),
        "nurture is marketing's: {html}"
    );

    // Door staff have no due list; a silly look-ahead is refused.
    let (staff, _) = signed_in(&app, "stan", Role::Staff).await;
    assert_eq!(get(&staff, &app, "/due").await.0, 403);
    assert_eq!(get(&marketer, &app, "/due?within=100000").await.0, 400);
}

async fn the_next_build_acts_on_recorded_outcomes(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    sales_owners(&app).await;
    let (event, _) = event_with_day(&app, 120, 31).await;
    write_file(
        &app,
        "routing",
        include_str!("../../examples/cloud-summit-routing.toml"),
    );
    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let rows = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let mut routed = rows.iter().filter(|r| r.lead.owner_id.is_some());
    let (unfit, won) = (routed.next().unwrap(), routed.next().unwrap());
    let now = Timestamp::now();
    for (row, outcome) in [(unfit, "not_a_fit"), (won, "won")] {
        let owner = row.lead.owner_id.unwrap();
        leads::feedback::record(
            &app.ctx,
            &event,
            row.lead.attendee_id,
            owner,
            outcome,
            "",
            now,
        )
        .await
        .unwrap();
    }

    leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let after = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    let find = |id: i64| after.iter().find(|r| r.lead.attendee_id == id).unwrap();
    let unfit_now = find(unfit.lead.attendee_id);
    assert_eq!(unfit_now.lead.owner_id, None, "not handed to sales again");
    assert!(
        unfit_now
            .lead
            .explanation
            .contains("Sales recorded \"Not a fit\" on"),
        "{}",
        unfit_now.lead.explanation
    );
    assert!(
        unfit_now
            .lead
            .explanation
            .ends_with("Not handed to sales again.")
    );
    let won_now = find(won.lead.attendee_id);
    assert_eq!(
        won_now.lead.owner_id, won.lead.owner_id,
        "stays with its owner"
    );
    assert!(won_now.lead.explanation.contains("They are a customer."));
    let p: LeadPackage = won_now.lead.package().unwrap();
    let follow = p.follow_up.unwrap();
    assert_eq!(
        (follow.outcome.as_str(), follow.tag.as_str()),
        ("won", "customer")
    );
    // The outcomes themselves are kept.
    for row in [unfit, won] {
        let kept = app
            .ctx
            .store
            .leads()
            .lead_feedback(event.id, row.lead.attendee_id)
            .await
            .unwrap();
        assert_eq!(kept.len(), 1);
    }
    // Leads nobody gave feedback on are untouched by it.
    let untouched = after
        .iter()
        .find(|r| {
            ![unfit.lead.attendee_id, won.lead.attendee_id].contains(&r.lead.attendee_id)
                && r.lead.owner_id.is_some()
        })
        .unwrap();
    assert!(!untouched.lead.explanation.contains("Sales recorded"));
}

async fn follow_up_email_honours_a_no_email_next_action(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (ada, cy) = (f.ids[0], f.ids[2]);
    let now = Timestamp::now();
    leads::feedback::record(&app.ctx, &f.event, cy, f.sally, "not_a_fit", "", now)
        .await
        .unwrap();
    leads::feedback::record(
        &app.ctx,
        &f.event,
        ada,
        f.sally,
        "buying_within_year",
        "",
        now,
    )
    .await
    .unwrap();
    app.login_as(Role::Marketer).await;
    new_campaign(&app, &f.slug, "After the summit", "after").await;
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign_by_slug(f.event.id, "after")
        .await
        .unwrap()
        .unwrap();
    let view = badgetrail::edm::audience(&app.ctx, &c, now).await.unwrap();
    assert_eq!(view.plan.exclusion_of(cy), Some(Exclusion::SalesFeedback));
    assert_ne!(view.plan.exclusion_of(ada), Some(Exclusion::SalesFeedback));
    assert_eq!(view.summary.excluded[&Exclusion::SalesFeedback], 1);

    // A later outcome that allows email again lifts it.
    leads::feedback::record(&app.ctx, &f.event, cy, f.sally, "need_unclear", "", now)
        .await
        .unwrap();
    let view = badgetrail::edm::audience(&app.ctx, &c, now).await.unwrap();
    assert_ne!(view.plan.exclusion_of(cy), Some(Exclusion::SalesFeedback));
}

async fn a_changed_playbook_restates_next_actions_after_a_dry_run(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (ada, cy) = (f.ids[0], f.ids[2]);
    let now = Timestamp::now();
    let record = |who, outcome: &'static str| {
        leads::feedback::record(&app.ctx, &f.event, who, f.sally, outcome, "", now)
    };
    record(ada, "contacted").await.unwrap();
    record(ada, "need_unclear").await.unwrap();
    record(cy, "won").await.unwrap();
    let book = badgetrail::formats::lead_files::parse_playbook(
        "[outcome.need_unclear]\nrecontact_after = \"2 weeks\"\nemail = false\n",
    )
    .unwrap();

    let dry = leads::feedback::restate(&app.ctx, &f.event, &book, true)
        .await
        .unwrap();
    assert_eq!(dry.leads, 2);
    assert_eq!(dry.changed.len(), 1, "only Ada's latest outcome changes");
    assert_eq!(dry.changed[0].feedback.attendee_id, ada);
    assert!(!dry.changed[0].next.email);
    let stored = &app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap()[0];
    assert!(stored.next.email, "a dry run stores nothing");

    let done = leads::feedback::restate(&app.ctx, &f.event, &book, false)
        .await
        .unwrap();
    assert_eq!(done.changed.len(), 1);
    let history = app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap();
    assert!(!history[0].next.email);
    let tz = TimeZone::get(&f.event.info.time_zone).unwrap();
    let at = Timestamp::from_millisecond(history[0].at).unwrap();
    assert_eq!(
        history[0].next.due_at,
        Some(at.to_zoned(tz).checked_add(2.weeks()).unwrap().timestamp())
    );
    assert_eq!(history[1].outcome, "contacted");
    assert_eq!(
        history[1].next.owner,
        NextOwner::Sales,
        "history stays as it was"
    );
    let again = leads::feedback::restate(&app.ctx, &f.event, &book, false)
        .await
        .unwrap();
    assert!(again.changed.is_empty(), "restating twice changes nothing");
}

async fn feedback_recorded_before_the_playbook_gets_the_default_next_actions(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    // A database as the schema before next actions left it, with feedback in it.
    let Some((fresh, store, event)) = old_database(db, dir.path(), 13).await else {
        return;
    };
    let now = Timestamp::now();
    accounts::upsert_user(
        &store,
        "sally",
        "Sally",
        Role::Sales,
        "correct horse battery",
        now,
    )
    .await
    .unwrap();
    let sally = store
        .accounts()
        .user_by_username("sally")
        .await
        .unwrap()
        .unwrap()
        .id;
    raw(
        db,
        &fresh.url,
        format!(
            "INSERT INTO attendees (event_id, email, name, company, job_title, decision_role,
             purchase_stage, industry, company_size, country, marketing_consent, source,
             badge_serial, registered_at, updated_at)
         VALUES ({}, 'ada@example.com', 'Ada', 'Acme', 'CTO', 'decision_maker', 'evaluating',
             'finance', '1000_plus', 'Germany', TRUE, 'import', 1, 0, 0)",
            event.id
        ),
    )
    .await;
    let ada = store
        .attendees()
        .attendee_id_by_email(event.id, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let at: Timestamp = "2026-01-31T12:00:00.250Z".parse().unwrap();
    let ms = at.as_millisecond();
    for (i, outcome) in ["contacted", "not_a_fit", "buying_within_year"]
        .iter()
        .enumerate()
    {
        raw(
            db,
            &fresh.url,
            format!(
                "INSERT INTO lead_feedback (event_id, attendee_id, user_id, outcome, note, at)
             VALUES ({}, {ada}, {sally}, '{outcome}', 'kept', {})",
                event.id,
                ms + i as i64
            ),
        )
        .await;
    }

    store.migrate().await.unwrap();
    let history = store.leads().lead_feedback(event.id, ada).await.unwrap();
    let by = |o: &str| history.iter().find(|f| f.outcome == o).unwrap();
    assert_eq!(history.len(), 3);
    assert!(
        history
            .iter()
            .all(|f| f.note == "kept" && f.user_id == sally)
    );
    let buying = by("buying_within_year");
    assert_eq!(buying.next.owner, NextOwner::Nurture);
    assert_eq!(
        buying.next.due_at,
        Some("2026-10-31T12:00:00.252Z".parse().unwrap()),
        "nine months on, in UTC"
    );
    assert!(buying.next.email);
    let unfit = by("not_a_fit");
    assert_eq!(
        (unfit.next.owner, unfit.next.due_at),
        (NextOwner::Nobody, None)
    );
    assert!(!unfit.next.email);
    let contacted = by("contacted");
    assert_eq!(contacted.next.owner, NextOwner::Sales);
    assert_eq!(contacted.next.due_at, Some(at + (14 * 24).hours()));
    assert_eq!(contacted.next.tag, "in_sales");
    // The same as the default playbook gives them today (months counted in UTC).
    let book = badgetrail::domain::leads::playbook::Playbook::default();
    for f in &history {
        let expected = book.next_action(
            &f.outcome,
            Timestamp::from_millisecond(f.at).unwrap(),
            &TimeZone::UTC,
        );
        assert_eq!(f.next, expected, "{}", f.outcome);
    }
    store.close().await;
}

async fn the_command_line_lists_who_is_due_and_applies_a_playbook(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let ada = f.ids[0];
    let six_weeks_ago = Timestamp::now() - (6 * 7 * 24).hours();
    leads::feedback::record(
        &app.ctx,
        &f.event,
        ada,
        f.sally,
        "need_unclear",
        "",
        six_weeks_ago,
    )
    .await
    .unwrap();

    let (ok, out, err) = run(&app, &["feedback", "due"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("{}\t{ada}\tAda Lovelace", f.slug)),
        "{out}"
    );
    assert!(
        out.contains("educational content on their top topic"),
        "{out}"
    );

    let (ok, defaults, err) = run(&app, &["feedback", "defaults"]);
    assert!(ok, "{err}");
    assert_eq!(
        badgetrail::formats::lead_files::parse_playbook(&defaults).unwrap(),
        badgetrail::domain::leads::playbook::Playbook::default()
    );

    write_file(&app, "playbook", "[outcome.need_unclear]\nemail = false\n");
    let (ok, out, err) = run(
        &app,
        &["feedback", "playbook", "--event", &f.slug, "--dry-run"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("1 lead(s) with feedback; next action would change for 1"),
        "{out}"
    );
    assert!(out.contains("no follow-up email"), "{out}");
    let stored = &app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap()[0];
    assert!(stored.next.email, "a dry run stores nothing");
    let (ok, out, err) = run(&app, &["feedback", "playbook", "--event", &f.slug]);
    assert!(ok, "{err}");
    assert!(out.contains("next action changed for 1"), "{out}");
    let stored = &app
        .ctx
        .store
        .leads()
        .lead_feedback(f.event.id, ada)
        .await
        .unwrap()[0];
    assert!(!stored.next.email);

    write_file(
        &app,
        "playbook",
        "\n[outcome.need_unclear]\nemial = false\n",
    );
    let (ok, _, err) = run(
        &app,
        &["feedback", "playbook", "--event", &f.slug, "--dry-run"],
    );
    assert!(!ok);
    assert!(err.contains("playbook.toml:3"), "{err}");
}

/// The text of an email as its reader sees it (quoted-printable decoded).
fn body(raw: &[u8]) -> String {
    let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
    parsed.body_text(0).unwrap().into_owned()
}

async fn missed_deadlines_remind_escalate_and_reassign_once_each(db: Db) {
    let Some(sink) = SmtpSink::start(SinkOptions::default()) else {
        return;
    };
    let mail = sink.settings();
    let Some(app) = spawn_app_with(db, move |s| {
        s.mail = mail;
        s.leads.deadline_check_minutes = 0;
    })
    .await
    else {
        return;
    };
    let f = fixture(&app, 0).await;
    let (ada, bob, cy, dee) = (f.ids[0], f.ids[1], f.ids[2], f.ids[3]);
    signed_in(&app, "mia", Role::Marketer).await;
    let store = &app.ctx.store;
    for (who, address) in [("sally", "sally@example.com"), ("mia", "mia@example.com")] {
        assert!(
            store
                .leads()
                .set_user_email(who, Some(address))
                .await
                .unwrap()
        );
    }
    write_file(
        &app,
        "routing",
        "fallback = \"sam\"\nmanager = \"mia\"\nreassign_to_fallback = true\nescalate_after_working_days = 5\n",
    );

    // Now: Ada (48 h late) and Dee (2 h late) are overdue; sally is reminded of each, once.
    let now = Timestamp::now();
    let run = jobs::feedback_deadlines::run_once(&app.ctx, now)
        .await
        .unwrap();
    assert_eq!(
        (run.overdue, run.reminded, run.escalated, run.reassigned),
        (2, 2, 0, 0)
    );
    let mails = sink.received(2);
    for m in &mails {
        assert_eq!(m.rcpt_to, ["sally@example.com"]);
    }
    let texts: Vec<String> = mails.iter().map(|m| body(&m.raw)).collect();
    let link = |id: i64| {
        format!(
            "{}/sales/leads/{}/{id}",
            app.ctx.settings.public_url, f.slug
        )
    };
    assert!(texts.iter().any(|t| t.contains(&link(ada))), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains(&link(dee))), "{texts:?}");
    let again = jobs::feedback_deadlines::run_once(&app.ctx, now)
        .await
        .unwrap();
    assert_eq!(
        (again.reminded, again.failed),
        (0, 0),
        "running twice sends nothing twice"
    );

    // Dee gets an outcome; two weeks on, every other lead is past its escalation.
    leads::feedback::record(&app.ctx, &f.event, dee, f.sally, "contacted", "", now)
        .await
        .unwrap();
    let later = now + (14 * 24).hours();
    let run = jobs::feedback_deadlines::run_once(&app.ctx, later)
        .await
        .unwrap();
    // Bob is sam's own (the fallback): reminded (no address) and escalated, not reassigned.
    // Cy: reminded, escalated, reassigned. Ada: escalated, reassigned.
    assert_eq!(
        (run.reminded, run.escalated, run.reassigned),
        (2, 3, 2),
        "{run:?}"
    );
    assert_eq!(
        run.no_address, 3,
        "sam has no address: one reminder, two handovers"
    );
    assert_eq!(run.failed, 0);
    let mails = sink.received(6);
    let to_mia: Vec<String> = mails[2..]
        .iter()
        .filter(|m| m.rcpt_to == ["mia@example.com"])
        .map(|m| body(&m.raw))
        .collect();
    assert_eq!(to_mia.len(), 3);
    let admin_link = format!(
        "{}/admin/events/{}/leads/{ada}",
        app.ctx.settings.public_url, f.slug
    );
    assert!(to_mia.iter().any(|t| t.contains(&admin_link)), "{to_mia:?}");

    let steps = store
        .leads()
        .lead_deadline_steps(f.event.id, ada)
        .await
        .unwrap();
    let taken: Vec<(&str, Option<&str>, &str)> = steps
        .iter()
        .map(|s| (s.step.key(), s.to.as_deref(), s.state.as_str()))
        .collect();
    assert_eq!(
        taken,
        [
            ("reminded", Some("sally"), "sent"),
            ("escalated", Some("mia"), "sent"),
            ("reassigned", Some("sam"), "no_address"),
        ]
    );
    let lead = store.leads().lead(f.event.id, ada).await.unwrap().unwrap();
    assert_eq!(
        lead.lead.owner_id,
        Some(f.sam),
        "the fallback owner has it now"
    );
    assert!(
        lead.lead.due_at.unwrap() > later.as_millisecond(),
        "with a fresh deadline"
    );
    assert_eq!(
        store
            .leads()
            .lead_deadline_steps(f.event.id, dee)
            .await
            .unwrap()
            .len(),
        1
    );
    let bob_steps = store
        .leads()
        .lead_deadline_steps(f.event.id, bob)
        .await
        .unwrap();
    assert_eq!(bob_steps.len(), 2);
    assert_eq!(
        store
            .leads()
            .lead_deadline_steps(f.event.id, cy)
            .await
            .unwrap()
            .len(),
        3
    );

    // Once more: nothing new is taken, nobody is emailed again.
    let again = jobs::feedback_deadlines::run_once(&app.ctx, later)
        .await
        .unwrap();
    assert_eq!(
        again.reminded + again.escalated + again.reassigned + again.failed,
        0
    );
    app.ctx.mail.close().await;
    sink.wait_until_no_session_is_open();
    assert_eq!(eml_files(&sink.received).len(), 6);

    // The package shows the steps; the report counts how each owner kept their deadlines.
    let (marketer, _) = signed_in(&app, "mona", Role::Marketer).await;
    let (_, html) = get(
        &marketer,
        &app,
        &format!("/admin/events/{}/leads/{ada}", f.slug),
    )
    .await;
    assert!(html.contains("id=\"deadline-steps\""), "{html}");
    assert!(html.contains("reassigned to the fallback owner"), "{html}");
    let (_, html) = get(
        &marketer,
        &app,
        &format!("/admin/events/{}/leads/report", f.slug),
    )
    .await;
    let row = html
        .split("<th scope=\"row\">sally</th>")
        .nth(1)
        .expect("sally has a row")
        .split("</tr>")
        .next()
        .unwrap()
        .to_owned();
    // Sally: Dee answered after its deadline (late); Ada and Cy were taken from her.
    let cells: Vec<&str> = row
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    assert_eq!(cells, ["0", "1", "0", "2", "0", "0.0%"], "{row}");
}

async fn two_instances_checking_deadlines_at_once_remind_once(db: Db) {
    let Some(app) = spawn_app_with(db, |s| s.leads.deadline_check_minutes = 0).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    assert!(
        app.ctx
            .store
            .leads()
            .set_user_email("sally", Some("sally@example.com"))
            .await
            .unwrap()
    );
    let other = app.another_instance().await;
    let now = Timestamp::now();
    let (a, b) = tokio::join!(
        jobs::feedback_deadlines::run_once(&app.ctx, now),
        jobs::feedback_deadlines::run_once(&other.ctx, now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.reminded + b.reminded, 2, "{a:?} {b:?}");
    assert_eq!(
        eml_files(&app.outbox()).len(),
        2,
        "Ada's and Dee's reminders, once each"
    );
    for id in [f.ids[0], f.ids[3]] {
        let steps = app
            .ctx
            .store
            .leads()
            .lead_deadline_steps(f.event.id, id)
            .await
            .unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].state, "sent");
    }
    drop(other);
}
