//! Tiers: hand-computed cases, exclusions and the explanation wording.

use super::*;

fn cto<'a>() -> Person<'a> {
    Person {
        email: "ada@bank.example",
        name: "Ada Lovelace",
        company: "Big Bank",
        job_title: "CTO",
        decision_role: Some(DecisionRole::DecisionMaker),
        purchase_stage: Some(PurchaseStage::LookForSuppliers),
        industry: Some(Industry::Finance),
        company_size: Some(CompanySize::Enterprise),
        country: "Germany",
    }
}

fn busy<'a>() -> Activity<'a> {
    Activity {
        sessions: 4,
        minutes: 190,
        top_topic: Some(("Big data", 72.0)),
        ..Activity::default()
    }
}

#[test]
fn a_cto_looking_for_suppliers_is_tier_a_with_an_explanation_by_hand() {
    // Fit 35 + 25 + 18 + 10 = 88. Engagement 0.6 x 72 = 43.2, 20 x 4/8 = 10,
    // 15 x 190/360 = 7.9: 61.1. Stage 100. Score 0.4 x 88 + 0.4 x 61.1 + 0.2 x 100 = 79.6.
    let a = assess(&cto(), &busy(), &LeadRules::default());
    assert_eq!(
        (a.tier, a.fit, a.engagement, a.stage_points, a.score),
        (Tier::A, 88.0, 61.1, 100.0, 79.6)
    );
    assert_eq!(
        a.explanation,
        "Tier A (hand to sales now). Score 79.6 meets every threshold of tier A. \
         Fit 88: decision role decision maker (+35), seniority 'CTO' reads as C-level or founder (+25), \
         company size 1,001-5,000 staff (+18). \
         Engagement 61.1: top topic Big data, interest 72 (+43.2), sessions 4 attended (+10), \
         time present 3h10 (+7.9). \
         Stage: looking for suppliers (step 4 of 8) (100 points)."
    );
    assert_eq!(a.exclusion, None);
    let axes: Vec<&str> = a.factors.iter().map(|f| f.axis.as_str()).collect();
    assert_eq!(
        axes,
        [
            "fit",
            "fit",
            "fit",
            "fit",
            "engagement",
            "engagement",
            "engagement",
            "stage"
        ]
    );
}

#[test]
fn just_learning_drops_to_tier_b_and_says_which_thresholds_missed() {
    let mut p = cto();
    p.purchase_stage = Some(PurchaseStage::JustLearning);
    // 35.2 + 24.44 + 0.2 x 15 = 62.64 -> 62.6.
    let a = assess(&p, &busy(), &LeadRules::default());
    assert_eq!((a.tier, a.score), (Tier::B, 62.6));
    assert!(
        a.explanation.starts_with(
            "Tier B (nurture plus telesales). Score 62.6; not tier A because score 62.6 is below 70, \
             stage 15 is below 60."
        ),
        "{}",
        a.explanation
    );
}

#[test]
fn little_engagement_is_tier_c() {
    let mut p = cto();
    p.decision_role = Some(DecisionRole::User);
    p.job_title = "Engineer";
    let a = assess(
        &p,
        &Activity {
            sessions: 1,
            minutes: 20,
            top_topic: Some(("Security", 9.0)),
            ..Activity::default()
        },
        &LeadRules::default(),
    );
    assert_eq!(a.tier, Tier::C, "{}", a.explanation);
    assert!(
        a.explanation.contains("not tier B because"),
        "{}",
        a.explanation
    );
}

