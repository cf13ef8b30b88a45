//! The whole lead build of one event, pure: attendees and their presence in, one lead
//! package per attendee out. Same inputs, same output, whatever order they came in.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::{Timestamp, tz::TimeZone};

use crate::domain::{
    attendee::{Answers, CompanySize, DecisionRole, Industry},
    choice::or_blank,
    leads::content::ContentLibrary,
    leads::elsewhere::Elsewhere,
    leads::insight::{self, Insight},
    leads::interest::{self, Presence, SessionFacts, SessionTime},
    leads::next_need,
    leads::package::{
        Contact, GENUINE_SCORE, LeadPackage, Needs, Routing, SessionContribution, Tier,
        TopicInterest,
    },
    leads::routing::{RouteKey, RoutingRules},
    leads::rules::LeadRules,
    leads::tier::{self, Activity, Person, round1},
    programme::SessionKind,
};

#[derive(Debug, Clone, PartialEq)]
pub struct TopicRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionInput {
    /// The organiser's session id.
    pub external_id: String,
    pub title: String,
    pub kind: SessionKind,
    /// Topic index (into `EventInput::topics`) and weight.
    pub topics: Vec<(usize, f64)>,
    pub speakers: Vec<String>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttendeeInput {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub answers: Answers,
    /// Topic indexes ticked at registration.
    pub declared: Vec<usize>,
    /// Session index and minutes, one entry per visit (a trail).
    pub visits: Vec<(usize, u32)>,
    pub email_opens: u32,
    pub email_clicks: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventInput {
    pub topics: Vec<TopicRef>,
    pub sessions: Vec<SessionInput>,
    pub attendees: Vec<AttendeeInput>,
}

/// What a decision role is responsible for, in plain words (DOMAIN.md).
pub fn responsibilities(role: Option<DecisionRole>) -> &'static str {
    match role {
        Some(DecisionRole::Initiator) => "pushes for change; cares about the business growing",
        Some(DecisionRole::User) => "uses the product daily; cares about getting work done",
        Some(DecisionRole::Influencer) => "technical adviser to the choice",
        Some(DecisionRole::DecisionMaker) => {
            "makes the final decision; cares about cutting cost and raising efficiency"
        }
        Some(DecisionRole::Buyer) => {
            "negotiates terms and executes the purchase; cares about price"
        }
        Some(DecisionRole::Auditor) => "reviews the purchase afterwards; cares about risk",
        Some(DecisionRole::Other) | None => "not known",
    }
}

/// Genuine interests of one attendee, by topic index.
type Genuine = Box<[u16]>;
/// What the first pass keeps of one attendee: preferences, and genuine interests.
type FirstPass = (Box<[f64]>, Genuine);

/// The event-wide part of scoring (presence, session facts, speakers), computed once;
/// then any attendee's package.
pub struct Scorer<'a> {
    input: &'a EventInput,
    rules: &'a LeadRules,
    content: &'a ContentLibrary,
    facts: Vec<SessionFacts>,
    presence: Vec<Vec<Presence>>,
    speakers: HashSet<String>,
    /// Each attendee's fitted preference per topic index, and genuine interests.
    preference: Vec<Box<[f64]>>,
    genuine: Vec<Box<[u16]>>,
    /// Shared genuine interest across the event: the cross-topic insight.
    insight: Insight,
    /// What other events showed of the same people, and the rules drawn across events with
    /// it for the likely next need; none: the event's own insight.
    elsewhere: Option<(&'a Elsewhere, Insight)>,
}

/// The event-wide facts any one package needs: which sessions ran side by side (the choices
/// a person had) and who spoke. A live update of one person computes these once per
/// programme, then only that person's package (`one_package`).
pub struct EventFacts {
    facts: Vec<SessionFacts>,
    speakers: HashSet<String>,
}

impl EventInput {
    /// What scoring needs to know about each session (`interest::session_facts`).
    pub fn session_facts(&self) -> Vec<SessionFacts> {
        let times: Vec<SessionTime> = self
            .sessions
            .iter()
            .map(|s| SessionTime {
                kind: s.kind,
                topics: s.topics.clone(),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
            })
            .collect();
        interest::session_facts(&times)
    }
}

impl EventFacts {
    pub fn new(input: &EventInput) -> EventFacts {
        EventFacts {
            facts: input.session_facts(),
            speakers: input
                .sessions
                .iter()
                .flat_map(|s| s.speakers.iter().map(|n| n.trim().to_lowercase()))
                .collect(),
        }
    }
}

/// The package of attendee number `i` of `input` on its own, as `Scorer::package` would
/// give it in a build of the same scans, except the likely next need, which comes from
/// `insight` (the event-wide rules of the last build) when there is one.
pub fn one_package(
    input: &EventInput,
    event: &EventFacts,
    i: usize,
    rules: &LeadRules,
    content: &ContentLibrary,
    insight: Option<&Insight>,
) -> LeadPackage {
    let a = &input.attendees[i];
    let presence = interest::qualifying_presence(a.visits.iter().copied(), &rules.interest);
    let preference = interest::preferences(&presence, &a.declared, &event.facts, &rules.interest);
    let mut lead = package(
        input,
        a,
        &presence,
        &preference,
        &event.facts,
        &event.speakers,
        rules,
        content,
    );
    if let (Some(insight), true) = (insight, lead.tier != Tier::X) {
        let genuine = lead.genuine_interests();
        let listed: Vec<&str> = lead.topics.iter().map(|t| t.slug.as_str()).collect();
        lead.next_need = next_need::next_need(insight, &genuine, &listed);
    }
    lead
}

/// A person's tier, score and topics without the package's words: what a live update
/// stores and its watch rules check.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveGrade {
    pub tier: Tier,
    pub score: f64,
    /// Topic index and score as the package shows it (rounded once), strongest first.
    pub topics: Vec<(usize, f64)>,
}

