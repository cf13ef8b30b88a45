//! An event file (TOML or YAML) or a sessions CSV read into a checked programme: what
//! `badgetrail event import` and the programme page's upload both do.

use crate::{
    domain::programme::Programme,
    formats::{self, EventFileFormat, ParsedEventFile, RowError},
};

/// What kind of programme file a name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgrammeFile {
    Event(EventFileFormat),
    SessionsCsv,
}

impl ProgrammeFile {
    /// `.toml`, `.yaml`/`.yml` or `.csv`, in any case.
    pub fn from_name(name: &str) -> Option<ProgrammeFile> {
        let path = std::path::Path::new(name);
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            return Some(ProgrammeFile::SessionsCsv);
        }
        EventFileFormat::from_path(path).map(ProgrammeFile::Event)
    }
}

/// Reads an event file. Every problem is returned, each with its line.
pub fn read_event_file(
    bytes: &[u8],
    format: EventFileFormat,
) -> Result<ParsedEventFile, Vec<RowError>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| vec![RowError::new(0, None, "the file is not UTF-8 text")])?;
    formats::parse_event_file(text, format)
}

/// Reads a sessions CSV against `programme` and merges its sessions in (replacing those
/// with the same id); the warnings that did not stop it. All or nothing.
pub fn merge_sessions_csv(
    programme: &mut Programme,
    bytes: &[u8],
) -> Result<Vec<String>, Vec<RowError>> {
    let parsed = formats::parse_sessions_csv(bytes, programme)?;
    formats::merge_sessions(programme, parsed.rows);
    Ok(parsed.warnings)
}

/// An uploaded programme file, read for the event whose programme is `current`.
#[derive(Debug)]
pub struct Uploaded {
    pub programme: Programme,
    /// What did not stop the file (an unknown column ignored, ...).
    pub warnings: Vec<String>,
    /// The event file names a sessions CSV, which is uploaded on its own.
    pub names_sessions_csv: bool,
}

/// Reads an uploaded file by its name: a sessions CSV is merged into `current`, an event
/// file of the same event replaces it. Refused with every problem, each prefixed with the
/// file's name as `badgetrail event import` prints it.
pub fn read_upload(
    mut current: Programme,
    name: &str,
    bytes: &[u8],
) -> Result<Uploaded, Vec<String>> {
    let located = |errors: Vec<RowError>| -> Vec<String> {
        errors.iter().map(|e| format!("{name}: {e}")).collect()
    };
    match ProgrammeFile::from_name(name) {
        None => Err(vec![format!(
            "{name}: programme files end in .toml, .yaml, .yml (or .csv for sessions)"
        )]),
        Some(ProgrammeFile::SessionsCsv) => {
            let warnings = merge_sessions_csv(&mut current, bytes).map_err(located)?;
            Ok(Uploaded {
                programme: current,
                warnings,
                names_sessions_csv: false,
            })
        }
        Some(ProgrammeFile::Event(format)) => {
            let parsed = read_event_file(bytes, format).map_err(located)?;
            if parsed.programme.event.slug != current.event.slug {
                return Err(vec![format!(
                    "{name}: the file is the programme of event '{}', not of '{}'",
                    parsed.programme.event.slug, current.event.slug
                )]);
            }
            Ok(Uploaded {
                programme: parsed.programme,
                warnings: Vec::new(),
                names_sessions_csv: parsed.sessions_csv.is_some(),
            })
        }
    }
}

/// The programme as a file to download: its name and text.
pub fn write(programme: &Programme, kind: ProgrammeFile) -> (String, String) {
    let slug = programme.event.slug.as_str();
    match kind {
        ProgrammeFile::SessionsCsv => (
            format!("{slug}-sessions.csv"),
            formats::write_sessions_csv(programme),
        ),
        ProgrammeFile::Event(EventFileFormat::Toml) => (
            format!("{slug}.toml"),
            formats::write_event_file(programme, EventFileFormat::Toml),
        ),
        ProgrammeFile::Event(EventFileFormat::Yaml) => (
            format!("{slug}.yaml"),
            formats::write_event_file(programme, EventFileFormat::Yaml),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_says_the_kind() {
        assert_eq!(
            ProgrammeFile::from_name("Sessions.CSV"),
            Some(ProgrammeFile::SessionsCsv)
        );
        assert_eq!(
            ProgrammeFile::from_name("summit.yml"),
            Some(ProgrammeFile::Event(EventFileFormat::Yaml))
        );
        assert_eq!(
            ProgrammeFile::from_name("summit.toml"),
            Some(ProgrammeFile::Event(EventFileFormat::Toml))
        );
        assert_eq!(ProgrammeFile::from_name("summit.xlsx"), None);
        assert_eq!(ProgrammeFile::from_name("csv"), None);
    }

    #[test]
    fn a_file_that_is_not_text_names_no_line() {
        let e = read_event_file(b"\xff\xfe", EventFileFormat::Toml).unwrap_err();
        assert_eq!(e[0].line, 0);
    }
}
