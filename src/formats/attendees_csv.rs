//! The attendee CSV: one registration per row, each checked exactly as the online form
//! checks it, with duplicate addresses caught within the file.

use std::collections::HashMap;

use super::csv_table::{CsvOutcome, read_table};
use super::row_error::{RowError, describe};
use super::session_text::split_list;
use crate::domain::attendee::{Answers, Registration, RegistrationInput};
use crate::domain::email::Email;

const REQUIRED: [&str; 11] = [
    "email",
    "name",
    "company",
    "job_title",
    "decision_role",
    "purchase_stage",
    "industry",
    "company_size",
    "country",
    "interests",
    "marketing_consent",
];
const OPTIONAL: [&str; 1] = ["phone"];

/// Reads `yes/no`, `true/false`, `y/n`, `1/0` in any case; empty means no.
fn consent(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" | "" => Ok(false),
        _ => Err(format!(
            "'{}' is not yes or no (yes, no, true, false, y, n, 1, 0 or empty for no)",
            raw.trim()
        )),
    }
}

/// Parses an attendee CSV. `known_topics` are the event's topic slugs that `interests`
/// may name. All or nothing: any bad row means `Err` with every problem found.
pub fn parse_attendees_csv(
    bytes: &[u8],
    known_topics: &[&str],
) -> Result<CsvOutcome<Registration>, Vec<RowError>> {
    let table = read_table(bytes, &REQUIRED, &OPTIONAL)?;
    let mut errors = Vec::new();
    let mut registrations = Vec::new();
    // Keyed case-insensitively: Ada@x.com and ada@x.com reach the same inbox in practice.
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let cell = |column: &str| table.cell(row, column).to_owned();
        let mut bad = |column: &str, message: &str| {
            errors.push(RowError::new(
                row.line,
                Some(column),
                describe(column, message),
            ));
        };
        let marketing_consent = consent(&cell("marketing_consent"))
            .map_err(|e| bad("marketing_consent", &e))
            .unwrap_or(false);
        let input = RegistrationInput {
            email: cell("email"),
            name: cell("name"),
            answers: Answers {
                company: cell("company"),
                job_title: cell("job_title"),
                decision_role: cell("decision_role"),
                purchase_stage: cell("purchase_stage"),
                industry: cell("industry"),
                company_size: cell("company_size"),
                country: cell("country"),
            },
            phone: cell("phone"),
            interests: split_list(&cell("interests")),
            marketing_consent,
        };
        match Registration::parse(&input, known_topics) {
            Ok(r) => registrations.push(r),
            Err(fields) => {
                let order = |f: &str| REQUIRED.iter().chain(&OPTIONAL).position(|c| *c == f);
                let mut fields: Vec<_> = fields.0.into_iter().collect();
                fields.sort_by_key(|(f, _)| order(f).unwrap_or(usize::MAX));
                for (field, message) in fields {
                    bad(field, &message);
                }
            }
        }
        if let Ok(email) = Email::parse(&input.email) {
            let key = email.as_str().to_lowercase();
            match first_line.get(&key) {
                Some(first) => bad("email", &format!("{email} is already on line {first}")),
                None => {
                    first_line.insert(key, row.line);
                }
            }
        }
    }
    errors.extend(table.errors);
    if errors.is_empty() {
        Ok(CsvOutcome {
            rows: registrations,
            warnings: table.warnings,
        })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
#[path = "attendees_csv_tests.rs"]
mod tests;
