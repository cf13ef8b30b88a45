//! Setting up an event and its programme from files and from forms, for the command line
//! and the staff pages alike: the same parsers and checks, so both refuse with the same
//! words, and nothing is stored unless everything is right.

pub mod edit;
pub mod files;

use jiff::Timestamp;

use crate::{
    context::Context,
    domain::programme::Programme,
    store::{ImportSummary, StoreError},
};

/// Why a change was refused; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Problems in what was sent, each as the command line prints it: a file's problems
    /// name their line and column, a form's the field.
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Problems(Vec<Problem>),
    /// The store refused (a name taken, something still in use).
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Failed(anyhow::Error),
}

/// One problem: where (a file's line and column, or a form's field) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of a file; `None` for a form.
    pub line: Option<u64>,
    /// The CSV column, event-file key or form field concerned.
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, &self.field) {
            (Some(line), Some(c)) => write!(f, "line {line}, column {c}: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            (None, Some(c)) => write!(f, "{c}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl Problem {
    pub fn field(field: &str, message: impl Into<String>) -> Problem {
        Problem {
            line: None,
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    pub fn general(message: impl Into<String>) -> Problem {
        Problem {
            line: None,
            field: None,
            message: message.into(),
        }
    }
}

impl From<crate::formats::RowError> for Problem {
    fn from(e: crate::formats::RowError) -> Problem {
        Problem {
            line: (e.line > 0).then_some(e.line),
            field: e.column,
            message: e.message,
        }
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        match e {
            StoreError::Conflict(m) => Refused::Conflict(m),
            StoreError::NotFound(_) => Refused::NotFound,
            other => Refused::Failed(other.into()),
        }
    }
}

/// Checks what must hold across the whole programme (`Programme::validate`), each problem
/// worded as the command line prints it: what it is about, the field, what is wrong.
pub fn check(programme: &Programme) -> Result<(), Refused> {
    programme.validate().map_err(|problems| {
        Refused::Problems(
            problems
                .into_iter()
                .map(|p| Problem::general(p.to_string()))
                .collect(),
        )
    })
}

/// Checks the whole programme and stores it in one transaction.
pub async fn store_checked(
    ctx: &Context,
    programme: &Programme,
    now: Timestamp,
) -> Result<ImportSummary, Refused> {
    check(programme)?;
    Ok(ctx.store.events().import_programme(programme, now).await?)
}
