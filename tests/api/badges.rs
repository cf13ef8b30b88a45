//! Badge pages and tokens: tampering, other events' keys, re-issue and revocation.

use badgetrail::{
    domain::{badge, programme::Programme, slug::Slug, user::Role},
    jobs::badge_mail,
};

use crate::{
    on_both_backends,
    support::{
        app::{Db, spawn_app},
        forms::{register_badge, valid_form},
    },
};

on_both_backends!(
    a_token_with_one_character_changed_is_refused,
    a_token_signed_by_another_events_key_is_refused,
    reissue_revokes_the_old_badge,
    key_rotation_keeps_old_badges_valid,
);

async fn a_token_with_one_character_changed_is_refused(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    app.seed_event().await;
    let token = register_badge(&app, &valid_form("ada@example.com")).await;
    for i in [0, token.len() / 2, token.len() - 1] {
        let mut chars: Vec<char> = token.chars().collect();
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let forged: String = chars.into_iter().collect();
        let r = app.get(&format!("/b/{forged}")).await;
        assert_eq!(r.status(), 404, "position {i}");
        let r = app.get(&format!("/b/{forged}/badge.png")).await;
        assert_eq!(r.status(), 404);
    }
    let r = app.get("/b/not-a-token").await;
    assert_eq!(r.status(), 404);
}

async fn a_token_signed_by_another_events_key_is_refused(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let mut other: Programme = badgetrail::demo::programme::cloud_summit();
    other.event.slug = Slug::parse("other-event").unwrap();
    app.ctx
        .store
        .events()
        .import_programme(&other, jiff::Timestamp::now())
        .await
        .unwrap();
    let other = app
        .ctx
        .store
        .events()
        .event_by_slug("other-event")
        .await
        .unwrap()
        .unwrap();
    let token = register_badge(&app, &valid_form("ada@example.com")).await;
    let claims = badge::read_unverified(&token).unwrap();

    // The same claims signed with the other event's key: the signature is valid, but not ours.
    let other_keys = app.badge_keys(other.id).await;
    let foreign = other_keys.sign(i64::from(claims.attendee_id), 1).token;
    let ours = app.badge_keys(event.id).await;
    assert!(badge::verify(&foreign, &ours.verifying).is_err());
    let r = app.get(&format!("/b/{foreign}")).await;
    assert_eq!(r.status(), 404);
}

async fn reissue_revokes_the_old_badge(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let old = register_badge(&app, &valid_form("ada@example.com")).await;
    let (rows, _) = app
        .ctx
        .store
        .attendees()
        .list_attendees(event.id, "", 1, 0)
        .await
        .unwrap();
    app.login_as(Role::Staff).await;
    let path = format!("/admin/events/{}/attendees/{}", event.info.slug, rows[0].id);
    let csrf = app.csrf(&path).await;
    let r = app
        .post_form(
            &format!("{path}/reissue"),
            &[("csrf", csrf), ("confirm", "yes".into())],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.get(&format!("/b/{old}")).await.status(), 410);
    let attendee = app
        .ctx
        .store
        .attendees()
        .attendee(rows[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(attendee.token, old);
    assert_eq!(attendee.badge_serial, 2);
    assert_eq!(
        app.get(&format!("/b/{}", attendee.token)).await.status(),
        200
    );
    assert_eq!(
        app.ctx
            .store
            .attendees()
            .badge_revocations(event.id)
            .await
            .unwrap(),
        vec![(rows[0].id, 2)]
    );
    let old_claims = badge::read_unverified(&old).unwrap();
    assert!(badge::is_revoked(&old_claims, 2));
    assert_eq!(badge_mail::run_once(&app.ctx).await.unwrap().sent, 2);
}

async fn key_rotation_keeps_old_badges_valid(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let now = jiff::Timestamp::now();
    let old = register_badge(&app, &valid_form("ada@example.com")).await;
    let new_key = app.ctx.badges.rotate(event.id, now).await.unwrap();
    assert_eq!(new_key, 2);
    let fresh = register_badge(&app, &valid_form("grace@example.com")).await;
    let keys = app.ctx.badges.keys_for(event.id, now).await.unwrap();
    assert_eq!(badge::verify(&old, &keys.verifying).unwrap().key_id, 1);
    assert_eq!(badge::verify(&fresh, &keys.verifying).unwrap().key_id, 2);
    app.ctx.badges.retire(event.id, 1, now).await.unwrap();
    let keys = app.ctx.badges.keys_for(event.id, now).await.unwrap();
    assert!(
        badge::verify(&old, &keys.verifying).is_err(),
        "retired key no longer verifies"
    );
    assert_eq!(app.get(&format!("/b/{old}")).await.status(), 404);
}
