//! Leads for a CRM import: the column names and values a Salesforce lead import (Data Import
//! Wizard) and a HubSpot contact import take as they are. Sources of every name and value are
//! in `docs/formats.md` ("Leads for a CRM").

use std::io::Write;

use super::session_text::guard_formula;
use crate::domain::{
    leads::calibration::Latest,
    leads::package::{LeadPackage, Outcome, Tier},
};

/// Which CRM the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CrmPreset {
    /// Salesforce Lead import (Data Import Wizard field labels).
    Salesforce,
    /// HubSpot contact import (contact property labels).
    Hubspot,
}

/// Salesforce Data Import Wizard labels of standard Lead fields.
pub const SALESFORCE_COLUMNS: [&str; 11] = [
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Title",
    "Country",
    "Lead Source",
    "Lead Status",
    "Rating",
    "Description",
    "Record Owner",
];

/// HubSpot contact import headers of default contact properties.
pub const HUBSPOT_COLUMNS: [&str; 10] = [
    "First Name",
    "Last Name",
    "Email",
    "Company Name",
    "Job Title",
    "Country/Region",
    "Lifecycle Stage",
    "Lead Status",
    "Contact owner",
    "Message",
];

impl CrmPreset {
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            CrmPreset::Salesforce => &SALESFORCE_COLUMNS,
            CrmPreset::Hubspot => &HUBSPOT_COLUMNS,
        }
    }
}

/// One lead as the export reads it.
#[derive(Debug, Clone, Copy)]
pub struct CrmLead<'a> {
    pub package: &'a LeadPackage,
    /// The owner as the CRM knows them (Salesforce: full name; HubSpot: the user's email).
    pub owner: Option<&'a str>,
    pub latest: Latest,
}

/// "Ada Lovelace" -> ("Ada", "Lovelace"): the last word is the last name, the rest the first
/// name; a single word is a last name (Salesforce requires one).
pub fn split_name(full: &str) -> (String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.split_last() {
        None => (String::new(), String::new()),
        Some((last, first)) => (first.join(" "), (*last).to_owned()),
    }
}

/// Salesforce's default Lead Status values. A won lead stays "Working - Contacted": a
/// converted status cannot be imported, Salesforce converts a lead itself (into an account,
/// contact and opportunity), so sales convert it there; the Description says it was won.
pub fn salesforce_status(latest: Latest) -> &'static str {
    match latest {
        Latest::Nothing => "Open - Not Contacted",
        Latest::Outcome(Outcome::LostToCompetitor | Outcome::NotAFit) => "Closed - Not Converted",
        Latest::Outcome(_) | Latest::Unrecognised => "Working - Contacted",
    }
}

/// Salesforce's default Rating values; an excluded lead is left unrated.
pub fn salesforce_rating(tier: Tier) -> &'static str {
    match tier {
        Tier::A => "Hot",
        Tier::B => "Warm",
        Tier::C => "Cold",
        Tier::X => "",
    }
}

/// HubSpot's default Lifecycle Stage labels: what sales recorded first, else the tier.
pub fn hubspot_lifecycle(tier: Tier, latest: Latest) -> &'static str {
    match (latest, tier) {
        (Latest::Outcome(Outcome::Won), _) => "Customer",
        (Latest::Outcome(Outcome::MeetingBooked), _) => "Opportunity",
        (Latest::Outcome(Outcome::NotAFit | Outcome::LostToCompetitor), _) | (_, Tier::X) => {
            "Other"
        }
        (_, Tier::A | Tier::B) => "Sales Qualified Lead",
        (_, Tier::C) => "Marketing Qualified Lead",
    }
}

