//! Tiers: fit, engagement and purchase stage, each kept, combined into a score and a tier
//! with an explanation in plain words (`assess`), or without the words (`grade`, the same
//! figures from the same points).

use crate::domain::{
    attendee::{CompanySize, DecisionRole, Industry, PurchaseStage},
    choice::or_blank::key,
    leads::package::{Factor, Tier},
    leads::rules::{LeadRules, Threshold},
};

/// Who the person is, as registered.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    pub job_title: &'a str,
    pub decision_role: Option<DecisionRole>,
    pub purchase_stage: Option<PurchaseStage>,
    pub industry: Option<Industry>,
    pub company_size: Option<CompanySize>,
    pub country: &'a str,
}

/// What the person did at and after the event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Activity<'a> {
    pub sessions: u32,
    pub minutes: u32,
    /// The top topic's name and score, if any.
    pub top_topic: Option<(&'a str, f64)>,
    pub email_opens: u32,
    pub email_clicks: u32,
    /// The person spoke at one of the event's sessions.
    pub speaker: bool,
}

/// The decision for one lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub tier: Tier,
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    pub stage_points: f64,
    /// Most contributing first within each axis, axes in the order fit, engagement, stage.
    pub factors: Vec<Factor>,
    pub explanation: String,
    pub exclusion: Option<String>,
}

fn factor(axis: &str, label: &str, value: impl Into<String>, points: f64) -> Factor {
    Factor {
        axis: axis.into(),
        label: label.into(),
        value: value.into(),
        points: round1(points),
    }
}

pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Whole words of a job title, lower case (`Sr. VP, Data` -> `sr`, `vp`, `data`).
fn title_words(title: &str) -> Vec<String> {
    title
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map_or("", |(_, d)| d)
}

/// The words for an answer, empty when it was not given.
fn label_of<T: Copy>(value: Option<T>, label: fn(T) -> &'static str) -> &'static str {
    value.map_or("", label)
}

/// The reason a person is excluded, if a rule says so (checked in a fixed order).
pub fn exclusion(p: &Person<'_>, a: &Activity<'_>, rules: &LeadRules) -> Option<String> {
    let x = &rules.exclude;
    let domain = domain_of(p.email).to_ascii_lowercase();
    let company = p.company.trim().to_lowercase();
    if x.staff_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&domain))
    {
        return Some(format!("staff of the organiser ({domain})"));
    }
    if x.competitors
        .iter()
        .any(|c| c.trim().to_lowercase() == company)
        || x.competitor_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&domain))
    {
        return Some(format!("works for a competitor ({})", p.company.trim()));
    }
    if x.speakers && a.speaker {
        return Some("speaker at the event".into());
    }
    let words = title_words(p.job_title);
    if let Some(w) = x
        .student_words
        .iter()
        .find(|w| words.iter().any(|t| t.eq_ignore_ascii_case(w)))
    {
        return Some(format!("student or trainee (job title says '{w}')"));
    }
    for r in &x.rules {
        let value = match r.field.as_str() {
            "email" => p.email,
            "company" => p.company,
            "job_title" => p.job_title,
            "country" => p.country,
            "industry" => key(p.industry),
            _ => continue,
        };
        if value.to_lowercase().contains(&r.contains.to_lowercase()) {
            return Some(r.reason.clone());
        }
    }
    if x.no_shows && a.sessions == 0 {
        return Some("no-show: no session visit was scanned".into());
    }
    None
}

/// The points of each fit factor, before they are put into words.
struct FitPoints<'r> {
    role: f64,
    seniority: f64,
    /// The seniority level the job title reads as, if any.
    level: Option<&'r str>,
    size: f64,
    industry: f64,
    target_industry: bool,
    target_account: Option<f64>,
}

impl FitPoints<'_> {
    /// Each factor's points rounded as the package shows them, added in its order: the
    /// same figure whether or not the factors are put into words.
    fn total(&self) -> f64 {
        let total: f64 = [self.role, self.seniority, self.size, self.industry]
            .into_iter()
            .chain(self.target_account)
            .map(round1)
            .sum();
        total.clamp(0.0, 100.0)
    }
}

fn fit_points<'r>(p: &Person<'_>, rules: &'r LeadRules) -> FitPoints<'r> {
    let f = &rules.fit;
    let words = title_words(p.job_title);
    let level = f.seniority.iter().find(|l| {
        l.words
            .iter()
            .any(|w| words.iter().any(|t| t.eq_ignore_ascii_case(w)))
    });
    let target_industry = f.target_industries.iter().any(|i| i == key(p.industry));
    let company = p.company.trim().to_lowercase();
    FitPoints {
        role: f.role.get(key(p.decision_role)).copied().unwrap_or(0.0),
        seniority: level.map_or(f.seniority_default, |l| l.points),
        level: level.map(|l| l.name.as_str()),
        size: f
            .company_size
            .get(key(p.company_size))
            .copied()
            .unwrap_or(0.0),
        industry: if target_industry {
            f.target_industry_points
        } else {
            f.other_industry_points
        },
        target_industry,
        target_account: f
            .target_accounts
            .iter()
            .any(|c| c.trim().to_lowercase() == company)
            .then_some(f.target_account_points),
    }
}

