//! The attendee CSV: columns, choices and consent read, every bad row reported with its line.

use super::*;
use crate::domain::attendee::{CompanySize, DecisionRole, Industry, PurchaseStage};

const EXAMPLE: &[u8] = include_bytes!("../../examples/attendees.csv");
const TOPICS: &[&str] = &[
    "big-data",
    "ai",
    "object-storage",
    "video-streaming",
    "kubernetes",
    "security",
];
const HEADER: &str = "email,name,company,job_title,decision_role,purchase_stage,industry,company_size,country,interests,marketing_consent";
const ADA: &str = "ada@example.com,Ada Lovelace,Analytical Engines,CTO,decision_maker,look_for_suppliers,software,51_200,United Kingdom,ai;big-data,yes";

fn csv(rows: &[&str]) -> String {
    let mut out = format!("{HEADER}\n");
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    out
}

fn parse(text: &str) -> Result<CsvOutcome<Registration>, Vec<RowError>> {
    parse_attendees_csv(text.as_bytes(), TOPICS)
}

fn errors(text: &str) -> Vec<String> {
    parse(text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_example_parses() {
    let out = parse_attendees_csv(EXAMPLE, TOPICS).unwrap();
    assert!(out.warnings.is_empty());
    assert_eq!(out.rows.len(), 5);
    let ada = &out.rows[0];
    assert_eq!(ada.decision_role, DecisionRole::DecisionMaker);
    assert_eq!(ada.purchase_stage, PurchaseStage::LookForSuppliers);
    assert_eq!(ada.phone.as_deref(), Some("+44 20 7946 0958"));
    assert_eq!(ada.interests, ["ai", "big-data"]);
    assert!(ada.marketing_consent);
    let mei = &out.rows[2];
    assert_eq!(mei.company, "Streamly, Inc.");
    assert_eq!(
        (mei.industry, mei.company_size),
        (Industry::Media, CompanySize::Large)
    );
    assert!(mei.marketing_consent);
    assert_eq!(out.rows[3].company_size, CompanySize::Giant);
    assert!(out.rows[3].marketing_consent);
    assert_eq!(out.rows[4].name, "Lukáš Novák");
    assert!(!out.rows[4].marketing_consent);
}

#[test]
fn consent_accepts_the_usual_spellings() {
    for (raw, expected) in [
        ("yes", true),
        ("YES", true),
        ("y", true),
        ("true", true),
        ("1", true),
        ("no", false),
        ("N", false),
        ("false", false),
        ("0", false),
        ("", false),
        (" ", false),
    ] {
        assert_eq!(consent(raw), Ok(expected), "{raw:?}");
    }
    let text = csv(&[&ADA.replace(",yes", ",maybe")]);
    assert_eq!(
        errors(&text),
        [
            "line 2, column marketing_consent: 'maybe' is not yes or no (yes, no, true, false, y, n, 1, 0 or empty for no)"
        ]
    );
}

#[test]
fn every_field_error_becomes_a_row_error_on_its_column_in_column_order() {
    let text = csv(&[
        ADA,
        "not-an-email,,Acme,Dev,ceo,,software,huge,Germany,knitting,no",
    ]);
    assert_eq!(
        errors(&text),
        [
            "line 3, column email: email is not a valid email address",
            "line 3, column name: name is required",
            "line 3, column decision_role: 'ceo' is not one of: initiator, user, influencer, decision_maker, buyer, auditor, other",
            "line 3, column purchase_stage: purchase_stage is required",
            "line 3, column company_size: 'huge' is not one of: 1_10, 11_50, 51_200, 201_1000, 1001_5000, 5000_plus",
            "line 3, column interests: 'knitting' is not a topic of this event",
        ]
    );
}

#[test]
fn a_repeated_email_names_the_earlier_line_even_in_another_case() {
    let text = csv(&[
        ADA,
        &ADA.replace("ada@example.com", "grace@example.com"),
        &ADA.replace("ada@example.com", " Ada@Example.COM "),
    ]);
    assert_eq!(
        errors(&text),
        ["line 4, column email: ada@example.com is already on line 2"]
    );
}

#[test]
fn the_optional_phone_column_is_checked_when_present() {
    let text = format!(
        "{HEADER},phone\n{ADA},+49 30 1234567\n{},call me\n",
        ADA.replace("ada@", "bob@")
    );
    assert_eq!(
        errors(&text),
        ["line 3, column phone: phone must be a phone number such as +49 30 1234567"]
    );
    let out = parse(&csv(&[ADA])).unwrap();
    assert_eq!(out.rows[0].phone, None);
}

#[test]
fn unknown_columns_are_warnings_and_ignored() {
    let text = format!("{HEADER},ticket_type\n{ADA},VIP\n");
    let out = parse(&text).unwrap();
    assert_eq!(out.rows.len(), 1);
    assert_eq!(
        out.warnings,
        ["line 1: column 'ticket_type' is not used and was ignored"]
    );
}

#[test]
fn missing_columns_are_each_named() {
    let text = "email,name\nada@example.com,Ada\n";
    let e = errors(text);
    assert_eq!(e.len(), 9);
    assert_eq!(
        e[0],
        "line 1, column company: required column 'company' is missing"
    );
    assert_eq!(
        e[8],
        "line 1, column marketing_consent: required column 'marketing_consent' is missing"
    );
}

#[test]
fn rows_with_the_wrong_number_of_fields_are_errors_and_others_still_checked() {
    let text = csv(&[
        "ada@example.com,Ada Lovelace,Analytical Engines, Ltd,CTO,decision_maker,look_for_suppliers,software,51_200,UK,ai,yes",
        "x@y",
    ]);
    assert_eq!(
        errors(&text),
        [
            "line 2: has 12 fields but the header has 11 (a comma inside a value needs the value in double quotes)",
            "line 3: has 1 fields but the header has 11 (a comma inside a value needs the value in double quotes)",
        ]
    );
}

#[test]
fn latin1_bytes_are_refused_with_their_line() {
    let mut bytes = csv(&[ADA]).into_bytes();
    bytes.extend_from_slice(
        b"rene@example.com,Ren\xE9 Dupont,Acme,CTO,buyer,analyse_need,retail,11_50,France,,no\n",
    );
    let e = parse_attendees_csv(&bytes, TOPICS).unwrap_err();
    assert_eq!(
        e,
        [RowError::new(
            3,
            None,
            "file is not UTF-8 text (save it as CSV UTF-8)"
        )]
    );
}

#[test]
fn bom_crlf_and_quoted_newlines_keep_lines_right() {
    let text = format!(
        "\u{FEFF}{HEADER}\r\n{}\r\n{}\r\n",
        ADA.replace("Analytical Engines", "\"Analytical\r\nEngines\""),
        ADA.replace("ada@", "bob@").replace("CTO", "")
    );
    assert_eq!(
        errors(&text),
        ["line 4, column job_title: job_title is required"]
    );
}

#[test]
fn choices_accept_labels_written_loosely() {
    let text = csv(&[&ADA.replace(
        "decision_maker,look_for_suppliers",
        "Decision Maker,Look for suppliers",
    )]);
    let out = parse(&text).unwrap();
    assert_eq!(out.rows[0].decision_role, DecisionRole::DecisionMaker);
}
