//! Copies of a person's email in the file outbox: found by their address and deleted.

use std::path::Path;

/// Deletes every file in `dir` that mentions one of `addresses` (any case), and returns how
/// many. Each file is read once whatever the number of addresses, so retention sweeps the
/// outbox once for everyone it erased. A missing directory holds nothing.
pub fn sweep(dir: &Path, addresses: &[String]) -> std::io::Result<u64> {
    let needles: Vec<Vec<u8>> = addresses
        .iter()
        .map(|a| a.trim().to_lowercase().into_bytes())
        .filter(|a| !a.is_empty())
        .collect();
    if needles.is_empty() {
        return Ok(0);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let mut text = match std::fs::read(&path) {
            Ok(t) => t,
            // Renamed or deleted meanwhile (a temporary file becoming a message).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        text.make_ascii_lowercase();
        let mentions = needles
            .iter()
            .any(|n| text.windows(n.len()).any(|w| w == n.as_slice()));
        if mentions {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_that_mention_an_address_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1.eml"), "To: Ada <Ada@Example.com>\r\n").unwrap();
        std::fs::write(dir.path().join("2.eml"), "To: Bob <bob@example.com>\r\n").unwrap();
        let n = sweep(dir.path(), &["ada@example.com".into()]).unwrap();
        assert_eq!(n, 1);
        assert!(!dir.path().join("1.eml").exists());
        assert!(dir.path().join("2.eml").exists());
    }

    #[test]
    fn a_missing_outbox_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let n = sweep(&dir.path().join("none"), &["ada@example.com".into()]).unwrap();
        assert_eq!(n, 0);
    }
}
