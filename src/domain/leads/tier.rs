//! Tiers: fit, engagement and purchase stage, each kept, combined into a score and a tier
//! with an explanation in plain words.

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

/// Fit, 0 to 100, and its factors.
pub fn fit(p: &Person<'_>, rules: &LeadRules) -> (f64, Vec<Factor>) {
    let f = &rules.fit;
    let mut factors = Vec::new();
    let role = f.role.get(key(p.decision_role)).copied().unwrap_or(0.0);
    let role_label = label_of(p.decision_role, role_words).to_owned();
    factors.push(factor("fit", "decision role", role_label, role));
    let words = title_words(p.job_title);
    let level = f.seniority.iter().find(|l| {
        l.words
            .iter()
            .any(|w| words.iter().any(|t| t.eq_ignore_ascii_case(w)))
    });
    let (seniority, level_name) = level.map_or((f.seniority_default, "no seniority word"), |l| {
        (l.points, l.name.as_str())
    });
    factors.push(factor(
        "fit",
        "seniority",
        format!("'{}' reads as {level_name}", p.job_title.trim()),
        seniority,
    ));
    let size = f
        .company_size
        .get(key(p.company_size))
        .copied()
        .unwrap_or(0.0);
    let size_label = label_of(p.company_size, CompanySize::label);
    factors.push(factor(
        "fit",
        "company size",
        format!("{size_label} staff"),
        size,
    ));
    let target = f.target_industries.iter().any(|i| i == key(p.industry));
    let industry = if target {
        f.target_industry_points
    } else {
        f.other_industry_points
    };
    let industry_label = label_of(p.industry, Industry::label);
    factors.push(factor(
        "fit",
        "industry",
        format!(
            "{industry_label}{}",
            if target { " (targeted)" } else { "" }
        ),
        industry,
    ));
    let company = p.company.trim().to_lowercase();
    if f.target_accounts
        .iter()
        .any(|c| c.trim().to_lowercase() == company)
    {
        factors.push(factor(
            "fit",
            "target account",
            p.company.trim(),
            f.target_account_points,
        ));
    }
    let total: f64 = factors.iter().map(|f| f.points).sum();
    (total.clamp(0.0, 100.0), factors)
}

/// Engagement, 0 to 100, and its factors.
pub fn engagement(a: &Activity<'_>, rules: &LeadRules) -> (f64, Vec<Factor>) {
    let e = &rules.engagement;
    let mut factors = Vec::new();
    if let Some((name, score)) = a.top_topic {
        factors.push(factor(
            "engagement",
            "top topic",
            format!("{name}, interest {}", round1(score)),
            score * e.top_topic_share,
        ));
    }
    let share = |n: u32, full: u32| f64::from(n.min(full.max(1))) / f64::from(full.max(1));
    factors.push(factor(
        "engagement",
        "sessions",
        format!("{} attended", a.sessions),
        e.session_points * share(a.sessions, e.full_sessions),
    ));
    factors.push(factor(
        "engagement",
        "time present",
        hours_minutes(a.minutes),
        e.minute_points * share(a.minutes, e.full_minutes),
    ));
    if a.email_opens > 0 {
        factors.push(factor(
            "engagement",
            "follow-up email",
            "opened",
            e.email_open_points,
        ));
    }
    if a.email_clicks > 0 {
        factors.push(factor(
            "engagement",
            "follow-up email",
            "link clicked",
            e.email_click_points,
        ));
    }
    let total: f64 = factors.iter().map(|f| f.points).sum();
    (total.clamp(0.0, 100.0), factors)
}

/// `2h10`, `45 min`.
pub fn hours_minutes(minutes: u32) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{}h{:02}", minutes / 60, minutes % 60)
    }
}

/// Stage points and the factor naming the stage.
pub fn stage(p: &Person<'_>, rules: &LeadRules) -> (f64, Factor) {
    let points = rules
        .stage
        .get(key(p.purchase_stage))
        .copied()
        .unwrap_or(0.0);
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

fn meets(t: &Threshold, score: f64, fit: f64, engagement: f64, stage: f64) -> Vec<String> {
    let mut short = Vec::new();
    for (axis, v, min) in [
        ("score", score, t.score),
        ("fit", fit, t.fit),
        ("engagement", engagement, t.engagement),
        ("stage", stage, t.stage),
    ] {
        if v < min {
            short.push(format!("{axis} {} is below {}", round1(v), round1(min)));
        }
    }
    short
}

/// Tier, scores, factors and explanation for one person.
pub fn assess(p: &Person<'_>, a: &Activity<'_>, rules: &LeadRules) -> Assessment {
    let (fit, mut factors) = fit(p, rules);
    let (engagement, e_factors) = engagement(a, rules);
    let (stage_points, stage_factor) = stage(p, rules);
    let w = &rules.score;
    let score = (w.fit * fit + w.engagement * engagement + w.stage * stage_points)
        / (w.fit + w.engagement + w.stage);
    let (fit, engagement, score) = (round1(fit), round1(engagement), round1(score));
    sort_by_points(&mut factors);
    let mut e_factors = e_factors;
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
        "Fit {fit}: {}. Engagement {engagement}: {}. Stage: {} ({} points).",
        or_none(top(&factors, 3)),
        or_none(top(&e_factors, 3)),
        stage_factor.value,
        stage_points
    );
    let exclusion = exclusion(p, a, rules);
    let (tier, why) = if let Some(reason) = &exclusion {
        (Tier::X, format!("Excluded: {reason}."))
    } else {
        let short_a = meets(&rules.tiers.a, score, fit, engagement, stage_points);
        let short_b = meets(&rules.tiers.b, score, fit, engagement, stage_points);
        if short_a.is_empty() {
            (
                Tier::A,
                format!("Score {score} meets every threshold of tier A."),
            )
        } else if short_b.is_empty() {
            (
                Tier::B,
                format!("Score {score}; not tier A because {}.", short_a.join(", ")),
            )
        } else {
            (
                Tier::C,
                format!("Score {score}; not tier B because {}.", short_b.join(", ")),
            )
        }
    };
    factors.extend(e_factors);
    factors.push(stage_factor);
    if let Some(reason) = &exclusion {
        factors.insert(0, factor("rule", "excluded", reason.clone(), 0.0));
    }
    Assessment {
        tier,
        score,
        fit,
        engagement,
        stage_points,
        factors,
        explanation: format!("Tier {} ({}). {why} {axes}", tier.as_str(), tier.meaning()),
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
