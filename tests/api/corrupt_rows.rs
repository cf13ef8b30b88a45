//! A choice column holding a value its list does not know is reported as corrupt data by
//! the store, naming the column and the value, never read as some default.

use badgetrail::store::StoreError;
use jiff::Timestamp;
use secrecy::ExposeSecret;

use crate::{
    on_both_backends,
    support::{
        app::{Db, raw, spawn_app},
        campaign::{CAMPAIGN_FILE, campaign, leads, register},
    },
};

on_both_backends!(a_tier_the_store_does_not_know_is_a_corruption_error_not_a_default);

async fn a_tier_the_store_does_not_know_is_a_corruption_error_not_a_default(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ids = register(&app, &event, &[("Ada Lovelace", "ada@example.com", true)]).await;
    leads(&app, &event, &[(ids[0], "A", None)]).await;
    let url = app.ctx.settings.database_url.expose_secret().to_owned();
    raw(
        db,
        &url,
        format!("UPDATE leads SET tier = 'Z' WHERE attendee_id = {}", ids[0]),
    )
    .await;

    let read = app.ctx.store.leads().event_lead_summaries(event.id).await;

    match read {
        Err(StoreError::Corrupt(message)) => {
            assert!(message.contains("tier"), "{message}");
            assert!(message.contains("'Z'"), "{message}");
        }
        other => panic!("expected a corruption error, got {other:?}"),
    }
}

on_both_backends!(a_campaign_whose_stored_choices_are_unknown_plans_nobody_instead_of_guessing);

/// Planning a campaign reads its excluded tiers and every address's suppression. An unknown
/// stored tier must not read as "no tier excluded" (mail to people the marketer left out),
/// and an unknown suppression must not read as some other reason.
async fn a_campaign_whose_stored_choices_are_unknown_plans_nobody_instead_of_guessing(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ids = register(&app, &event, &[("Ada Lovelace", "ada@example.com", true)]).await;
    leads(&app, &event, &[(ids[0], "A", None)]).await;
    let c = campaign(&app, &event, "spring", CAMPAIGN_FILE).await;
    badgetrail::edm::audience(&app.ctx, &c, Timestamp::now())
        .await
        .expect("the campaign plans before the rows are damaged");
    let url = app.ctx.settings.database_url.expose_secret().to_owned();

    raw(
        db,
        &url,
        format!(
            "UPDATE campaigns SET excluded_tiers = 'A,Q' WHERE id = {}",
            c.id
        ),
    )
    .await;
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign(c.id)
        .await
        .unwrap()
        .unwrap();
    let err = badgetrail::edm::audience(&app.ctx, &c, Timestamp::now())
        .await
        .expect_err("unknown excluded tier");
    assert!(format!("{err:#}").contains("excluded_tiers"), "{err:#}");
    assert!(format!("{err:#}").contains("'Q'"), "{err:#}");

    raw(
        db,
        &url,
        format!(
            "UPDATE campaigns SET excluded_tiers = 'X' WHERE id = {}",
            c.id
        ),
    )
    .await;
    raw(
        db,
        &url,
        "INSERT INTO suppressions (email, reason, detail, at) \
         VALUES ('ada@example.com', 'bounced_somehow', '', 0)"
            .to_owned(),
    )
    .await;
    let c = app
        .ctx
        .store
        .campaigns()
        .campaign(c.id)
        .await
        .unwrap()
        .unwrap();
    let err = badgetrail::edm::audience(&app.ctx, &c, Timestamp::now())
        .await
        .expect_err("unknown suppression");
    assert!(format!("{err:#}").contains("'bounced_somehow'"), "{err:#}");
}

on_both_backends!(an_answer_no_list_knows_is_a_corruption_error_and_an_erased_one_is_none);

/// The four choice answers are read as their lists' values: a value no list knows fails the
/// read; the empty text erasure leaves is "not given", not an error.
async fn an_answer_no_list_knows_is_a_corruption_error_and_an_erased_one_is_none(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ids = register(
        &app,
        &event,
        &[
            ("Ada Lovelace", "ada@example.com", true),
            ("Grace Hopper", "grace@example.com", true),
        ],
    )
    .await;
    let url = app.ctx.settings.database_url.expose_secret().to_owned();
    raw(
        db,
        &url,
        format!(
            "UPDATE attendees SET decision_role = 'ceo' WHERE id = {}",
            ids[0]
        ),
    )
    .await;
    // What erasure writes (store/attendees/erasure.rs).
    raw(
        db,
        &url,
        format!(
            "UPDATE attendees SET decision_role = '', purchase_stage = '', industry = '',
               company_size = '' WHERE id = {}",
            ids[1]
        ),
    )
    .await;

    match app.ctx.store.attendees().attendee(ids[0]).await {
        Err(StoreError::Corrupt(message)) => {
            assert!(message.contains("decision_role"), "{message}");
            assert!(message.contains("'ceo'"), "{message}");
        }
        other => panic!("expected a corruption error, got {other:?}"),
    }
    let grace = app
        .ctx
        .store
        .attendees()
        .attendee(ids[1])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grace.answers.decision_role, None);
    assert_eq!(grace.answers.purchase_stage, None);
    assert_eq!(grace.answers.industry, None);
    assert_eq!(grace.answers.company_size, None);
    assert_eq!(grace.answers.company, "Analytical Engines");
}
