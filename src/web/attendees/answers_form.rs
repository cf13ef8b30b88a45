//! The registration answers as a form: shared by the public registration page and the
//! attendee's own "my registration" page, so both ask the same questions the same way.

use serde::Deserialize;

use crate::{
    domain::{
        attendee::{
            Answers, CompanySize, DecisionRole, FieldErrors, Industry, PurchaseStage,
            RegistrationInput, Typed,
        },
        programme::Topic,
    },
    store::AttendeeRecord,
};

/// A text input of the form, with its value and error.
pub struct TextField {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub required: bool,
    pub value: String,
    pub error: Option<String>,
}

/// A select of the form.
pub struct SelectField {
    pub name: &'static str,
    pub label: &'static str,
    pub options: Vec<(&'static str, &'static str, bool)>,
    pub error: Option<String>,
}

pub struct TopicChoice {
    pub slug: String,
    pub name: String,
    pub checked: bool,
}

/// Whether the form asks for the address. The attendee's own page does not: the address is
/// what their link was sent to, and changing it would hand the registration to another inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithEmail {
    Yes,
    No,
}

/// Everything `templates/answers_fields.html` draws.
pub struct AnswersForm {
    pub fields: Vec<TextField>,
    pub selects: Vec<SelectField>,
    pub topics: Vec<TopicChoice>,
    pub interests_error: Option<String>,
    pub error_count: usize,
}

fn select<T: Copy>(
    name: &'static str,
    label: &'static str,
    all: &'static [T],
    key: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
    chosen: &str,
    errors: &FieldErrors,
) -> SelectField {
    SelectField {
        name,
        label,
        options: all
            .iter()
            .map(|v| (key(*v), text(*v), key(*v) == chosen))
            .collect(),
        error: errors.get(name).map(str::to_owned),
    }
}

impl AnswersForm {
    pub fn new(
        topics: &[Topic],
        input: &RegistrationInput,
        errors: &FieldErrors,
        with_email: WithEmail,
    ) -> AnswersForm {
        let err = |f: &str| errors.get(f).map(str::to_owned);
        let text = |name, label, kind, autocomplete, required, value: &str| TextField {
            name,
            label,
            kind,
            autocomplete,
            required,
            value: value.to_owned(),
            error: err(name),
        };
        let mut fields = vec![text("name", "Full name", "text", "name", true, &input.name)];
        if with_email == WithEmail::Yes {
            fields.push(text("email", "Email", "email", "email", true, &input.email));
        }
        fields.extend([
            text(
                "company",
                "Company",
                "text",
                "organization",
                true,
                &input.answers.company,
            ),
            text(
                "job_title",
                "Job title",
                "text",
                "organization-title",
                true,
                &input.answers.job_title,
            ),
            text(
                "country",
                "Country or region",
                "text",
                "country-name",
                true,
                &input.answers.country,
            ),
            text(
                "phone",
                "Phone (optional)",
                "tel",
                "tel",
                false,
                &input.phone,
            ),
        ]);
        AnswersForm {
            fields,
            selects: vec![
                select(
                    "decision_role",
                    "Your part in buying decisions",
                    &DecisionRole::ALL,
                    DecisionRole::key,
                    DecisionRole::label,
                    &input.answers.decision_role,
                    errors,
                ),
                select(
                    "purchase_stage",
                    "Where is your company with this?",
                    &PurchaseStage::ALL,
                    PurchaseStage::key,
                    PurchaseStage::label,
                    &input.answers.purchase_stage,
                    errors,
                ),
                select(
                    "industry",
                    "Industry",
                    &Industry::ALL,
                    Industry::key,
                    Industry::label,
                    &input.answers.industry,
                    errors,
                ),
                select(
                    "company_size",
                    "Company size (people)",
                    &CompanySize::ALL,
                    CompanySize::key,
                    CompanySize::label,
                    &input.answers.company_size,
                    errors,
                ),
            ],
            topics: topics
                .iter()
                .map(|t| TopicChoice {
                    checked: input.interests.iter().any(|i| i == t.slug.as_str()),
                    slug: t.slug.to_string(),
                    name: t.name.clone(),
                })
                .collect(),
            interests_error: err("interests"),
            error_count: errors.0.len(),
        }
    }
}

/// The answers as posted; absent fields are empty, so the checks report them.
#[derive(Debug, Default, Deserialize)]
pub struct AnswersFields {
    /// The form's CSRF token.
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub decision_role: String,
    #[serde(default)]
    pub purchase_stage: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub company_size: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub interests: Vec<String>,
}

impl AnswersFields {
    /// The input to check, with the address and consent that this form does not carry.
    pub fn into_input(self, email: String, marketing_consent: bool) -> RegistrationInput {
        RegistrationInput {
            email,
            name: self.name,
            answers: Answers::<Typed> {
                company: self.company,
                job_title: self.job_title,
                decision_role: self.decision_role,
                purchase_stage: self.purchase_stage,
                industry: self.industry,
                company_size: self.company_size,
                country: self.country,
            },
            phone: self.phone,
            interests: self.interests,
            marketing_consent,
        }
    }
}

/// A stored attendee as the form's starting values.
pub fn input_of(a: &AttendeeRecord) -> RegistrationInput {
    RegistrationInput {
        email: a.email.clone(),
        name: a.name.clone(),
        answers: a.answers.typed(),
        phone: a.phone.clone().unwrap_or_default(),
        interests: a.interests.clone(),
        marketing_consent: a.marketing_consent,
    }
}
