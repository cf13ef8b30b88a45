//! Who an attendee is: the registration answers, checked once, and the consent they gave.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    choice::{Choice, choice_enum},
    email::Email,
};

/// The wording shown next to the consent box. Stored with every consent so we can prove
/// what a person agreed to; change it and new consents record the new text.
pub const CONSENT_WORDING: &str = "Yes, email me follow-up about the topics I am interested in. \
I can unsubscribe at any time with one click.";

choice_enum!(
    /// The person's part in a company purchase (DOMAIN.md: the six decision roles).
    DecisionRole {
        Initiator = "initiator": "I push for change and new projects",
        User = "user": "I use the products day to day",
        Influencer = "influencer": "I advise on technical choices",
        DecisionMaker = "decision_maker": "I make the final decision",
        Buyer = "buyer": "I negotiate and handle purchasing",
        Auditor = "auditor": "I review purchases and risk",
        Other = "other": "None of these",
    }
);

choice_enum!(
    /// Where the company is in its purchase (DOMAIN.md: the eight steps), worded for attendees.
    PurchaseStage {
        RecogniseProblem = "recognise_problem": "We have a problem we need to solve",
        AnalyseNeed = "analyse_need": "We are working out what we need",
        SettleSpecification = "settle_specification": "We know roughly what the solution must do",
        LookForSuppliers = "look_for_suppliers": "We are looking for suppliers",
        CallForProposals = "call_for_proposals": "We are asking suppliers for proposals",
        ChooseSupplier = "choose_supplier": "We are choosing between suppliers",
        Implementing = "implementing": "We have bought and are implementing",
        Evaluating = "evaluating": "We are reviewing a solution we already use",
        JustLearning = "just_learning": "Just learning, no project yet",
    }
);

choice_enum!(
    /// Headcount band of the attendee's company.
    CompanySize {
        Micro = "1_10": "1-10",
        Small = "11_50": "11-50",
        Medium = "51_200": "51-200",
        Large = "201_1000": "201-1,000",
        Enterprise = "1001_5000": "1,001-5,000",
        Giant = "5000_plus": "More than 5,000",
    }
);

choice_enum!(
    /// Industry of the attendee's company; a fixed list so routing can rely on it.
    Industry {
        Software = "software": "Software and internet",
        Finance = "finance": "Banking, insurance and finance",
        Retail = "retail": "Retail and e-commerce",
        Manufacturing = "manufacturing": "Manufacturing",
        Media = "media": "Media and entertainment",
        Gaming = "gaming": "Gaming",
        Healthcare = "healthcare": "Healthcare and life sciences",
        Education = "education": "Education",
        Public = "public": "Government and public sector",
        Telecom = "telecom": "Telecommunications",
        Logistics = "logistics": "Logistics and transport",
        Energy = "energy": "Energy and utilities",
        Services = "services": "Professional services",
        Other = "other": "Other",
    }
);

impl PurchaseStage {
    /// The step number of DOMAIN.md (1-8), or `None` for "just learning".
    pub fn step(self) -> Option<u8> {
        PurchaseStage::ALL
            .iter()
            .position(|s| *s == self)
            .filter(|_| self != PurchaseStage::JustLearning)
            .map(|i| i as u8 + 1)
    }
}

/// How an `Answers` holds the four choice answers: as typed (`Typed`, text from a form or
/// a file, kept as is so a wrong value can be shown back beside its field) or checked
/// (`Checked`, the list's value; none for an erased attendee).
pub trait AnswerForm {
    type Role: std::fmt::Debug + Clone + Default + PartialEq;
    type Stage: std::fmt::Debug + Clone + Default + PartialEq;
    type Industry: std::fmt::Debug + Clone + Default + PartialEq;
    type Size: std::fmt::Debug + Clone + Default + PartialEq;
}

/// Answers as typed into the form or read from a file, before `Registration::parse`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Typed;

impl AnswerForm for Typed {
    type Role = String;
    type Stage = String;
    type Industry = String;
    type Size = String;
}

/// Answers as checked and stored: each choice is one of its list, or none once erased.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checked;

impl AnswerForm for Checked {
    type Role = Option<DecisionRole>;
    type Stage = Option<PurchaseStage>;
    type Industry = Option<Industry>;
    type Size = Option<CompanySize>;
}

/// What a person says about their work and company when registering: the one answers type
/// every copy of an attendee carries. `Answers<Typed>` is the form's and an import's input;
/// `Answers` (checked) is the stored attendee, the lead builder's input and a bulk load. An
/// erased attendee's answers are all empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answers<F: AnswerForm = Checked> {
    pub company: String,
    pub job_title: String,
    pub decision_role: F::Role,
    pub purchase_stage: F::Stage,
    pub industry: F::Industry,
    pub company_size: F::Size,
    pub country: String,
}

