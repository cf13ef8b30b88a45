//! `Outbox`: messages written as `.eml` files instead of being sent, one file per message.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::Message;

use super::{Receipt, SendError, message_id};

/// A directory of RFC 5322 files (CRLF line endings), named so that `ls` lists them in send order.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub async fn send(&self, message: &Message) -> Result<Receipt, SendError> {
        let message_id = message_id(message);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let mut hasher = DefaultHasher::new();
        message_id.hash(&mut hasher);
        let name = format!("{nanos:020}-{:016x}.eml", hasher.finish());
        let dir = self.dir.clone();
        let bytes = message.formatted();

        let path = tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(|e| SendError::Transient(format!("outbox writer stopped: {e}")))?
            .map_err(|e| SendError::Transient(format!("could not write to the outbox: {e}")))?;
        Ok(Receipt {
            message_id,
            detail: path.display().to_string(),
        })
    }
}

/// Writes under a hidden temporary name, syncs, then renames: a crash leaves a whole file or none.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(err);
    }
    // Make the rename itself durable.
    std::fs::File::open(dir)?.sync_all()?;
    Ok(path)
}
