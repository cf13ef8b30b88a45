//! The files organisers exchange with badgetrail: event programme files (TOML or YAML),
//! the sessions CSV and the attendee CSV. Pure: text in, values or located errors out.

pub mod attendees_csv;
pub mod calibration_csv;
pub mod campaign_file;
pub mod crm_export;
mod csv_table;
pub mod dsn;
pub mod event_file;
mod event_locate;
mod event_read;
mod event_sessions;
pub mod lead_files;
pub mod leads_export;
mod line_index;
mod loose;
pub mod row_error;
pub mod scans_csv;
mod session_text;
pub mod sessions_csv;

pub use attendees_csv::parse_attendees_csv;
pub use csv_table::CsvOutcome;
pub use event_file::{EventFileFormat, parse_event_file, write_event_file};
pub use event_read::ParsedEventFile;
pub use row_error::RowError;
pub use scans_csv::parse_scans_csv;
pub use sessions_csv::{merge_sessions, parse_sessions_csv, write_sessions_csv};