/// HubSpot's default Lead Status labels; empty for a lead sales never got (tier C or X
/// without feedback), since lead status tracks what sales do.
pub fn hubspot_status(tier: Tier, latest: Latest) -> &'static str {
    match latest {
        Latest::Nothing if matches!(tier, Tier::A | Tier::B) => "New",
        Latest::Nothing => "",
        Latest::Outcome(o) => match o {
            Outcome::Contacted | Outcome::Won => "Connected",
            Outcome::MeetingBooked => "In Progress",
            Outcome::BuyingWithinYear => "Bad Timing",
            Outcome::NeedUnclear => "Open",
            Outcome::LostToCompetitor | Outcome::NotAFit => "Unqualified",
        },
        Latest::Unrecognised => "Open",
    }
}

/// The explanation, and what sales last recorded.
pub fn description(p: &LeadPackage, latest: Latest) -> String {
    match latest {
        Latest::Outcome(o) => format!("{} Latest outcome: {}.", p.explanation, o.label()),
        Latest::Nothing | Latest::Unrecognised => p.explanation.clone(),
    }
}

/// The cells of one lead for `preset`, in its column order, spreadsheet-safe.
pub fn cells(preset: CrmPreset, lead: &CrmLead<'_>, lead_source: &str) -> Vec<String> {
    let p = lead.package;
    let (first, last) = split_name(&p.contact.name);
    let owner = lead.owner.unwrap_or_default();
    let text = match preset {
        CrmPreset::Salesforce => vec![
            first,
            last,
            p.contact.email.clone(),
            p.contact.company.clone(),
            p.contact.job_title.clone(),
            p.contact.country.clone(),
            lead_source.to_owned(),
            salesforce_status(lead.latest).to_owned(),
            salesforce_rating(p.tier).to_owned(),
            description(p, lead.latest),
            owner.to_owned(),
        ],
        CrmPreset::Hubspot => vec![
            first,
            last,
            p.contact.email.clone(),
            p.contact.company.clone(),
            p.contact.job_title.clone(),
            p.contact.country.clone(),
            hubspot_lifecycle(p.tier, lead.latest).to_owned(),
            hubspot_status(p.tier, lead.latest).to_owned(),
            owner.to_owned(),
            description(p, lead.latest),
        ],
    };
    text.iter().map(|c| guard_formula(c)).collect()
}

/// Writes one preset's CSV: the header, then each lead as it comes.
pub struct CrmExport<W: Write> {
    out: csv::Writer<W>,
    preset: CrmPreset,
    lead_source: String,
}