#[test]
fn exclusions_win_over_any_score_in_a_fixed_order() {
    let mut rules = LeadRules::default();
    rules.exclude.staff_domains = vec!["organiser.example".into()];
    rules.exclude.competitor_domains = vec!["rival.example".into()];
    rules.exclude.competitors = vec!["Rival Cloud".into()];
    rules
        .exclude
        .rules
        .push(crate::domain::leads::rules::ExcludeRule {
            field: "country".into(),
            contains: "embargo".into(),
            reason: "country under embargo".into(),
        });
    type Change = dyn Fn(&mut Person, &mut Activity);
    let cases: [(&Change, &str); 7] = [
        (
            &|p, _| p.email = "bob@organiser.example",
            "staff of the organiser",
        ),
        (
            &|p, _| p.email = "bob@rival.example",
            "works for a competitor",
        ),
        (
            &|p, _| p.company = " rival cloud ",
            "works for a competitor (rival cloud)",
        ),
        (&|_, a| a.speaker = true, "speaker at the event"),
        (
            &|p, _| p.job_title = "PhD Student",
            "student or trainee (job title says 'student')",
        ),
        (&|p, _| p.country = "Embargoland", "country under embargo"),
        (&|_, a| *a = Activity::default(), "no-show"),
    ];
    for (change, reason) in cases {
        let mut p = cto();
        let mut a = busy();
        change(&mut p, &mut a);
        let out = assess(&p, &a, &rules);
        assert_eq!(out.tier, Tier::X, "{reason}");
        assert!(
            out.exclusion.as_deref().unwrap_or("").starts_with(reason),
            "{:?} vs {reason}",
            out.exclusion
        );
        assert!(
            out.explanation.starts_with("Tier X (excluded). Excluded: "),
            "{}",
            out.explanation
        );
        assert_eq!(out.factors[0].axis, "rule");
    }
    // Seniority words match whole words only: "Headhunter" is not "head".
    let mut p = cto();
    p.job_title = "Headhunter";
    let (_, f) = fit(&p, &rules);
    assert!(
        f.iter().any(|f| f.value.contains("no seniority word")),
        "{f:?}"
    );
}

#[test]
fn target_accounts_and_email_engagement_add_points() {
    let mut rules = LeadRules::default();
    rules.fit.target_accounts = vec!["big bank".into()];
    let (fit_score, f) = fit(&cto(), &rules);
    assert_eq!(fit_score, 100.0, "88 + 15 is capped at 100");
    assert!(f.iter().any(|f| f.label == "target account"));
    let mut a = busy();
    a.email_opens = 3;
    a.email_clicks = 1;
    let (with, _) = engagement(&a, &rules);
    let (without, _) = engagement(&busy(), &rules);
    assert!((with - without - 5.0).abs() < 1e-9);
}

#[test]
fn hours_and_minutes_read_naturally() {
    assert_eq!(hours_minutes(45), "45 min");
    assert_eq!(hours_minutes(130), "2h10");
    assert_eq!(hours_minutes(60), "1h00");
}

mod grade_without_words {
    //! `grade` (what a live update stores) gives exactly the tier and scores `assess` gives.

    use super::*;
    use proptest::prelude::*;

    fn pick<T: Copy>(all: &[T], i: usize) -> Option<T> {
        all.get(i).copied()
    }

    proptest! {
        #[test]
        fn grade_equals_the_assessment(
            role in 0usize..8, stage in 0usize..10, industry in 0usize..20, size in 0usize..8,
            title in prop::sample::select(vec!["CTO", "Sr. VP, Data", "intern", "Engineer", "", "Head of IT"]),
            company in prop::sample::select(vec!["Big Bank", "Rival Cloud", "Acme", ""]),
            email in prop::sample::select(vec!["ada@bank.example", "x@organiser.example", "noat"]),
            sessions in 0u32..12, minutes in 0u32..600,
            top in prop::option::of(0.0f64..100.0),
            opens in 0u32..2, clicks in 0u32..2, speaker: bool,
            accounts: bool, odd_weights: bool,
        ) {
            let mut rules = LeadRules::default();
            rules.exclude.staff_domains = vec!["organiser.example".into()];
            rules.exclude.competitors = vec!["Rival Cloud".into()];
            if accounts {
                rules.fit.target_accounts = vec!["big bank".into(), " acme ".into()];
            }
            if odd_weights {
                rules.score.fit = 0.33;
                rules.engagement.top_topic_share = 0.77;
                rules.tiers.b.stage = 12.5;
            }
            let p = Person {
                email,
                name: "Ada",
                company,
                job_title: title,
                decision_role: pick(&DecisionRole::ALL, role),
                purchase_stage: pick(&PurchaseStage::ALL, stage),
                industry: pick(&Industry::ALL, industry),
                company_size: pick(&CompanySize::ALL, size),
                country: "Germany",
            };
            let a = Activity {
                sessions,
                minutes,
                top_topic: top.map(|s| ("Big data", s)),
                email_opens: opens,
                email_clicks: clicks,
                speaker,
            };
            let full = assess(&p, &a, &rules);
            let g = grade(&p, &a, &rules);
            prop_assert_eq!(
                (g.tier, g.score, g.fit, g.engagement, g.stage_points),
                (full.tier, full.score, full.fit, full.engagement, full.stage_points)
            );
        }
    }
}