impl LiveGrade {
    /// (slug, score) of each topic, strongest first: `LeadPackage::scored_topics`.
    pub fn scored_topics<'a>(
        &'a self,
        input: &'a EventInput,
    ) -> impl Iterator<Item = (&'a str, f64)> + 'a {
        self.topics
            .iter()
            .map(|&(t, score)| (input.topics[t].slug.as_str(), score))
    }
}

/// Attendee number `i` of `input` graded on their own: the tier, score and topics
/// `one_package` gives, without the work of putting them into words (factors,
/// explanation, sessions, content, next need).
pub fn one_grade(input: &EventInput, event: &EventFacts, i: usize, rules: &LeadRules) -> LiveGrade {
    let a = &input.attendees[i];
    let presence = interest::qualifying_presence(a.visits.iter().copied(), &rules.interest);
    let preference = interest::preferences(&presence, &a.declared, &event.facts, &rules.interest);
    let topics: Vec<(usize, f64)> = interest::topic_scores_given(
        &presence,
        &a.declared,
        &event.facts,
        &rules.interest,
        &preference,
    )
    .iter()
    .map(|t| (t.topic, round1(t.score)))
    .collect();
    let top = topics
        .first()
        .map(|&(t, score)| (input.topics[t].name.as_str(), score));
    let g = tier::grade(
        &person(a),
        &activity(a, &presence, top, &event.speakers),
        rules,
    );
    LiveGrade {
        tier: g.tier,
        score: g.score,
        topics,
    }
}

/// Who the attendee is, as the tier reads it.
fn person(a: &AttendeeInput) -> Person<'_> {
    Person {
        email: &a.email,
        name: &a.name,
        company: &a.answers.company,
        job_title: &a.answers.job_title,
        decision_role: a.answers.decision_role,
        purchase_stage: a.answers.purchase_stage,
        industry: a.answers.industry,
        company_size: a.answers.company_size,
        country: &a.answers.country,
    }
}

/// What the attendee did, as the tier reads it; `top` is the top topic's name and score.
fn activity<'a>(
    a: &AttendeeInput,
    presence: &[Presence],
    top: Option<(&'a str, f64)>,
    speakers: &HashSet<String>,
) -> Activity<'a> {
    Activity {
        sessions: presence.len() as u32,
        minutes: presence.iter().map(|p| p.minutes).sum(),
        top_topic: top,
        email_opens: a.email_opens,
        email_clicks: a.email_clicks,
        speaker: speakers.contains(&a.name.trim().to_lowercase()),
    }
}

impl<'a> Scorer<'a> {
    pub fn new(input: &'a EventInput, rules: &'a LeadRules, content: &'a ContentLibrary) -> Self {
        Scorer::with(input, rules, content, None)
    }

    /// A scorer whose likely next needs come from rules drawn across this event and what
    /// the data pool knows of other events (`elsewhere`), when it knows anything.
    pub fn across_events(
        input: &'a EventInput,
        rules: &'a LeadRules,
        content: &'a ContentLibrary,
        elsewhere: &'a Elsewhere,
    ) -> Self {
        Scorer::with(input, rules, content, Some(elsewhere))
    }

