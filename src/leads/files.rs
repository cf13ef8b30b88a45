//! An event's lead files: scoring rules, routing, the content library and the playbook,
//! read from the event's folder under `leads.config_dir` unless the command names others.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::{
    domain::{
        leads::content::ContentLibrary, leads::playbook::Playbook, leads::routing::RoutingRules,
        leads::rules::LeadRules,
    },
    formats::{RowError, lead_files},
};

/// Files named on the command line instead of the event's own.
#[derive(Debug, Clone, Default)]
pub struct FileChoice {
    pub scoring: Option<PathBuf>,
    pub routing: Option<PathBuf>,
    pub content: Option<PathBuf>,
    pub playbook: Option<PathBuf>,
}

/// The rules a build runs with, and where each came from.
#[derive(Debug, Clone)]
pub struct LeadFiles {
    pub rules: LeadRules,
    pub routing: Option<RoutingRules>,
    pub content: ContentLibrary,
    pub playbook: Playbook,
    /// One line per file, for people: "scoring: leads/x/scoring.toml" or "defaults".
    pub sources: Vec<String>,
}

fn read(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn located(path: &Path, errors: Vec<RowError>) -> anyhow::Error {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            if e.line > 0 {
                format!("{}:{}: {}", path.display(), e.line, e.message)
            } else {
                format!("{}: {}", path.display(), e.message)
            }
        })
        .collect();
    anyhow::anyhow!("{}", lines.join("\n"))
}

/// Reads the files for event `slug`. A file named explicitly must exist; the event's own
/// files may be missing.
pub fn load(config_dir: &Path, slug: &str, choice: &FileChoice) -> anyhow::Result<LeadFiles> {
    let own = config_dir.join(slug);
    let mut sources = Vec::new();
    let mut pick =
        |name: &str, chosen: &Option<PathBuf>| -> anyhow::Result<Option<(PathBuf, String)>> {
            let (path, required) = match chosen {
                Some(p) => (p.clone(), true),
                None => (own.join(format!("{name}.toml")), false),
            };
            match read(&path)? {
                Some(text) => {
                    sources.push(format!("{name}: {}", path.display()));
                    Ok(Some((path, text)))
                }
                None if required => anyhow::bail!("{} does not exist", path.display()),
                None => {
                    sources.push(format!("{name}: none ({} not found)", path.display()));
                    Ok(None)
                }
            }
        };
    let rules = match pick("scoring", &choice.scoring)? {
        Some((path, text)) => lead_files::parse_scoring(&text).map_err(|e| located(&path, e))?,
        None => LeadRules::default(),
    };
    let routing = match pick("routing", &choice.routing)? {
        Some((path, text)) => {
            Some(lead_files::parse_routing(&text).map_err(|e| located(&path, e))?)
        }
        None => None,
    };
    let content = match pick("content", &choice.content)? {
        Some((path, text)) => lead_files::parse_content(&text).map_err(|e| located(&path, e))?,
        None => ContentLibrary::default(),
    };
    let playbook = match pick("playbook", &choice.playbook)? {
        Some((path, text)) => lead_files::parse_playbook(&text).map_err(|e| located(&path, e))?,
        None => Playbook::default(),
    };
    Ok(LeadFiles {
        rules,
        routing,
        content,
        playbook,
        sources,
    })
}

/// The playbook of event `slug` (or the file named instead), the defaults when the event
/// has none. For pages and commands that need only the playbook.
pub fn load_playbook(
    config_dir: &Path,
    slug: &str,
    chosen: Option<&Path>,
) -> anyhow::Result<Playbook> {
    let (path, required) = match chosen {
        Some(p) => (p.to_path_buf(), true),
        None => (config_dir.join(slug).join("playbook.toml"), false),
    };
    match read(&path)? {
        Some(text) => lead_files::parse_playbook(&text).map_err(|e| located(&path, e)),
        None if required => anyhow::bail!("{} does not exist", path.display()),
        None => Ok(Playbook::default()),
    }
}
