//! Plain-text notices to staff about their work (an overdue lead, an escalation): one
//! address, a subject, a body, no tracking.

use lettre::{
    Address, Message,
    message::{Mailbox, header::ContentType},
};

use super::{MailError, compose::one_line};

/// One notice to one staff member.
pub struct StaffNotice<'a> {
    pub to: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Builds the notice; header fields lose any line breaks, so lead data cannot add headers.
pub fn compose_staff_notice(from: &str, notice: &StaffNotice<'_>) -> Result<Message, MailError> {
    let from = from.parse::<Mailbox>().map_err(|e| MailError::Address {
        field: "from",
        reason: e.to_string(),
    })?;
    let address = notice
        .to
        .trim()
        .parse::<Address>()
        .map_err(|e| MailError::Address {
            field: "to",
            reason: e.to_string(),
        })?;
    let name = one_line(notice.to_name).trim().to_owned();
    let to = Mailbox::new((!name.is_empty()).then_some(name), address);
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(notice.subject).trim())
        .message_id(None)
        .header(ContentType::TEXT_PLAIN)
        .body(notice.body.to_owned())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_cannot_smuggle_headers_through_its_subject() {
        let m = compose_staff_notice(
            "Badgetrail <noreply@example.com>",
            &StaffNotice {
                to: "sally@example.com",
                to_name: "Sally\r\nBcc: x@evil.example",
                subject: "Overdue: Ada\r\nBcc: x@evil.example",
                body: "Record an outcome.",
            },
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert!(raw.contains("Record an outcome."));
        assert!(
            compose_staff_notice(
                "noreply@example.com",
                &StaffNotice {
                    to: "not an address",
                    to_name: "",
                    subject: "",
                    body: ""
                }
            )
            .is_err()
        );
    }
}