    fn with(
        input: &'a EventInput,
        rules: &'a LeadRules,
        content: &'a ContentLibrary,
        elsewhere: Option<&'a Elsewhere>,
    ) -> Self {
        let EventFacts { facts, speakers } = EventFacts::new(input);
        let presence: Vec<Vec<Presence>> = input
            .attendees
            .iter()
            .map(|a| interest::qualifying_presence(a.visits.iter().copied(), &rules.interest))
            .collect();
        // A first pass over everybody's interest, for what the event as a whole shows, in
        // as many parts as there are cores. The fitted preferences are kept for the packages.
        let first_pass = |(a, p): (&AttendeeInput, &Vec<Presence>)| -> FirstPass {
            let preference = interest::preferences(p, &a.declared, &facts, &rules.interest);
            let genuine =
                interest::topic_scores_given(p, &a.declared, &facts, &rules.interest, &preference)
                    .iter()
                    .filter(|t| !t.sessions.is_empty() && t.score >= GENUINE_SCORE)
                    .filter_map(|t| u16::try_from(t.topic).ok())
                    .collect();
            (preference.into_boxed_slice(), genuine)
        };
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        let part = input.attendees.len().div_ceil(parts).max(1);
        let (preference, genuine): (Vec<Box<[f64]>>, Vec<Genuine>) = std::thread::scope(|scope| {
            let workers: Vec<_> = input
                .attendees
                .chunks(part)
                .zip(presence.chunks(part))
                .map(|(a, p)| {
                    scope.spawn(move || a.iter().zip(p).map(first_pass).collect::<Vec<_>>())
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a scoring thread panicked"))
                .unzip()
        });
        let topics: Vec<(String, String)> = input
            .topics
            .iter()
            .map(|t| (t.slug.clone(), t.name.clone()))
            .collect();
        let insight = insight::insight(
            &topics,
            genuine.iter().map(|g| {
                g.iter()
                    .filter_map(|&t| input.topics.get(usize::from(t)).map(|t| t.slug.as_str()))
                    .collect::<Vec<&str>>()
            }),
            insight::MIN_PEOPLE,
        );
        let slugs = |i: usize| -> Vec<&'a str> {
            genuine[i]
                .iter()
                .filter_map(|&t| input.topics.get(usize::from(t)).map(|t| t.slug.as_str()))
                .collect()
        };
        let elsewhere = elsewhere.filter(|e| !e.is_empty()).map(|e| {
            let across = e.rules(&topics, input.attendees.len(), slugs);
            (e, across)
        });
        Scorer {
            input,
            rules,
            content,
            facts,
            presence,
            speakers,
            preference,
            genuine,
            insight,
            elsewhere,
        }
    }

    /// Shared genuine interest across the event (`lead_insight`).
    pub fn insight(&self) -> &Insight {
        &self.insight
    }

    pub fn len(&self) -> usize {
        self.input.attendees.len()
    }

    pub fn is_empty(&self) -> bool {
        self.input.attendees.is_empty()
    }

    /// The package of attendee number `i` (in input order).
    pub fn package(&self, i: usize) -> LeadPackage {
        let mut lead = package(
            self.input,
            &self.input.attendees[i],
            &self.presence[i],
            &self.preference[i],
            &self.facts,
            &self.speakers,
            self.rules,
            self.content,
        );
        if lead.tier != Tier::X {
            let mut genuine: Vec<&str> = self.genuine[i]
                .iter()
                .filter_map(|&t| self.input.topics.get(usize::from(t)))
                .map(|t| t.slug.as_str())
                .collect();
            let mut listed: Vec<&str> = lead.topics.iter().map(|t| t.slug.as_str()).collect();
            let rules = match &self.elsewhere {
                Some((elsewhere, across)) => {
                    // What they showed at other events leads on, and is no news to them.
                    let before = elsewhere.of(i).iter().map(String::as_str);
                    genuine.extend(before.clone());
                    listed.extend(before);
                    across
                }
                None => &self.insight,
            };
            lead.next_need = next_need::next_need(rules, &genuine, &listed);
        }
        lead
    }
}

/// Builds every attendee's lead package (without routing). `progress` is told how many
/// attendees are done, now and then.
pub fn build(
    input: &EventInput,
    rules: &LeadRules,
    content: &ContentLibrary,
    progress: &mut dyn FnMut(usize),
) -> Vec<LeadPackage> {
    let scorer = Scorer::new(input, rules, content);
    let mut out = Vec::with_capacity(scorer.len());
    for i in 0..scorer.len() {
        out.push(scorer.package(i));
        if (i + 1) % 10_000 == 0 {
            progress(i + 1);
        }
    }
    progress(out.len());
    out
}

#[allow(clippy::too_many_arguments)]
fn package(
    input: &EventInput,
    a: &AttendeeInput,
    presence: &[Presence],
    preference: &[f64],
    facts: &[SessionFacts],
    speakers: &HashSet<String>,
    rules: &LeadRules,
    content: &ContentLibrary,
) -> LeadPackage {
    let scores =
        interest::topic_scores_given(presence, &a.declared, facts, &rules.interest, preference);
    let session_id = |i: usize| input.sessions[i].external_id.clone();
    let topics: Vec<TopicInterest> = scores
        .iter()
        .map(|t| TopicInterest {
            slug: input.topics[t.topic].slug.clone(),
            name: input.topics[t.topic].name.clone(),
            score: round1(t.score),
            minutes: t.minutes,
            declared: t.declared,
            sessions: t
                .sessions
                .iter()
                .filter(|(_, part)| *part > 0.0)
                .map(|(s, _)| session_id(*s))
                .collect(),
        })
        .collect();
    let mut sessions: Vec<SessionContribution> = presence
        .iter()
        .map(|p| {
            let s = &input.sessions[p.session];
            SessionContribution {
                session: s.external_id.clone(),
                title: s.title.clone(),
                kind: s.kind.as_str().into(),
                minutes: p.minutes,
            }
        })
        .collect();
    sessions.sort_by(|x, y| y.minutes.cmp(&x.minutes).then(x.session.cmp(&y.session)));
    let minutes: u32 = presence.iter().map(|p| p.minutes).sum();
    let top = topics.first().map(|t| (t.name.as_str(), t.score));
    let assessment = tier::assess(&person(a), &activity(a, presence, top, speakers), rules);
    let ranked: Vec<&str> = topics.iter().take(3).map(|t| t.slug.as_str()).collect();
    let show = if assessment.tier == Tier::X {
        Vec::new()
    } else {
        content.pick(&ranked, or_blank::key(a.answers.industry))
    };
    let stage_label = a
        .answers
        .purchase_stage
        .map_or("", tier::stage_words)
        .to_owned();
    LeadPackage {
        attendee_id: a.id,
        tier: assessment.tier,
        score: assessment.score,
        fit: assessment.fit,
        engagement: assessment.engagement,
        stage_points: assessment.stage_points,
        contact: Contact {
            name: a.name.clone(),
            email: a.email.clone(),
            job_title: a.answers.job_title.clone(),
            company: a.answers.company.clone(),
            decision_role: a.answers.decision_role,
            responsibilities: responsibilities(a.answers.decision_role).into(),
            country: a.answers.country.clone(),
        },
        topics,
        sessions,
        session_count: presence.len() as u32,
        minutes,
        needs: Needs {
            industry: a.answers.industry.map_or("", Industry::label).to_owned(),
            industry_key: a.answers.industry,
            company_size: a
                .answers
                .company_size
                .map_or("", CompanySize::label)
                .to_owned(),
            stage: a.answers.purchase_stage,
            stage_label,
            declared_interests: a
                .declared
                .iter()
                .filter_map(|t| input.topics.get(*t).map(|t| t.slug.clone()))
                .collect(),
        },
        show,
        factors: assessment.factors,
        explanation: assessment.explanation,
        exclusion: assessment.exclusion,
        routing: None,
        next_need: None,
        follow_up: None,
    }
}

/// An owner and deadline a lead already had, which a rebuild keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRoute {
    pub owner: String,
    pub due_at: Timestamp,
}

