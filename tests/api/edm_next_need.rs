//! The likely next need in follow-up email: a person whose lead points to another topic gets
//! that topic's content of the campaign as a second block under their own, with its own
//! tracked link; templates can name it; nobody gets the general content twice.

use badgetrail::domain::leads::package::Tier;
use badgetrail::{edm, jobs::edm_send, store::StoredLead};
use jiff::Timestamp;

use crate::{
    on_both_backends,
    support::{
        app::{Db, spawn_app},
        campaign::{CAMPAIGN_FILE, campaign, register},
        stored_leads::finish_build,
    },
};

on_both_backends!(the_likely_next_need_comes_as_a_second_block_with_its_own_link);

fn lead(attendee_id: i64, tier: &str, topic: &str, next: Option<&str>) -> StoredLead {
    StoredLead {
        attendee_id,
        tier: Tier::parse(tier).unwrap(),
        top_topic: Some(topic.into()),
        package: "{}".into(),
        next_need: next.map(str::to_owned),
        ..StoredLead::default()
    }
}

async fn the_likely_next_need_comes_as_a_second_block_with_its_own_link(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let event = app.seed_event().await;
    let ids = register(
        &app,
        &event,
        &[
            ("Ada Lovelace", "ada@example.com", true),
            ("Bob Byte", "bob@example.com", true),
            ("Cy Cipher", "cy@example.com", true),
        ],
    )
    .await;
    finish_build(
        &app,
        &event,
        &[
            // Big data now, AI next: the campaign has content for both.
            lead(ids[0], "B", "big-data", Some("ai")),
            // Security next: the campaign has nothing on security, so one block only.
            lead(ids[1], "B", "big-data", Some("security")),
            // No next need.
            lead(ids[2], "C", "ai", None),
        ],
        &Default::default(),
    )
    .await;
    let c = campaign(&app, &event, "after", CAMPAIGN_FILE).await;
    edm::start(&app.ctx, &c, Timestamp::now()).await.unwrap();
    let run = edm_send::run_once(&app.ctx).await.unwrap();
    assert_eq!(run.sent, 3, "{run:?}");
    let mail = |to: &str| -> (String, String) {
        let raw = std::fs::read_dir(app.outbox())
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .find(|raw| {
                let m = mail_parser::MessageParser::default().parse(raw).unwrap();
                m.to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .is_some_and(|a| a == to)
            })
            .unwrap();
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        (
            m.body_text(0).unwrap().into_owned(),
            m.body_html(0).unwrap().into_owned(),
        )
    };
    let (text, html) = mail("ada@example.com");
    assert!(
        text.contains("thanks for joining the big-data sessions"),
        "{text}"
    );
    // The AI block, rendered for Ada, with its subject as its heading.
    assert!(text.contains("Ada, AI at scale"), "{text}");
    assert!(text.contains("Hello Ada Lovelace, here is the GPU serving guide."));
    assert!(html.contains("Ada, AI at scale</h2>"), "{html}");
    // Both calls to action are tracked, each to its own address.
    let tracked: Vec<&str> = text.lines().filter(|l| l.contains("/t/c/")).collect();
    assert_eq!(tracked.len(), 2, "{text}");
    assert!(tracked[1].starts_with("Get the guide: "), "{tracked:?}");
    assert!(tracked[1].contains("ai-guide"), "{tracked:?}");
    let (text, _) = mail("bob@example.com");
    assert!(
        !text.contains("AI at scale") && !text.contains("Thanks for coming"),
        "{text}"
    );
    let (text, _) = mail("cy@example.com");
    assert_eq!(
        text.matches("AI at scale").count(),
        0,
        "the AI block is Cy's first: {text}"
    );
    assert!(text.contains("GPU serving guide"));
    assert_eq!(text.matches("GPU serving guide").count(), 1);
}
