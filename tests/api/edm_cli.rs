//! `badgetrail campaign ...` on the real binary: campaign files in and out, the audience,
//! returned mail, the report.

use crate::support::{
    app::{Db, fresh_database, test_settings},
    campaign::event_with_recipients,
    command::run_in as run,
};

crate::on_both_backends!(campaign_commands_take_files_whole_and_read_returned_mail);

async fn campaign_commands_take_files_whole_and_read_returned_mail(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let Some(fresh) = fresh_database(db, dir.path()).await else {
        return;
    };
    let url = fresh.url.clone();
    let ctx = badgetrail::context::Context::build(test_settings(url.clone(), dir.path(), 0))
        .await
        .unwrap();
    let event = event_with_recipients(&ctx, 4, |i| format!("p{i}@example.com"), |i| i != 3).await;
    let programme = badgetrail::demo::programme::cloud_summit();
    let topics: Vec<&str> = programme.topics.iter().map(|t| t.slug.as_str()).collect();

    let good = dir.path().join("campaign.toml");
    std::fs::write(&good, crate::support::campaign::CAMPAIGN_FILE).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[content]]\ntopic = \"quantum\"\nsubject = \"x\"\nbody = \"{{ nope\"\n",
    )
    .unwrap();

    let slug = badgetrail::demo::programme::SLUG;
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "campaign",
            "import",
            "after",
            bad.to_str().unwrap(),
            "--event",
            slug,
        ],
    );
    assert!(!ok);
    assert!(err.contains("'quantum' is not a topic"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(
        ctx.store
            .campaigns()
            .campaign_by_slug(event.id, "after")
            .await
            .unwrap()
            .is_none()
    );

    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "campaign",
            "import",
            "after",
            good.to_str().unwrap(),
            "--event",
            slug,
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("created campaign after with 4 content blocks"),
        "{out}"
    );

    let (ok, out, _) = run(
        dir.path(),
        &url,
        &["campaign", "audience", "after", "--event", slug],
    );
    assert!(ok);
    assert!(out.starts_with("3 recipients"), "{out}");
    assert!(out.contains("topic general: 3"), "no leads yet: {out}");
    assert!(out.contains("no marketing consent: 1"), "{out}");
    assert!(out.contains("reaches the attendees of"), "{out}");

    let exported = dir.path().join("out.toml");
    let (ok, _, err) = run(
        dir.path(),
        &url,
        &[
            "campaign",
            "export",
            "after",
            "--event",
            slug,
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let again = badgetrail::formats::campaign_file::parse_campaign_file(
        &std::fs::read_to_string(&exported).unwrap(),
        &topics,
        &[],
    )
    .unwrap();
    assert_eq!(again.contents.len(), 4);

    let (ok, out, err) = run(
        dir.path(),
        &url,
        &["campaign", "send", "after", "--event", slug],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("campaign after is done: 3 sent"), "{out}");

    let dsn = dir.path().join("bounce.eml");
    std::fs::write(
        &dsn,
        "From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
         Final-Recipient: rfc822; p1@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n",
    )
    .unwrap();
    let junk = dir.path().join("junk.eml");
    std::fs::write(&junk, "Subject: hello\r\n\r\nnot a report\r\n").unwrap();
    let (ok, out, err) = run(
        dir.path(),
        &url,
        &[
            "campaign",
            "inbound",
            dsn.to_str().unwrap(),
            junk.to_str().unwrap(),
        ],
    );
    assert!(!ok, "one file was not used");
    assert!(out.contains("hard bounce, address suppressed"), "{out}");
    assert!(
        err.contains("neither a delivery report nor an unsubscribe mail"),
        "{err}"
    );
    assert_eq!(
        ctx.store
            .campaigns()
            .suppressions_of("p1@example.com")
            .await
            .unwrap(),
        ["hard_bounce"]
    );

    let (ok, out, _) = run(
        dir.path(),
        &url,
        &["campaign", "report", "after", "--event", slug],
    );
    assert!(ok);
    assert!(out.contains("general\tnone\t3\t3\t0\t0\t0\t0\t0"), "{out}");
    ctx.store.close().await;
}