impl Answers {
    /// The answers as the form shows them: each choice's key, empty for none.
    pub fn typed(&self) -> Answers<Typed> {
        use super::choice::or_blank::key;
        Answers {
            company: self.company.clone(),
            job_title: self.job_title.clone(),
            decision_role: key(self.decision_role).to_owned(),
            purchase_stage: key(self.purchase_stage).to_owned(),
            industry: key(self.industry).to_owned(),
            company_size: key(self.company_size).to_owned(),
            country: self.country.clone(),
        }
    }
}

/// The raw answers, exactly as typed into the form or read from a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistrationInput {
    pub email: String,
    pub name: String,
    #[serde(flatten)]
    pub answers: Answers<Typed>,
    pub phone: String,
    /// Topic slugs ticked or listed.
    pub interests: Vec<String>,
    pub marketing_consent: bool,
}

/// A registration that passed every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registration {
    pub email: Email,
    pub name: String,
    pub company: String,
    pub job_title: String,
    pub decision_role: DecisionRole,
    pub purchase_stage: PurchaseStage,
    pub industry: Industry,
    pub company_size: CompanySize,
    pub country: String,
    pub phone: Option<String>,
    /// Known topic slugs, deduplicated, in the order given.
    pub interests: Vec<String>,
    pub marketing_consent: bool,
}

/// What is wrong with each field, keyed by field name, for showing beside the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k} {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

/// Trims, collapses inner whitespace and refuses control characters and over-long values.
fn text(raw: &str, max: usize, required: bool) -> Result<String, String> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return if required {
            Err("is required".into())
        } else {
            Ok(s)
        };
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if s.chars().any(invisible_format) {
        return Err(
            "must not contain invisible formatting characters such as text direction overrides"
                .into(),
        );
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(s)
}

/// Format characters (Unicode category Cf): direction overrides such as U+202E make a name
/// display as something else in lists and exports, zero-width ones make two names look
/// alike. The joiners U+200C and U+200D stay allowed: Persian and Indic names need them.
fn invisible_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format && !matches!(c, '\u{200c}' | '\u{200d}')
}

fn phone(raw: &str) -> Result<Option<String>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    if !allowed || !(6..=20).contains(&digits) {
        return Err("must be a phone number such as +49 30 1234567".into());
    }
    Ok(Some(s.to_owned()))
}

