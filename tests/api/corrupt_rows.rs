//! A choice column holding a value its list does not know is reported as corrupt data by
//! the store, naming the column and the value, never read as some default.

use badgetrail::store::StoreError;
use secrecy::ExposeSecret;

use crate::{
    on_both_backends,
    support::{
        app::{Db, raw, spawn_app},
        campaign::{leads, register},
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