/// Fit, 0 to 100, and its factors.
pub fn fit(p: &Person<'_>, rules: &LeadRules) -> (f64, Vec<Factor>) {
    let points = fit_points(p, rules);
    let role_label = label_of(p.decision_role, role_words);
    let size_label = label_of(p.company_size, CompanySize::label);
    let industry_label = label_of(p.industry, Industry::label);
    let mut factors = vec![
        factor("fit", "decision role", role_label, points.role),
        factor(
            "fit",
            "seniority",
            format!(
                "'{}' reads as {}",
                p.job_title.trim(),
                points.level.unwrap_or("no seniority word")
            ),
            points.seniority,
        ),
        factor(
            "fit",
            "company size",
            format!("{size_label} staff"),
            points.size,
        ),
        factor(
            "fit",
            "industry",
            format!(
                "{industry_label}{}",
                if points.target_industry {
                    " (targeted)"
                } else {
                    ""
                }
            ),
            points.industry,
        ),
    ];
    if let Some(account) = points.target_account {
        factors.push(factor("fit", "target account", p.company.trim(), account));
    }
    (points.total(), factors)
}

/// The points of each engagement factor, before they are put into words.
struct EngagementPoints {
    top_topic: Option<f64>,
    sessions: f64,
    minutes: f64,
    email_open: Option<f64>,
    email_click: Option<f64>,
}

impl EngagementPoints {
    /// As `FitPoints::total`.
    fn total(&self) -> f64 {
        let total: f64 = self
            .top_topic
            .into_iter()
            .chain([self.sessions, self.minutes])
            .chain(self.email_open)
            .chain(self.email_click)
            .map(round1)
            .sum();
        total.clamp(0.0, 100.0)
    }
}

fn engagement_points(a: &Activity<'_>, rules: &LeadRules) -> EngagementPoints {
    let e = &rules.engagement;
    let share = |n: u32, full: u32| f64::from(n.min(full.max(1))) / f64::from(full.max(1));
    EngagementPoints {
        top_topic: a.top_topic.map(|(_, score)| score * e.top_topic_share),
        sessions: e.session_points * share(a.sessions, e.full_sessions),
        minutes: e.minute_points * share(a.minutes, e.full_minutes),
        email_open: (a.email_opens > 0).then_some(e.email_open_points),
        email_click: (a.email_clicks > 0).then_some(e.email_click_points),
    }
}

/// Engagement, 0 to 100, and its factors.
pub fn engagement(a: &Activity<'_>, rules: &LeadRules) -> (f64, Vec<Factor>) {
    let points = engagement_points(a, rules);
    let mut factors = Vec::new();
    if let (Some((name, score)), Some(top)) = (a.top_topic, points.top_topic) {
        factors.push(factor(
            "engagement",
            "top topic",
            format!("{name}, interest {}", round1(score)),
            top,
        ));
    }
    factors.push(factor(
        "engagement",
        "sessions",
        format!("{} attended", a.sessions),
        points.sessions,
    ));
    factors.push(factor(
        "engagement",
        "time present",
        hours_minutes(a.minutes),
        points.minutes,
    ));
    if let Some(open) = points.email_open {
        factors.push(factor("engagement", "follow-up email", "opened", open));
    }
    if let Some(click) = points.email_click {
        factors.push(factor(
            "engagement",
            "follow-up email",
            "link clicked",
            click,
        ));
    }
    (points.total(), factors)
}

/// `2h10`, `45 min`.
pub fn hours_minutes(minutes: u32) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{}h{:02}", minutes / 60, minutes % 60)
    }
}

fn stage_points(p: &Person<'_>, rules: &LeadRules) -> f64 {
    rules
        .stage
        .get(key(p.purchase_stage))
        .copied()
        .unwrap_or(0.0)
}

/// Stage points and the factor naming the stage.
pub fn stage(p: &Person<'_>, rules: &LeadRules) -> (f64, Factor) {
    let points = stage_points(p, rules);
    let label = match p.purchase_stage {
        Some(s) => {
            let words = stage_words(s);
            match s.step() {
                Some(step) => format!("{words} (step {step} of 8)"),
                None => words.to_owned(),
            }
        }
        None => "unknown".into(),
    };
    (points, factor("stage", "purchase stage", label, points))
}

/// The decision role as sales would say it.
pub fn role_words(r: DecisionRole) -> &'static str {
    match r {
        DecisionRole::Initiator => "initiator",
        DecisionRole::User => "user",
        DecisionRole::Influencer => "influencer",
        DecisionRole::DecisionMaker => "decision maker",
        DecisionRole::Buyer => "buyer",
        DecisionRole::Auditor => "auditor",
        DecisionRole::Other => "no decision role",
    }
}

