//! The data pool on both databases: one person across events, one company per business
//! domain or company name (merged and split by staff), buying groups ranked into accounts,
//! erasure, and registrations from before the pool resolved on upgrade.

use badgetrail::domain::leads::package::Tier;
use badgetrail::{
    domain::{
        attendee::{Answers, Registration, RegistrationInput},
        user::Role,
    },
    pool,
    privacy::{ErasureRequester, erase_attendee},
    registration::{self, Source},
    store::{EventRecord, StoredLead},
};
use jiff::Timestamp;

use crate::support::{
    app::{Db, TestApp, data_days, old_database, raw, spawn_app},
    forms::extract_csrf,
    lead_build::{event_with_day, opts, sales_owners, write_file},
    staff::{get, signed_in},
    stored_leads::{finish_build, fixture},
};

crate::on_both_backends!(
    one_person_across_events_and_one_company_per_domain_or_name,
    staff_merge_and_split_companies,
    accounts_rank_companies_by_their_buying_group,
    registrations_from_before_the_pool_are_resolved_on_upgrade,
    routing_by_account_gives_each_company_one_owner,
);

fn reg(name: &str, email: &str, company: &str, role: &str) -> Registration {
    Registration::parse(
        &RegistrationInput {
            email: email.into(),
            name: name.into(),
            answers: Answers {
                company: company.into(),
                job_title: "Engineer".into(),
                decision_role: role.into(),
                purchase_stage: "choose_supplier".into(),
                industry: "software".into(),
                company_size: "51_200".into(),
                country: "Germany".into(),
            },
            phone: String::new(),
            interests: vec![],
            marketing_consent: true,
        },
        &[],
    )
    .unwrap()
}

async fn register(app: &TestApp, event: &EventRecord, regs: &[Registration]) -> Vec<i64> {
    registration::record(
        &app.ctx,
        event,
        regs,
        Source::Import,
        false,
        Timestamp::now(),
    )
    .await
    .unwrap()
    .iter()
    .map(|o| o.attendee_id)
    .collect()
}