impl Answers<Typed> {
    /// Checks every answer (all are required), reporting all problems by field; the checked
    /// copy holds each choice.
    pub fn check(&self) -> Result<Answers, FieldErrors> {
        let mut errors = BTreeMap::new();
        let mut take = |field: &'static str, r: Result<String, String>| {
            r.map_err(|e| errors.insert(field, e)).unwrap_or_default()
        };
        let company = take("company", text(&self.company, 120, true));
        let job_title = take("job_title", text(&self.job_title, 120, true));
        let country = take("country", text(&self.country, 80, true));
        let answers = Answers {
            company,
            job_title,
            decision_role: choice(&mut errors, "decision_role", &self.decision_role),
            purchase_stage: choice(&mut errors, "purchase_stage", &self.purchase_stage),
            industry: choice(&mut errors, "industry", &self.industry),
            company_size: choice(&mut errors, "company_size", &self.company_size),
            country,
        };
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// A required choice, or its problem added to `errors`.
fn choice<T: Choice>(
    errors: &mut BTreeMap<&'static str, String>,
    field: &'static str,
    raw: &str,
) -> Option<T> {
    T::parse(raw)
        .map_err(|e| errors.insert(field, required_or(raw, e)))
        .ok()
}

impl Registration {
    /// Checks every field against the rules and the event's topics, reporting all problems.
    pub fn parse(
        input: &RegistrationInput,
        known_topics: &[&str],
    ) -> Result<Registration, FieldErrors> {
        let mut errors = BTreeMap::new();
        let answers = input.answers.check().map_err(|e| errors.extend(e.0)).ok();
        let name = text(&input.name, 120, true)
            .map_err(|e| errors.insert("name", e))
            .unwrap_or_default();
        let email = Email::parse(&input.email)
            .map_err(|e| errors.insert("email", e))
            .ok();
        let phone = phone(&input.phone)
            .map_err(|e| errors.insert("phone", e))
            .ok()
            .flatten();
        let mut interests: Vec<String> = Vec::new();
        for raw in &input.interests {
            let t = raw.trim();
            if t.is_empty() {
                continue;
            }
            if !known_topics.contains(&t) {
                errors.insert("interests", format!("'{t}' is not a topic of this event"));
            } else if !interests.iter().any(|i| i == t) {
                interests.push(t.to_owned());
            }
        }
        match (email, answers) {
            (
                Some(email),
                Some(Answers {
                    company,
                    job_title,
                    decision_role: Some(decision_role),
                    purchase_stage: Some(purchase_stage),
                    industry: Some(industry),
                    company_size: Some(company_size),
                    country,
                }),
            ) if errors.is_empty() => Ok(Registration {
                email,
                name,
                company,
                job_title,
                decision_role,
                purchase_stage,
                industry,
                company_size,
                country,
                phone,
                interests,
                marketing_consent: input.marketing_consent,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }

    /// The first name, for greetings.
    pub fn first_name(&self) -> &str {
        first_name(&self.name)
    }
}

/// The first word of a stored name, for greetings at the door and in emails; the whole
/// (trimmed) name when it has no spaces.
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or("")
}

fn required_or(raw: &str, e: String) -> String {
    if raw.trim().is_empty() {
        "is required".into()
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPICS: &[&str] = &["ai", "big-data"];

    fn good() -> RegistrationInput {
        RegistrationInput {
            email: "ada@example.com".into(),
            name: "  Ada   Lovelace ".into(),
            answers: Answers::<Typed> {
                company: "Analytical Engines".into(),
                job_title: "CTO".into(),
                decision_role: "decision_maker".into(),
                purchase_stage: "look_for_suppliers".into(),
                industry: "software".into(),
                company_size: "51_200".into(),
                country: "United Kingdom".into(),
            },
            phone: "".into(),
            interests: vec!["ai".into(), "ai".into(), "big-data".into()],
            marketing_consent: true,
        }
    }

    #[test]
    fn a_complete_form_parses_and_normalises() {
        let r = Registration::parse(&good(), TOPICS).unwrap();
        assert_eq!(r.name, "Ada Lovelace");
        assert_eq!(r.first_name(), "Ada");
        assert_eq!(r.decision_role, DecisionRole::DecisionMaker);
        assert_eq!(r.interests, ["ai", "big-data"]);
        assert_eq!(r.phone, None);
        assert_eq!(r.purchase_stage.step(), Some(4));
        assert_eq!(PurchaseStage::JustLearning.step(), None);
    }

    #[test]
    fn the_first_name_is_the_first_word_as_written() {
        assert_eq!(first_name("  Zoë   Example "), "Zoë");
        assert_eq!(first_name("Madonna"), "Madonna");
        assert_eq!(first_name("<b>Zoë</b> Example"), "<b>Zoë</b>");
        assert_eq!(first_name("   "), "");
    }

    #[test]
    fn every_missing_field_is_reported_at_once() {
        let errs = Registration::parse(&RegistrationInput::default(), TOPICS).unwrap_err();
        for f in [
            "email",
            "name",
            "company",
            "job_title",
            "decision_role",
            "purchase_stage",
            "industry",
            "company_size",
            "country",
        ] {
            assert_eq!(errs.get(f), Some("is required"), "field {f}");
        }
        assert_eq!(errs.get("phone"), None);
    }

    #[test]
    fn malformed_values_get_specific_messages() {
        let mut input = good();
        input.email = "not-an-email".into();
        input.answers.decision_role = "ceo".into();
        input.phone = "call me maybe".into();
        input.interests = vec!["knitting".into()];
        input.name = "x".repeat(121);
        let errs = Registration::parse(&input, TOPICS).unwrap_err();
        assert_eq!(errs.get("email"), Some("is not a valid email address"));
        assert!(errs.get("decision_role").unwrap().contains("not one of"));
        assert!(errs.get("phone").unwrap().contains("phone number"));
        assert!(errs.get("interests").unwrap().contains("knitting"));
        assert_eq!(errs.get("name"), Some("must be at most 120 characters"));
    }

    #[test]
    fn control_characters_are_refused() {
        let mut input = good();
        input.answers.company = "Evil\u{0007}Corp".into();
        let errs = Registration::parse(&input, TOPICS).unwrap_err();
        assert!(errs.get("company").is_some());
    }

    #[test]
    fn direction_overrides_and_zero_width_characters_are_refused_in_every_text_field() {
        for bad in [
            "\u{202e}", "\u{2066}", "\u{200b}", "\u{feff}", "\u{200e}", "\u{061c}",
        ] {
            let mut input = good();
            input.name = format!("Ada{bad}Lovelace");
            input.answers.company = format!("ACME{bad}");
            input.answers.job_title = format!("{bad}CTO");
            input.answers.country = format!("U{bad}K");
            let errs = Registration::parse(&input, TOPICS).unwrap_err();
            for field in ["name", "company", "job_title", "country"] {
                assert!(
                    errs.get(field).unwrap().contains("invisible formatting"),
                    "{field} with {bad:?}"
                );
            }
        }
    }

    #[test]
    fn joiners_that_scripts_need_are_kept() {
        let mut input = good();
        input.name = "\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}".into();
        assert_eq!(
            Registration::parse(&input, TOPICS).unwrap().name,
            input.name
        );
    }

    #[test]
    fn choices_accept_labels_written_loosely() {
        assert_eq!(
            DecisionRole::parse("Decision Maker").unwrap(),
            DecisionRole::DecisionMaker
        );
        assert_eq!(CompanySize::parse("5000_plus").unwrap(), CompanySize::Giant);
    }

    #[test]
    fn markup_is_kept_as_text_for_the_templates_to_escape() {
        let mut input = good();
        input.name = "<script>alert(1)</script>".into();
        let r = Registration::parse(&input, TOPICS).unwrap();
        assert_eq!(r.name, "<script>alert(1)</script>");
    }
}
