//! Topic interest: hand-computed cases and the properties the formula promises.

use proptest::prelude::*;

use super::*;
use crate::domain::lead_rules::InterestRules;

fn rules() -> InterestRules {
    InterestRules::default()
}

fn session(kind: SessionKind, topics: &[(usize, f64)]) -> SessionFacts {
    SessionFacts {
        kind,
        topics: topics.to_vec(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

#[test]
fn a_full_workshop_of_a_rare_session_by_hand() {
    // 5 of 100 attendees chose it: share 0.05 = the reference share, specificity 1.
    // 60 min x 1.6 (workshop) x 1 = 96 weighted minutes; 100 x (1 - e^(-96/90)) = 65.58.
    let sessions = [session(SessionKind::Workshop, &[(0, 1.0)])];
    let spec = specificity(100, &[5], &rules());
    assert!(close(spec[0], 1.0));
    let p = [Presence {
        session: 0,
        minutes: 60,
    }];
    let t = topic_scores(&p, &[], &sessions, &spec, &rules());
    assert_eq!(t.len(), 1);
    assert!(close(t[0].score, 65.58), "{}", t[0].score);
    assert_eq!(t[0].minutes, 60);
    assert_eq!(t[0].sessions, vec![(0, 96.0)]);
}

#[test]
fn a_popular_talk_split_over_two_topics_plus_a_declared_one_by_hand() {
    // Half the event was there: specificity ln 2 / ln 20 = 0.23138.
    // 40 min x 1.0 x 0.23138 = 9.2551, split 3:1 -> 6.9413 and 2.3138.
    // Topic 1 was also ticked at registration: + 15 -> 17.3138 -> 17.50; topic 0 -> 7.42.
    let sessions = [session(SessionKind::Talk, &[(0, 3.0), (1, 1.0)])];
    let spec = specificity(100, &[50], &rules());
    assert!(close(spec[0], 0.23138), "{}", spec[0]);
    let p = [Presence {
        session: 0,
        minutes: 40,
    }];
    let t = topic_scores(&p, &[1], &sessions, &spec, &rules());
    assert_eq!(t.iter().map(|t| t.topic).collect::<Vec<_>>(), vec![1, 0]);
    assert!(close(t[0].score, 17.50), "{}", t[0].score);
    assert!(t[0].declared);
    assert!(close(t[1].score, 7.42), "{}", t[1].score);
    assert!(!t[1].declared);
}

#[test]
fn a_session_everybody_attended_counts_nothing_and_a_declared_topic_alone_counts_a_little() {
    let spec = specificity(80, &[80, 0], &rules());
    assert_eq!(spec, vec![0.0, 1.0]);
    let sessions = [session(SessionKind::Keynote, &[(0, 1.0)])];
    let p = [Presence {
        session: 0,
        minutes: 60,
    }];
    assert!(topic_scores(&p, &[], &sessions, &spec, &rules()).is_empty());
    // Declared only: 100 x (1 - e^(-15/90)) = 15.35.
    let t = topic_scores(&[], &[2], &sessions, &spec, &rules());
    assert_eq!(t.len(), 1);
    assert!(close(t[0].score, 15.35), "{}", t[0].score);
}

#[test]
fn passing_through_is_ignored_and_re_entries_add_up() {
    let r = rules();
    assert_eq!(
        qualifying_presence([(3, 4), (1, 2), (1, 3), (2, 10)], &r),
        vec![
            Presence {
                session: 1,
                minutes: 5
            },
            Presence {
                session: 2,
                minutes: 10
            },
        ]
    );
}

#[test]
fn a_workshop_says_more_than_a_keynote_for_the_same_minutes() {
    let sessions = [
        session(SessionKind::Keynote, &[(0, 1.0)]),
        session(SessionKind::Workshop, &[(1, 1.0)]),
    ];
    let spec = specificity(100, &[10, 10], &rules());
    let p = [
        Presence {
            session: 0,
            minutes: 45,
        },
        Presence {
            session: 1,
            minutes: 45,
        },
    ];
    let t = topic_scores(&p, &[], &sessions, &spec, &rules());
    assert_eq!(t[0].topic, 1);
    assert!(t[0].score > t[1].score * 2.0);
}

/// A small random event: sessions with one to three topics out of six, and one attendee's
/// presence in some of them.
fn event() -> impl Strategy<Value = (Vec<SessionFacts>, Vec<u32>, Vec<Presence>, Vec<usize>)> {
    let kind = prop::sample::select(SessionKind::ALL.to_vec());
    let topics = prop::collection::vec((0usize..6, 0.1f64..3.0), 1..4);
    let sessions = prop::collection::vec((kind, topics), 1..8);
    sessions.prop_flat_map(|s| {
        let n = s.len();
        let sessions: Vec<SessionFacts> = s
            .into_iter()
            .map(|(kind, topics)| SessionFacts { kind, topics })
            .collect();
        (
            Just(sessions),
            prop::collection::vec(1u32..200, n),
            prop::collection::vec((0..n, 0u32..120), 0..6),
            prop::collection::vec(0usize..6, 0..3),
        )
            .prop_map(|(sessions, counts, visits, declared)| {
                let presence = qualifying_presence(visits, &InterestRules::default());
                (sessions, counts, presence, declared)
            })
    })
}

fn score_of(t: &[TopicScore], topic: usize) -> f64 {
    t.iter().find(|t| t.topic == topic).map_or(0.0, |t| t.score)
}

fn ranking(t: &[TopicScore]) -> Vec<usize> {
    t.iter().map(|t| t.topic).collect()
}

proptest! {
    #[test]
    fn more_minutes_in_a_session_never_lower_any_of_its_topics(
        (sessions, counts, presence, declared) in event(),
        which in any::<prop::sample::Index>(),
        extra in 1u32..90,
    ) {
        let r = rules();
        let spec = specificity(200, &counts, &r);
        let before = topic_scores(&presence, &declared, &sessions, &spec, &r);
        let mut more = presence.clone();
        let s = which.index(sessions.len());
        match more.iter_mut().find(|p| p.session == s) {
            Some(p) => p.minutes += extra,
            None => more.push(Presence { session: s, minutes: extra.max(r.min_minutes) }),
        }
        let after = topic_scores(&more, &declared, &sessions, &spec, &r);
        for &(topic, _) in &sessions[s].topics {
            prop_assert!(score_of(&after, topic) >= score_of(&before, topic));
        }
    }

    #[test]
    fn a_session_that_everybody_attended_changes_no_ranking(
        (mut sessions, counts, presence, declared) in event(),
        topics in prop::collection::vec((0usize..6, 0.1f64..3.0), 1..4),
        minutes in 5u32..120,
    ) {
        let r = rules();
        let registered = 200;
        let spec = specificity(registered, &counts, &r);
        let before = topic_scores(&presence, &declared, &sessions, &spec, &r);
        sessions.push(SessionFacts { kind: SessionKind::Keynote, topics });
        let mut counts = counts.clone();
        counts.push(registered as u32);
        let spec = specificity(registered, &counts, &r);
        let mut more = presence.clone();
        more.push(Presence { session: sessions.len() - 1, minutes });
        let after = topic_scores(&more, &declared, &sessions, &spec, &r);
        prop_assert_eq!(ranking(&before), ranking(&after));
    }

    #[test]
    fn the_order_of_presence_does_not_matter(
        (sessions, counts, presence, declared) in event(),
        seed in any::<u64>(),
    ) {
        let r = rules();
        let spec = specificity(200, &counts, &r);
        let before = topic_scores(&presence, &declared, &sessions, &spec, &r);
        let mut shuffled = presence.clone();
        let n = shuffled.len();
        if n > 1 {
            shuffled.rotate_left((seed as usize) % n);
            shuffled.reverse();
        }
        let after = topic_scores(&shuffled, &declared, &sessions, &spec, &r);
        prop_assert_eq!(ranking(&before), ranking(&after));
        for (a, b) in before.iter().zip(&after) {
            prop_assert!((a.score - b.score).abs() < 1e-9);
        }
    }

    #[test]
    fn scores_stay_between_0_and_100((sessions, counts, presence, declared) in event()) {
        let r = rules();
        let spec = specificity(200, &counts, &r);
        for t in topic_scores(&presence, &declared, &sessions, &spec, &r) {
            prop_assert!(t.score > 0.0 && t.score <= 100.0);
        }
    }
}