/// Routes the leads of the tiers the routing file names. A lead already routed keeps its
/// owner and deadline (sales may be working it); new ones get an owner and a deadline
/// counted from `now`.
pub fn route(
    leads: &mut [LeadPackage],
    routing: &RoutingRules,
    kept: &HashMap<i64, KeptRoute>,
    now: Timestamp,
    tz: &TimeZone,
) {
    let due = routing.deadline(now, tz);
    for lead in leads {
        if !routing.routes(lead.tier) {
            lead.routing = None;
            continue;
        }
        lead.routing = Some(match kept.get(&lead.attendee_id) {
            Some(k) => Routing {
                owner: k.owner.clone(),
                rule: "kept from an earlier build".into(),
                due_at: k.due_at.to_string(),
            },
            None => {
                let key = RouteKey {
                    country: &lead.contact.country,
                    industry: or_blank::key(lead.needs.industry_key),
                    top_topic: lead.top_topic().map(|t| t.slug.as_str()),
                };
                let (owner, rule) = routing.route(key);
                Routing {
                    owner,
                    rule,
                    due_at: due.to_string(),
                }
            }
        });
    }
}

/// How many leads would move between tiers, and which.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierMoves {
    /// (from, to) -> count; `None` as from means the attendee had no lead.
    pub counts: BTreeMap<(Option<Tier>, Tier), usize>,
    /// (attendee id, from, to), by attendee id.
    pub moved: Vec<(i64, Option<Tier>, Tier)>,
}

pub fn tier_moves(before: &HashMap<i64, Tier>, after: &[LeadPackage]) -> TierMoves {
    let mut moves = TierMoves::default();
    for lead in after {
        let from = before.get(&lead.attendee_id).copied();
        if from == Some(lead.tier) {
            continue;
        }
        *moves.counts.entry((from, lead.tier)).or_default() += 1;
        moves.moved.push((lead.attendee_id, from, lead.tier));
    }
    moves.moved.sort_by_key(|m| m.0);
    moves
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
