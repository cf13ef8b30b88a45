//! The badge holder's first name on the door screen, for accepted and duplicate scans.
//!
//! Names are read while the batch waits for its commit, from the attendees whose badges
//! checked out, so the greeting adds no time to the answer. A failed read costs only the
//! names: the verdicts are committed and go back without them.

use std::collections::HashMap;

use crate::{domain::attendee, store::ScanVerdict, store::Store};

/// A committed verdict and, when the badge was let in (or already had been), the holder's
/// first name.
#[derive(Debug, Clone)]
pub struct DoorVerdict {
    pub verdict: ScanVerdict,
    pub first_name: Option<String>,
}

/// First names by attendee id, for attendees of `event_id` among `ids`.
pub async fn first_names(store: &Store, event_id: i64, mut ids: Vec<i64>) -> HashMap<i64, String> {
    ids.sort_unstable();
    ids.dedup();
    match store.attendee_names(event_id, &ids).await {
        Ok(rows) => rows
            .into_iter()
            .map(|(id, name)| (id, attendee::first_name(&name).to_owned()))
            .filter(|(_, first)| !first.is_empty())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "first names for the door screen could not be read");
            HashMap::new()
        }
    }
}

/// Each verdict with its holder's first name where the door lets them through.
pub fn greet(verdicts: Vec<ScanVerdict>, names: &HashMap<i64, String>) -> Vec<DoorVerdict> {
    verdicts
        .into_iter()
        .map(|verdict| {
            let admitted = matches!(verdict.decision.as_str(), "accepted" | "duplicate");
            let first_name = verdict
                .attendee_id
                .filter(|_| admitted)
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
            decision: decision.into(),
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
