//! The badge holder's first name on the door screen, for accepted and duplicate scans.
//!
//! The scan writer reads the names in its transaction, once per group: one statement for
//! every request of the group, on the connection it already holds, instead of one read per
//! request competing with the writer for connections.

use std::collections::HashMap;

use crate::{
    domain::{attendee, dashboard::Decision},
    store::ScanVerdict,
};

/// A committed verdict and, when the badge was let in (or already had been), the holder's
/// first name.
#[derive(Debug, Clone)]
pub struct DoorVerdict {
    pub verdict: ScanVerdict,
    pub first_name: Option<String>,
}

/// The attendees whose first name the door shows for these verdicts, each once.
pub fn holders<'a>(verdicts: impl IntoIterator<Item = &'a ScanVerdict>) -> Vec<i64> {
    let mut ids: Vec<i64> = verdicts
        .into_iter()
        .filter(|v| admitted(v))
        .filter_map(|v| v.attendee_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// First names by attendee id, from (id, full name) rows.
pub fn first_names(rows: Vec<(i64, String)>) -> HashMap<i64, String> {
    rows.into_iter()
        .map(|(id, name)| (id, attendee::first_name(&name).to_owned()))
        .filter(|(_, first)| !first.is_empty())
        .collect()
}

fn admitted(v: &ScanVerdict) -> bool {
    matches!(v.decision, Decision::Accepted | Decision::Duplicate)
}

/// Each verdict with its holder's first name where the door lets them through.
pub fn greet(verdicts: Vec<ScanVerdict>, names: &HashMap<i64, String>) -> Vec<DoorVerdict> {
    verdicts
        .into_iter()
        .map(|verdict| {
            let first_name = verdict
                .attendee_id
                .filter(|_| admitted(&verdict))
                .and_then(|id| names.get(&id).cloned());
            DoorVerdict {
                verdict,
                first_name,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(decision: &str, attendee_id: Option<i64>) -> ScanVerdict {
        ScanVerdict {
            nonce: "n".into(),
            decision: Decision::parse(decision).unwrap(),
            reason: None,
            session_id: None,
            attendee_id,
        }
    }

    #[test]
    fn only_admitted_badges_are_greeted_by_name() {
        let names = HashMap::from([(1, "Zoë".to_owned())]);
        let out = greet(
            vec![
                v("accepted", Some(1)),
                v("duplicate", Some(1)),
                v("refused", Some(1)),
                v("accepted", Some(2)),
                v("refused", None),
            ],
            &names,
        );
        let names: Vec<Option<&str>> = out.iter().map(|d| d.first_name.as_deref()).collect();
        assert_eq!(names, [Some("Zoë"), Some("Zoë"), None, None, None]);
    }
}
