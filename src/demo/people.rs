//! Synthetic attendees for the demo and benchmarks: plausible, varied and reproducible.

use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};

use crate::domain::attendee::{
    Answers, CompanySize, DecisionRole, Industry, PurchaseStage, RegistrationInput,
};

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Linus",
    "Margaret",
    "Alan",
    "Barbara",
    "Dennis",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
    "Hedy",
    "Katherine",
    "Edsger",
    "Sophie",
    "Yukihiro",
    "Guido",
    "Anita",
    "Leslie",
    "Shafi",
    "Mei",
    "Arjun",
    "Fatima",
    "Lars",
    "Chiara",
    "Mateo",
    "Aiko",
    "Omar",
    "Ingrid",
    "Kwame",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Turing",
    "Liskov",
    "Ritchie",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Johnson",
    "Dijkstra",
    "Wilson",
    "Matsumoto",
    "Rossum",
    "Borg",
    "Lamport",
    "Goldwasser",
    "Chen",
    "Patel",
    "Haddad",
    "Nilsson",
    "Romano",
    "García",
    "Tanaka",
    "O'Brien",
    "Larsen",
    "Mensah",
];
const COMPANIES: &[&str] = &[
    "Northwind Media",
    "Contoso Bank",
    "Fabrikam Retail",
    "Globex Logistics",
    "Initech Software",
    "Umbrella Health",
    "Stark Manufacturing",
    "Wayne Energy",
    "Acme Telecom",
    "Hooli Games",
    "Vandelay Industries",
    "Tyrell Systems",
    "Soylent Foods",
    "Cyberdyne Analytics",
    "Wonka Streaming",
];
const TITLES: &[(&str, DecisionRole)] = &[
    ("CTO", DecisionRole::DecisionMaker),
    ("VP Engineering", DecisionRole::DecisionMaker),
    ("Head of Data", DecisionRole::Initiator),
    ("Engineering Manager", DecisionRole::Initiator),
    ("Solutions Architect", DecisionRole::Influencer),
    ("Principal Engineer", DecisionRole::Influencer),
    ("Software Engineer", DecisionRole::User),
    ("Data Scientist", DecisionRole::User),
    ("Procurement Lead", DecisionRole::Buyer),
    ("Risk Officer", DecisionRole::Auditor),
];
const COUNTRIES: &[&str] = &[
    "Germany",
    "France",
    "United Kingdom",
    "Netherlands",
    "Spain",
    "Italy",
    "Poland",
    "Sweden",
];

/// `n` registrations for an event with `topics`, the same for the same `seed`.
pub fn synthetic(n: usize, topics: &[&str], seed: u64) -> Vec<RegistrationInput> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let first = FIRST.choose(&mut rng).copied().unwrap_or("Alex");
            let last = LAST.choose(&mut rng).copied().unwrap_or("Doe");
            let company = COMPANIES.choose(&mut rng).copied().unwrap_or("Example");
            let (title, role) = TITLES
                .choose(&mut rng)
                .copied()
                .unwrap_or(("Engineer", DecisionRole::User));
            let k = rng.random_range(1..=3.min(topics.len().max(1)));
            let interests = topics
                .choose_multiple(&mut rng, k)
                .map(|s| (*s).to_owned())
                .collect();
            let domain: String = company
                .to_ascii_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let local: String = format!("{first}.{last}")
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            RegistrationInput {
                email: format!("{local}.{i}@{domain}.example"),
                name: format!("{first} {last}"),
                answers: Answers {
                    company: company.into(),
                    job_title: title.into(),
                    decision_role: role.key().into(),
                    purchase_stage: PurchaseStage::ALL
                        .choose(&mut rng)
                        .map(|s| s.key())
                        .unwrap_or("just_learning")
                        .into(),
                    industry: Industry::ALL
                        .choose(&mut rng)
                        .map(|s| s.key())
                        .unwrap_or("other")
                        .into(),
                    company_size: CompanySize::ALL
                        .choose(&mut rng)
                        .map(|s| s.key())
                        .unwrap_or("1_10")
                        .into(),
                    country: COUNTRIES
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or("Germany")
                        .into(),
                },
                phone: if rng.random_bool(0.3) {
                    format!("+49 30 {:07}", rng.random_range(0..10_000_000))
                } else {
                    String::new()
                },
                interests,
                marketing_consent: rng.random_bool(0.7),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attendee::Registration;

    #[test]
    fn synthetic_people_are_valid_unique_and_reproducible() {
        let topics = ["ai", "big-data", "security"];
        let a = synthetic(300, &topics, 7);
        assert_eq!(a, synthetic(300, &topics, 7));
        let mut emails = std::collections::HashSet::new();
        for p in &a {
            Registration::parse(p, &topics).unwrap();
            assert!(emails.insert(p.email.clone()));
        }
    }
}
