//! Topic interest: hand-computed cases and the properties the formula promises.

use proptest::prelude::*;

use super::*;
use crate::domain::leads::rules::InterestRules;

fn rules() -> InterestRules {
    InterestRules::default()
}

/// A session as (kind, topics, minutes, slot); sessions of the same slot run in parallel.
type Planned<'a> = (SessionKind, &'a [(usize, f64)], u32, usize);

fn programme(list: &[Planned<'_>]) -> Vec<SessionFacts> {
    list.iter()
        .map(|&(kind, topics, minutes, slot)| {
            let plenary = kind == SessionKind::Keynote;
            SessionFacts {
                kind,
                topics: topics.to_vec(),
                minutes,
                plenary,
                shares: topic_shares(topics),
                options: if plenary {
                    Vec::new()
                } else {
                    (0..list.len())
                        .filter(|&j| list[j].3 == slot && list[j].0 != SessionKind::Keynote)
                        .collect()
                },
            }
        })
        .collect()
}

fn at(p: &[(usize, u32)]) -> Vec<Presence> {
    p.iter()
        .map(|&(session, minutes)| Presence { session, minutes })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

#[test]
fn a_stay_counts_by_the_share_stayed_squared_and_the_kind() {
    let s = programme(&[
        (SessionKind::Talk, &[(0, 1.0)], 45, 0),
        (SessionKind::Workshop, &[(0, 1.0)], 90, 1),
    ]);
    let r = rules();
    // 8 of 45 minutes: 0.1778 / 0.75 = 0.2370, squared 0.0562.
    assert!(close(stay_weight(8, &s[0], &r), 0.0562));
    // Three quarters and more is a full stay.
    assert!(close(stay_weight(34, &s[0], &r), 1.0));
    assert!(close(stay_weight(45, &s[0], &r), 1.0));
    // Half a workshop: (0.5 / 0.75)^2 x 1.6 = 0.7111.
    assert!(close(stay_weight(45, &s[1], &r), 0.7111));
}

#[test]
fn a_declared_topic_alone_scores_its_prior() {
    // Preference 1 (the prior): 100 x (1 - e^(-1/3)) = 28.35.
    let s = programme(&[(SessionKind::Talk, &[(0, 1.0)], 45, 0)]);
    let t = topic_scores(&[], &[2], &s, &rules());
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].topic, 2);
    assert!(close(t[0].score, 28.35), "{}", t[0].score);
    assert!(t[0].declared);
}

#[test]
fn choosing_a_topic_over_another_raises_it_and_lowers_the_other() {
    // Two slots, each with a talk on topic 0 and one on topic 1; topic 1 was ticked.
    let s = programme(&[
        (SessionKind::Talk, &[(0, 1.0)], 45, 0),
        (SessionKind::Talk, &[(1, 1.0)], 45, 0),
        (SessionKind::Talk, &[(0, 1.0)], 45, 1),
        (SessionKind::Talk, &[(1, 1.0)], 45, 1),
    ]);
    let t = topic_scores(&at(&[(0, 45), (2, 45)]), &[1], &s, &rules());
    assert_eq!(t[0].topic, 0, "{t:?}");
    assert!(t[0].preference > 1.0, "{t:?}");
    // Topic 1 was on offer twice and left: below its prior, but still listed (ticked).
    assert_eq!(t[1].topic, 1);
    assert!(t[1].preference < 1.0, "{t:?}");
    assert!(t[1].sessions.is_empty());
}

#[test]
fn a_main_topic_on_offer_less_often_still_wins_its_head_to_head() {
    // Topic 0 runs in two slots, topic 1 in all five; whenever both run, 0 is chosen.
    let mut list: Vec<Planned<'_>> = Vec::new();
    for slot in 0..5 {
        if slot < 2 {
            list.push((SessionKind::Talk, &[(0, 1.0)], 45, slot));
        }
        list.push((SessionKind::Talk, &[(1, 1.0)], 45, slot));
        list.push((SessionKind::Talk, &[(2, 1.0)], 45, slot));
    }
    let s = programme(&list);
    // Sessions: slot 0 -> 0,1,2; slot 1 -> 3,4,5; slots 2..4 -> (6,7), (8,9), (10,11).
    let presence = at(&[(0, 45), (3, 45), (6, 45), (8, 45), (10, 45)]);
    let t = topic_scores(&presence, &[], &s, &rules());
    assert_eq!(t[0].topic, 0, "{t:?}");
    assert_eq!(t[1].topic, 1, "{t:?}");
    // By minutes, topic 1 leads: 135 against 90.
    assert!(t[1].minutes > t[0].minutes);
}