async fn one_person_across_events_and_one_company_per_domain_or_name(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let summit = app.seed_event().await;
    let days = data_days(&app).await;
    let at_summit = register(
        &app,
        &summit,
        &[
            reg("Ada", "ada@acme-data.com", "ACME GmbH", "decision_maker"),
            reg("Bob", "bob@acme-data.com", "Acme Inc.", "user"),
            reg("Cy", "cy@gmail.com", "Acme", "influencer"),
            reg("Dee", "dee@web.de", "Student", "user"),
        ],
    )
    .await;
    let at_days = register(
        &app,
        &days,
        &[reg("Ada", "Ada@ACME-data.com", "Acme", "decision_maker")],
    )
    .await;
    let store = &app.ctx.store;
    let links = |id| store.data_pool().pool_links(id);
    let (ada, ada_company) = links(at_summit[0]).await.unwrap();
    let (ada_again, _) = links(at_days[0]).await.unwrap();
    assert!(ada.is_some());
    assert_eq!(
        ada, ada_again,
        "one person at both events, whatever the address's case"
    );
    let (_, bob_company) = links(at_summit[1]).await.unwrap();
    assert_eq!(
        bob_company, ada_company,
        "the business domain makes the company"
    );
    let (_, cy_company) = links(at_summit[2]).await.unwrap();
    assert_ne!(
        cy_company.as_ref().map(|c| c.0),
        ada_company.as_ref().map(|c| c.0)
    );
    let (dee, dee_company) = links(at_summit[3]).await.unwrap();
    assert!(dee.is_some());
    assert_eq!(
        dee_company, None,
        "a free-mail address and \"Student\" say no company"
    );

    // The person page shows both events; the company page says why it is one company.
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(&marketer, &app, &format!("/admin/people/{}", ada.unwrap())).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Cloud Summit 2026") && html.contains("Data Days 2026"),
        "{html}"
    );
    let (acme, _) = ada_company.unwrap();
    let (_, html) = get(&marketer, &app, &format!("/admin/companies/{acme}")).await;
    assert!(html.contains("an address at acme-data.com"), "{html}");
    let (_, html) = get(
        &marketer,
        &app,
        &format!("/admin/companies/{}", cy_company.unwrap().0),
    )
    .await;
    assert!(
        html.contains("company name reads &#34;acme&#34;")
            || html.contains("company name reads &quot;acme&quot;"),
        "{html}"
    );
    // The attendee page links to both.
    let (_, html) = get(
        &marketer,
        &app,
        &format!(
            "/admin/events/{}/attendees/{}",
            summit.info.slug.as_str(),
            at_summit[0]
        ),
    )
    .await;
    assert!(
        html.contains("id=\"person-link\"") && html.contains("id=\"company-link\""),
        "{html}"
    );

    // Door staff and sales have no pool pages.
    let (staff, _) = signed_in(&app, "stan", Role::Staff).await;
    assert_eq!(
        get(&staff, &app, &format!("/admin/people/{}", ada.unwrap()))
            .await
            .0,
        403
    );
    let (_, html) = get(
        &staff,
        &app,
        &format!(
            "/admin/events/{}/attendees/{}",
            summit.info.slug.as_str(),
            at_summit[0]
        ),
    )
    .await;
    assert!(!html.contains("id=\"person-link\""));

    // Erasing Dee's only registration takes the person record (their address) with it.
    erase_attendee(
        &app.ctx,
        at_summit[3],
        Timestamp::now(),
        ErasureRequester::Staff("mia".into()),
    )
    .await
    .unwrap();
    assert_eq!(store.data_pool().person(dee.unwrap()).await.unwrap(), None);
    // Erasing one of Ada's two keeps the person for the other.
    erase_attendee(
        &app.ctx,
        at_days[0],
        Timestamp::now(),
        ErasureRequester::Staff("mia".into()),
    )
    .await
    .unwrap();
    assert!(
        store
            .data_pool()
            .person(ada.unwrap())
            .await
            .unwrap()
            .is_some()
    );
    let (_, html) = get(&marketer, &app, &format!("/admin/people/{}", ada.unwrap())).await;
    assert!(!html.contains("Data Days 2026"), "{html}");
}

