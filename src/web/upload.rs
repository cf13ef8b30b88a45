//! Reading a staff form that carries a file (`multipart/form-data`): the CSRF token, the
//! file's name and bytes, and any other short fields.

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, Multipart};

use super::csrf::CsrfToken;
use crate::web::error::{Error, WebResult};

/// The largest file the upload forms take: an attendee CSV of 100,000 people is about 20 MB.
pub const UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// The body limit for the routes that take uploads, in place of the app's small default.
pub fn limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(UPLOAD_BYTES)
}

/// A submitted upload form.
#[derive(Debug, Default)]
pub struct Upload {
    /// The file's name as the browser sent it (no path), empty when no file was chosen.
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The other fields, by name.
    pub fields: HashMap<String, String>,
}

impl Upload {
    /// Reads every part, checks the CSRF token, and fails when no file was chosen.
    pub async fn read(mut form: Multipart, csrf: &CsrfToken) -> WebResult<Upload> {
        let mut upload = Upload::default();
        let mut token = String::new();
        while let Some(field) = form.next_field().await.map_err(bad_form)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                upload.file_name = field.file_name().unwrap_or_default().to_owned();
                upload.bytes = field.bytes().await.map_err(bad_form)?.to_vec();
            } else {
                let value = field.text().await.map_err(bad_form)?;
                if name == "csrf" {
                    token = value;
                } else {
                    upload.fields.insert(name, value);
                }
            }
        }
        csrf.verify(&token)?;
        if upload.file_name.is_empty() && upload.bytes.is_empty() {
            return Err(Error::BadRequest(
                "Choose a file to upload; nothing was changed.".into(),
            ));
        }
        Ok(upload)
    }

    /// Whether a check box of the form was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| !v.is_empty())
    }
}

fn bad_form(e: axum::extract::multipart::MultipartError) -> Error {
    Error::BadRequest(format!(
        "The upload could not be read ({}); nothing was changed.",
        e.body_text()
    ))
}