#[test]
fn a_peek_says_little_and_a_full_stay_a_lot() {
    let s = programme(&[
        (SessionKind::Talk, &[(0, 1.0)], 45, 0),
        (SessionKind::Talk, &[(1, 1.0)], 45, 0),
        (SessionKind::Talk, &[(2, 1.0)], 45, 0),
    ]);
    // Eight minutes in topic 0's talk, then the rest of the slot in topic 1's: leaving
    // topic 0 for topic 1 outweighs the peek, so topic 0 is no interest.
    let t = topic_scores(&at(&[(0, 8), (1, 37)]), &[], &s, &rules());
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(t[0].topic, 1);
    // A peek alone is a little interest; a full stay much more.
    let peek = topic_scores(&at(&[(0, 8)]), &[], &s, &rules());
    let full = topic_scores(&at(&[(0, 45)]), &[], &s, &rules());
    assert!(peek[0].score > 0.0);
    assert!(full[0].score > 5.0 * peek[0].score, "{peek:?} {full:?}");
}

#[test]
fn keynotes_neither_raise_nor_list_a_topic() {
    let s = programme(&[
        (SessionKind::Keynote, &[(0, 1.0), (1, 1.0), (2, 1.0)], 45, 0),
        (SessionKind::Talk, &[(1, 1.0)], 45, 1),
        (SessionKind::Talk, &[(3, 1.0)], 45, 1),
    ]);
    // A keynote only: no topic at all.
    assert!(topic_scores(&at(&[(0, 45)]), &[], &s, &rules()).is_empty());
    // Declared only: the keynote changes nothing.
    assert_eq!(
        topic_scores(&at(&[(0, 45)]), &[2], &s, &rules()),
        topic_scores(&[], &[2], &s, &rules())
    );
    // With a talk: the keynote is not among the topic's sessions or minutes.
    let t = topic_scores(&at(&[(0, 45), (1, 45)]), &[], &s, &rules());
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].topic, 1);
    assert_eq!(t[0].minutes, 45);
    assert_eq!(t[0].sessions.len(), 1);
}