async fn staff_merge_and_split_companies(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ids = register(
        &app,
        &event,
        &[
            reg("Ada", "ada@acme-data.com", "ACME", "decision_maker"),
            reg("Bob", "bob@acme-data.com", "ACME", "user"),
            reg("Cy", "cy@gmail.com", "Acme", "influencer"),
        ],
    )
    .await;
    let store = &app.ctx.store;
    let company = |i: usize| {
        let id = ids[i];
        async move { store.data_pool().pool_links(id).await.unwrap().1.unwrap().0 }
    };
    let (acme, by_name) = (company(0).await, company(2).await);
    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let page = format!("/admin/companies/{by_name}");
    let (_, html) = get(&marketer, &app, &page).await;
    let csrf = extract_csrf(&html);
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let c = marketer.clone();
        let url = app.url(&path);
        async move { c.post(url).form(&form).send().await.unwrap() }
    };

    // Without the form's token nothing moves.
    let r = post(format!("{page}/merge"), vec![("into", acme.to_string())]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(company(2).await, by_name);
    let r = post(
        format!("{page}/merge"),
        vec![("csrf", csrf.clone()), ("into", acme.to_string())],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(company(2).await, acme, "Cy moved to the domain's company");
    let (_, html) = get(&marketer, &app, &page).await;
    assert!(html.contains("Merged into ACME by mia"), "{html}");
    // Someone registering later under the merged name lands in the merged-into company.
    let later = register(
        &app,
        &event,
        &[reg("Eve", "eve@yahoo.com", "ACME Ltd", "buyer")],
    )
    .await;
    assert_eq!(
        store
            .data_pool()
            .pool_links(later[0])
            .await
            .unwrap()
            .1
            .unwrap()
            .0,
        acme
    );
    // A company cannot be merged into itself.
    let r = post(
        format!("/admin/companies/{acme}/merge"),
        vec![("csrf", csrf.clone()), ("into", acme.to_string())],
    )
    .await;
    assert_eq!(r.status(), 409);

    // Bob is a contractor: split him out into a company of his own.
    let bob = store
        .data_pool()
        .pool_links(ids[1])
        .await
        .unwrap()
        .0
        .unwrap();
    let r = post(
        format!("/admin/companies/{acme}/split"),
        vec![("csrf", csrf.clone()), ("person", bob.to_string())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let own = company(1).await;
    assert_ne!(own, acme);
    let (_, html) = get(&marketer, &app, &format!("/admin/companies/{own}")).await;
    assert!(html.contains("Made by staff"), "{html}");
    assert_eq!(company(0).await, acme, "the others stay");
}

fn lead(attendee_id: i64, tier: &str, topic: Option<&str>) -> StoredLead {
    StoredLead {
        attendee_id,
        tier: Tier::parse(tier).unwrap(),
        top_topic: topic.map(str::to_owned),
        stage: Some(badgetrail::domain::attendee::PurchaseStage::ChooseSupplier),
        package: "{}".into(),
        ..StoredLead::default()
    }
}

async fn accounts_rank_companies_by_their_buying_group(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = fixture(&app, 0).await;
    let pair = register(
        &app,
        &f.event,
        &[
            reg(
                "Dora Decider",
                "dora@pair.example",
                "Pair Co",
                "decision_maker",
            ),
            reg("Uli User", "uli@pair.example", "Pair Co", "user"),
        ],
    )
    .await;
    let students: Vec<Registration> = (0..5)
        .map(|i| {
            reg(
                &format!("Student {i}"),
                &format!("s{i}@uni.example"),
                "Uni",
                "user",
            )
        })
        .collect();
    let students = register(&app, &f.event, &students).await;
    let mut leads = f.leads.clone();
    leads.push(lead(pair[0], "A", Some("big-data")));
    leads.push(lead(pair[1], "B", Some("big-data")));
    leads.extend(students.iter().map(|id| lead(*id, "X", Some("big-data"))));
    finish_build(&app, &f.event, &leads, &f.insight).await;

    let (marketer, _) = signed_in(&app, "mia", Role::Marketer).await;
    let (status, html) = get(
        &marketer,
        &app,
        &format!("/admin/events/{}/accounts", f.slug),
    )
    .await;
    assert_eq!(status, 200);
    let pair_at = html.find("Pair Co").expect("the pair is an account");
    assert!(
        !html.contains(">Uni<") && !html.contains(". Uni"),
        "five students count for nothing: {html}"
    );
    assert!(
        html.contains("decision maker and user engaged on the same topic, Big data and analytics"),
        "{html}"
    );
    // The fixture's people (one company, a decision maker each, on several topics) rank
    // below the pair of a decision maker and a user on one topic.
    assert!(html.contains("<h2>1. Pair Co</h2>"), "{html}");
    assert!(html.contains("<h2>2. Analytical Engines</h2>"), "{html}");
    assert!(pair_at > 0);

    // The decision maker's package names who else came from the company.
    let (_, html) = get(
        &marketer,
        &app,
        &format!("/admin/events/{}/leads/{}", f.slug, pair[0]),
    )
    .await;
    let also = html.split("id=\"colleagues\"").nth(1).unwrap();
    assert!(also.contains("Uli User") && also.contains("user"), "{also}");
}

async fn registrations_from_before_the_pool_are_resolved_on_upgrade(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some((fresh, store, event)) = old_database(db, dir.path(), 15).await else {
        return;
    };
    // Two registrations as the schema before the pool stored them.
    register_old(
        db,
        &fresh.url,
        &event,
        &["ada@acme-data.com", "bob@acme-data.com"],
    )
    .await;
    let mut ids = Vec::new();
    for e in ["ada@acme-data.com", "bob@acme-data.com"] {
        ids.push(
            store
                .attendees()
                .attendee_id_by_email(event.id, e)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    store.migrate().await.unwrap();
    assert_eq!(pool::resolve_all(&store).await.unwrap(), 2);
    let (ada, ada_co) = store.data_pool().pool_links(ids[0]).await.unwrap();
    let (bob, bob_co) = store.data_pool().pool_links(ids[1]).await.unwrap();
    assert!(ada.is_some() && bob.is_some() && ada != bob);
    assert!(ada_co.is_some());
    assert_eq!(ada_co, bob_co);
    assert_eq!(
        pool::resolve_all(&store).await.unwrap(),
        0,
        "nothing left to resolve"
    );
    store.close().await;
}

/// Registers as the schema before the pool did (no person, no company), straight in SQL.
async fn register_old(db: Db, url: &str, event: &EventRecord, emails: &[&str]) {
    for e in emails {
        raw(
            db,
            url,
            format!(
                "INSERT INTO attendees (event_id, email, name, company, job_title, decision_role,
                 purchase_stage, industry, company_size, country, marketing_consent, source,
                 badge_serial, registered_at, updated_at)
             VALUES ({}, '{e}', 'Someone', 'ACME', 'Engineer', 'user', 'choose_supplier',
                 'software', '51_200', 'Germany', TRUE, 'import', 1, 0, 0)",
                event.id
            ),
        )
        .await;
    }
}

/// Owners per company of the event's routed leads.
async fn owners_per_company(
    app: &TestApp,
    event: &EventRecord,
) -> std::collections::HashMap<i64, std::collections::BTreeSet<i64>> {
    let store = &app.ctx.store;
    let company_of: std::collections::HashMap<i64, i64> = store
        .data_pool()
        .event_companies(event.id)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut out: std::collections::HashMap<i64, std::collections::BTreeSet<i64>> =
        std::collections::HashMap::new();
    for row in store.leads().event_leads(event.id).await.unwrap() {
        if let (Some(owner), Some(company)) =
            (row.lead.owner_id, company_of.get(&row.lead.attendee_id))
        {
            out.entry(*company).or_default().insert(owner);
        }
    }
    out
}

async fn routing_by_account_gives_each_company_one_owner(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    sales_owners(&app).await;
    let (event, _) = event_with_day(&app, 200, 41).await;
    let routing = include_str!("../../examples/cloud-summit-routing.toml");
    write_file(&app, "routing", routing);
    badgetrail::leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let per_person = owners_per_company(&app, &event).await;
    assert!(
        per_person.values().any(|o| o.len() > 1),
        "routed by person, some company has several owners: {per_person:?}"
    );

    // By account, on a fresh event so no earlier owner is kept.
    let Some(app) = spawn_app(db).await else {
        return;
    };
    sales_owners(&app).await;
    let (event, _) = event_with_day(&app, 200, 41).await;
    write_file(&app, "routing", &format!("by_account = true\n{routing}"));
    badgetrail::leads::build(&app.ctx, &event, &opts(), &|_| {})
        .await
        .unwrap();
    let per_account = owners_per_company(&app, &event).await;
    assert!(per_account.values().any(|o| !o.is_empty()));
    for (company, owners) in &per_account {
        assert_eq!(owners.len(), 1, "company {company} has owners {owners:?}");
    }
    let rows = app.ctx.store.leads().event_leads(event.id).await.unwrap();
    assert!(
        rows.iter().any(|r| r
            .lead
            .package()
            .unwrap()
            .routing
            .is_some_and(|r| r.rule.starts_with("account: "))),
        "the rule says why"
    );
}