/// The stage as sales would say it.
pub fn stage_words(s: PurchaseStage) -> &'static str {
    match s {
        PurchaseStage::RecogniseProblem => "recognising a problem",
        PurchaseStage::AnalyseNeed => "analysing the need",
        PurchaseStage::SettleSpecification => "settling the specification",
        PurchaseStage::LookForSuppliers => "looking for suppliers",
        PurchaseStage::CallForProposals => "calling for proposals",
        PurchaseStage::ChooseSupplier => "choosing a supplier",
        PurchaseStage::Implementing => "implementing a purchase",
        PurchaseStage::Evaluating => "evaluating a solution in use",
        PurchaseStage::JustLearning => "just learning, no project",
    }
}

/// The axes of a grade that fall short of a tier's thresholds: name, value, threshold.
fn below(t: &Threshold, g: &Grade) -> impl Iterator<Item = (&'static str, f64, f64)> {
    [
        ("score", g.score, t.score),
        ("fit", g.fit, t.fit),
        ("engagement", g.engagement, t.engagement),
        ("stage", g.stage_points, t.stage),
    ]
    .into_iter()
    .filter(|(_, v, min)| v < min)
}

/// What keeps a grade out of a tier, in words.
fn shortfalls(t: &Threshold, g: &Grade) -> String {
    below(t, g)
        .map(|(axis, v, min)| format!("{axis} {} is below {}", round1(v), round1(min)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A lead's tier and scores, without the factors and the explanation that put them into
/// words: what a live update stores and its watch rules check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub tier: Tier,
    pub score: f64,
    pub fit: f64,
    pub engagement: f64,
    pub stage_points: f64,
}

/// The score, rounded as shown, and the tier it earns, from the axes' totals.
fn graded(
    fit: f64,
    engagement: f64,
    stage_points: f64,
    excluded: bool,
    rules: &LeadRules,
) -> Grade {
    let w = &rules.score;
    let score = (w.fit * fit + w.engagement * engagement + w.stage * stage_points)
        / (w.fit + w.engagement + w.stage);
    let mut g = Grade {
        tier: Tier::X,
        score: round1(score),
        fit: round1(fit),
        engagement: round1(engagement),
        stage_points,
    };
    if !excluded {
        g.tier = if below(&rules.tiers.a, &g).next().is_none() {
            Tier::A
        } else if below(&rules.tiers.b, &g).next().is_none() {
            Tier::B
        } else {
            Tier::C
        };
    }
    g
}

/// Tier and scores for one person, as `assess` gives them, without putting them into words.
pub fn grade(p: &Person<'_>, a: &Activity<'_>, rules: &LeadRules) -> Grade {
    graded(
        fit_points(p, rules).total(),
        engagement_points(a, rules).total(),
        stage_points(p, rules),
        exclusion(p, a, rules).is_some(),
        rules,
    )
}

/// Tier, scores, factors and explanation for one person.
pub fn assess(p: &Person<'_>, a: &Activity<'_>, rules: &LeadRules) -> Assessment {
    let (fit, mut factors) = fit(p, rules);
    let (engagement, mut e_factors) = engagement(a, rules);
    let (stage_points, stage_factor) = stage(p, rules);
    let exclusion = exclusion(p, a, rules);
    let g = graded(fit, engagement, stage_points, exclusion.is_some(), rules);
    sort_by_points(&mut factors);
    sort_by_points(&mut e_factors);
    let top = |fs: &[Factor], n: usize| {
        fs.iter()
            .filter(|f| f.points > 0.0)
            .take(n)
            .map(|f| format!("{} {} (+{})", f.label, f.value, f.points))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let axes = format!(
        "Fit {}: {}. Engagement {}: {}. Stage: {} ({} points).",
        g.fit,
        or_none(top(&factors, 3)),
        g.engagement,
        or_none(top(&e_factors, 3)),
        stage_factor.value,
        stage_points
    );
    let score = g.score;
    let why = match (&exclusion, g.tier) {
        (Some(reason), _) => format!("Excluded: {reason}."),
        (None, Tier::A) => format!("Score {score} meets every threshold of tier A."),
        (None, Tier::B) => format!(
            "Score {score}; not tier A because {}.",
            shortfalls(&rules.tiers.a, &g)
        ),
        (None, _) => format!(
            "Score {score}; not tier B because {}.",
            shortfalls(&rules.tiers.b, &g)
        ),
    };
    factors.extend(e_factors);
    factors.push(stage_factor);
    if let Some(reason) = &exclusion {
        factors.insert(0, factor("rule", "excluded", reason.clone(), 0.0));
    }
    Assessment {
        tier: g.tier,
        score,
        fit: g.fit,
        engagement: g.engagement,
        stage_points,
        factors,
        explanation: format!(
            "Tier {} ({}). {why} {axes}",
            g.tier.as_str(),
            g.tier.meaning()
        ),
        exclusion,
    }
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "nothing counted".into()
    } else {
        s
    }
}

fn sort_by_points(f: &mut [Factor]) {
    f.sort_by(|a, b| b.points.total_cmp(&a.points));
}

#[cfg(test)]
#[path = "tier_tests.rs"]
mod tests;