#[test]
fn plenaries_are_keynotes_and_sessions_alone_in_their_time_with_many_topics() {
    let t = |h: i64, m: i64| -> Timestamp {
        Timestamp::from_second(1_800_000_000 + h * 3600 + m * 60).unwrap()
    };
    let s = |kind, topics: &[(usize, f64)], from: (i64, i64), to: (i64, i64)| SessionTime {
        kind,
        topics: topics.to_vec(),
        starts_at: t(from.0, from.1),
        ends_at: t(to.0, to.1),
    };
    let facts = session_facts(&[
        s(SessionKind::Keynote, &[(0, 1.0)], (9, 0), (9, 45)),
        s(
            SessionKind::Talk,
            &[(0, 1.0), (1, 1.0), (2, 1.0)],
            (10, 0),
            (10, 45),
        ),
        s(
            SessionKind::Talk,
            &[(0, 1.0), (1, 1.0), (2, 1.0)],
            (11, 0),
            (11, 45),
        ),
        s(SessionKind::Talk, &[(1, 1.0)], (11, 30), (12, 0)),
        s(SessionKind::Talk, &[(3, 1.0)], (13, 0), (14, 30)),
    ]);
    let plenary: Vec<bool> = facts.iter().map(|f| f.plenary).collect();
    assert_eq!(plenary, vec![true, true, false, false, false]);
    assert_eq!(facts[4].minutes, 90);
    assert_eq!(facts[2].options, vec![2, 3]);
    assert_eq!(facts[4].options, vec![4]);
    assert!(facts[0].options.is_empty());
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

/// A small random event: sessions in up to three slots with one to three topics out of six,
/// and one attendee's presence in some of them.
fn event() -> impl Strategy<Value = (Vec<SessionFacts>, Vec<Presence>, Vec<usize>)> {
    let kind = prop::sample::select(SessionKind::ALL.to_vec());
    let topics = prop::collection::vec((0usize..6, 0.1f64..3.0), 1..4);
    let sessions = prop::collection::vec((kind, topics, 15u32..120, 0usize..3), 1..8);
    sessions.prop_flat_map(|s| {
        let n = s.len();
        let list: Vec<Planned<'_>> = s
            .iter()
            .map(|(k, t, m, slot)| (*k, t.as_slice(), *m, *slot))
            .collect();
        let sessions = programme(&list);
        (
            Just(sessions),
            prop::collection::vec((0..n, 0u32..120), 0..6),
            prop::collection::vec(0usize..6, 0..3),
        )
            .prop_map(|(sessions, visits, declared)| {
                let presence = qualifying_presence(visits, &InterestRules::default());
                (sessions, presence, declared)
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
    fn a_longer_stay_never_lowers_a_topic_no_parallel_session_offers_more_of(
        (sessions, presence, declared) in event(),
        which in any::<prop::sample::Index>(),
        extra in 1u32..90,
    ) {
        let r = rules();
        let before = topic_scores(&presence, &declared, &sessions, &r);
        let mut more = presence.clone();
        let s = which.index(sessions.len());
        match more.iter_mut().find(|p| p.session == s) {
            Some(p) => p.minutes += extra,
            None => more.push(Presence { session: s, minutes: extra.max(r.min_minutes) }),
        }
        let after = topic_scores(&more, &declared, &sessions, &r);
        let share = |i: usize, topic: usize| {
            let total: f64 = sessions[i].topics.iter().map(|(_, w)| w).sum();
            sessions[i].topics.iter().filter(|(t, _)| *t == topic).map(|(_, w)| w / total).sum::<f64>()
        };
        for &(topic, _) in &sessions[s].topics {
            // Only the topic the session is most about, among its topics and its options.
            let mine = share(s, topic);
            let alone = sessions[s].topics.iter().all(|&(t, _)| t == topic || share(s, t) <= mine)
                && sessions[s].options.iter().all(|&o| o == s || sessions[o].topics.iter().all(|&(t, _)| share(o, t) == 0.0 || (t != topic && share(o, t) <= mine) ));
            if alone {
                prop_assert!(score_of(&after, topic) >= score_of(&before, topic) - 1e-9,
                    "{topic}: {} -> {}", score_of(&before, topic), score_of(&after, topic));
            }
        }
    }

    #[test]
    fn keynote_attendance_never_makes_a_topic_the_top_one(
        (mut sessions, presence, declared) in event(),
        topics in prop::collection::vec((0usize..6, 0.1f64..3.0), 1..6),
        minutes in 5u32..120,
    ) {
        let r = rules();
        sessions.push(SessionFacts { kind: SessionKind::Keynote, shares: topic_shares(&topics), topics, minutes: 45, plenary: true, options: Vec::new() });
        let mut more = presence.clone();
        more.push(Presence { session: sessions.len() - 1, minutes });
        let after = topic_scores(&more, &declared, &sessions, &r);
        prop_assert_eq!(&after, &topic_scores(&presence, &declared, &sessions, &r));
        if let Some(top) = after.first() {
            prop_assert!(top.declared || !top.sessions.is_empty());
            prop_assert!(top.sessions.iter().all(|(s, _)| !sessions[*s].plenary));
        }
        let before = topic_scores(&presence, &declared, &sessions, &r);
        prop_assert_eq!(
            after.iter().map(|t| t.topic).collect::<std::collections::BTreeSet<_>>(),
            before.iter().map(|t| t.topic).collect::<std::collections::BTreeSet<_>>()
        );
    }

    #[test]
    fn the_order_of_presence_does_not_matter(
        (sessions, presence, declared) in event(),
        seed in any::<u64>(),
    ) {
        let r = rules();
        let before = topic_scores(&presence, &declared, &sessions, &r);
        let mut shuffled = presence.clone();
        let n = shuffled.len();
        if n > 1 {
            shuffled.rotate_left((seed as usize) % n);
            shuffled.reverse();
        }
        let after = topic_scores(&shuffled, &declared, &sessions, &r);
        prop_assert_eq!(ranking(&before), ranking(&after));
        for (a, b) in before.iter().zip(&after) {
            prop_assert!((a.score - b.score).abs() < 1e-9);
        }
    }

    #[test]
    fn scores_stay_between_0_and_100((sessions, presence, declared) in event()) {
        let r = rules();
        for t in topic_scores(&presence, &declared, &sessions, &r) {
            prop_assert!(t.score > 0.0 && t.score <= 100.0);
        }
    }
}