impl<W: Write> CrmExport<W> {
    /// `lead_source` fills Salesforce's Lead Source column (ignored for HubSpot).
    pub fn new(out: W, preset: CrmPreset, lead_source: &str) -> csv::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record(preset.columns())?;
        Ok(CrmExport {
            out,
            preset,
            lead_source: lead_source.to_owned(),
        })
    }

    pub fn row(&mut self, lead: &CrmLead<'_>) -> csv::Result<()> {
        self.out
            .write_record(cells(self.preset, lead, &self.lead_source))
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::leads::package::{Contact, Needs};

    fn package(name: &str, tier: Tier) -> LeadPackage {
        LeadPackage {
            attendee_id: 1,
            tier,
            score: 80.0,
            fit: 70.0,
            engagement: 60.0,
            stage_points: 50.0,
            contact: Contact {
                name: name.into(),
                email: "ada@bank.example".into(),
                job_title: "CTO".into(),
                company: "=Big Bank".into(),
                decision_role: Some(crate::domain::attendee::DecisionRole::DecisionMaker),
                responsibilities: String::new(),
                country: "Germany".into(),
            },
            topics: vec![],
            sessions: vec![],
            session_count: 0,
            minutes: 0,
            needs: Needs::default(),
            show: vec![],
            factors: vec![],
            explanation: "Tier A (hand to sales now).".into(),
            exclusion: None,
            routing: None,
            next_need: None,
            follow_up: None,
        }
    }

    #[test]
    fn names_split_at_the_last_word() {
        assert_eq!(
            split_name("Ada Lovelace"),
            ("Ada".into(), "Lovelace".into())
        );
        assert_eq!(
            split_name("  Mary  Ann   van Dyke "),
            ("Mary Ann van".into(), "Dyke".into())
        );
        assert_eq!(split_name("Cher"), (String::new(), "Cher".into()));
        assert_eq!(split_name(" "), (String::new(), String::new()));
    }

    #[test]
    fn every_outcome_has_a_salesforce_and_a_hubspot_status() {
        let sf: Vec<&str> = Outcome::ALL
            .iter()
            .map(|o| salesforce_status(Latest::Outcome(*o)))
            .collect();
        assert_eq!(
            sf,
            [
                "Working - Contacted",
                "Working - Contacted",
                "Working - Contacted",
                "Working - Contacted",
                "Closed - Not Converted",
                "Closed - Not Converted",
                "Working - Contacted"
            ]
        );
        assert_eq!(salesforce_status(Latest::Nothing), "Open - Not Contacted");
        let hs: Vec<&str> = Outcome::ALL
            .iter()
            .map(|o| hubspot_status(Tier::A, Latest::Outcome(*o)))
            .collect();
        assert_eq!(
            hs,
            [
                "Connected",
                "In Progress",
                "Bad Timing",
                "Open",
                "Unqualified",
                "Unqualified",
                "Connected"
            ]
        );
        assert_eq!(hubspot_status(Tier::B, Latest::Nothing), "New");
        assert_eq!(hubspot_status(Tier::C, Latest::Nothing), "");
        assert_eq!(
            hubspot_lifecycle(Tier::C, Latest::Nothing),
            "Marketing Qualified Lead"
        );
        assert_eq!(hubspot_lifecycle(Tier::X, Latest::Nothing), "Other");
        assert_eq!(
            hubspot_lifecycle(Tier::B, Latest::Outcome(Outcome::Contacted)),
            "Sales Qualified Lead"
        );
        assert_eq!(
            hubspot_lifecycle(Tier::C, Latest::Outcome(Outcome::Won)),
            "Customer"
        );
        assert_eq!(
            hubspot_lifecycle(Tier::A, Latest::Outcome(Outcome::MeetingBooked)),
            "Opportunity"
        );
        assert_eq!(
            hubspot_lifecycle(Tier::A, Latest::Outcome(Outcome::NotAFit)),
            "Other"
        );
    }

    #[test]
    fn both_presets_write_their_headers_and_guarded_cells() {
        let p = package("Ada Lovelace", Tier::A);
        let lead = CrmLead {
            package: &p,
            owner: Some("Sally Sales"),
            latest: Latest::Outcome(Outcome::Won),
        };
        let mut sf = CrmExport::new(Vec::new(), CrmPreset::Salesforce, "Other").unwrap();
        sf.row(&lead).unwrap();
        let sf = String::from_utf8(sf.finish().unwrap()).unwrap();
        assert_eq!(
            sf,
            "First Name,Last Name,Email,Company,Title,Country,Lead Source,Lead Status,Rating,Description,Record Owner\n\
             Ada,Lovelace,ada@bank.example,'=Big Bank,CTO,Germany,Other,Working - Contacted,Hot,Tier A (hand to sales now). Latest outcome: Won.,Sally Sales\n"
        );
        let mut hs = CrmExport::new(Vec::new(), CrmPreset::Hubspot, "Other").unwrap();
        hs.row(&CrmLead {
            owner: Some("sally@example.com"),
            latest: Latest::Nothing,
            ..lead
        })
        .unwrap();
        let hs = String::from_utf8(hs.finish().unwrap()).unwrap();
        assert_eq!(
            hs,
            "First Name,Last Name,Email,Company Name,Job Title,Country/Region,Lifecycle Stage,Lead Status,Contact owner,Message\n\
             Ada,Lovelace,ada@bank.example,'=Big Bank,CTO,Germany,Sales Qualified Lead,New,sally@example.com,Tier A (hand to sales now).\n"
        );
    }
}
