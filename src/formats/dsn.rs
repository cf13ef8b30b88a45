//! Delivery status notifications (RFC 3464) and abuse reports (RFC 5965): who bounced, how badly.
//!
//! mail-parser reads the MIME structure; the `message/delivery-status` body is a series of
//! RFC 822-style field groups (one per message, then one per recipient) read here.

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// How a recipient failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceKind {
    /// Permanent failure (`Action: failed`, status 5.x.x): never mail this address again.
    Hard,
    /// Temporary failure or delay (status 4.x.x, `Action: delayed`).
    Soft,
    /// The recipient reported the message as abuse (feedback report).
    Complaint,
}

impl BounceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
            BounceKind::Complaint => "complaint",
        }
    }
}

/// One recipient of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BouncedRecipient {
    /// Lower-cased address.
    pub email: String,
    pub kind: BounceKind,
    /// e.g. "5.1.1", or the feedback type for complaints.
    pub status: String,
    /// The remote server's words, when given.
    pub diagnostic: String,
}

/// What a report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub recipients: Vec<BouncedRecipient>,
    /// Message-ID of the message the report is about, without angle brackets.
    pub original_message_id: Option<String>,
}

/// Why a message is not a report we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    #[error("not an email message")]
    NotAMessage,
    #[error("no message/delivery-status or message/feedback-report part")]
    NoReport,
    #[error("the report names no recipient")]
    NoRecipient,
}

/// Reads a DSN or feedback report. Recipients whose action is `delivered`, `relayed` or
/// `expanded` are not bounces and are left out.
pub fn parse_report(raw: &[u8]) -> Result<DeliveryReport, DsnError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(DsnError::NotAMessage)?;
    let mut recipients = Vec::new();
    let mut found = false;
    let mut original_message_id = None;
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let ctype = ct.ctype().to_ascii_lowercase();
        let subtype = ct.subtype().unwrap_or("").to_ascii_lowercase();
        match (ctype.as_str(), subtype.as_str()) {
            ("message", "delivery-status") | ("message", "global-delivery-status") => {
                found = true;
                recipients.extend(delivery_status(&body_text(&part.body)));
            }
            ("message", "feedback-report") => {
                found = true;
                recipients.extend(feedback_report(&body_text(&part.body)));
            }
            ("message", "rfc822") | ("message", "global") => {
                if let PartType::Message(inner) = &part.body {
                    original_message_id = original_message_id.or(inner.message_id().map(clean_id));
                }
            }
            ("text", "rfc822-headers") => {
                let text = body_text(&part.body);
                if let Some(inner) = MessageParser::default().parse_headers(text.as_bytes()) {
                    original_message_id = original_message_id.or(inner.message_id().map(clean_id));
                }
            }
            _ => {}
        }
    }
    if !found {
        return Err(DsnError::NoReport);
    }
    if recipients.is_empty() {
        return Err(DsnError::NoRecipient);
    }
    Ok(DeliveryReport {
        recipients,
        original_message_id,
    })
}

fn clean_id(id: &str) -> String {
    id.trim().trim_matches(['<', '>']).to_owned()
}

fn body_text(body: &PartType<'_>) -> String {
    match body {
        PartType::Text(t) | PartType::Html(t) => t.to_string(),
        PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b).into_owned(),
        PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
        PartType::Multipart(_) => String::new(),
    }
}

/// The field groups of a report body: unfolded `(lower-case name, value)` pairs per group.
fn field_groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = Vec::new();
    let mut group: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(std::mem::take(&mut group));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// "rfc822; Ada@Example.com" -> "ada@example.com".
fn address_of(value: &str) -> Option<String> {
    let address = value.split_once(';').map_or(value, |(_, a)| a);
    let address = address.trim().trim_matches(['<', '>']).trim();
    address.contains('@').then(|| address.to_ascii_lowercase())
}

fn delivery_status(text: &str) -> Vec<BouncedRecipient> {
    field_groups(text)
        .iter()
        .filter_map(|group| {
            let email = field(group, "final-recipient")
                .or_else(|| field(group, "original-recipient"))
                .and_then(address_of)?;
            let action = field(group, "action").unwrap_or("").to_ascii_lowercase();
            let status = field(group, "status")
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned();
            let kind = match action.as_str() {
                "delivered" | "relayed" | "expanded" => return None,
                "delayed" => BounceKind::Soft,
                _ if status.starts_with('4') => BounceKind::Soft,
                _ if status.starts_with('5') || action == "failed" => BounceKind::Hard,
                _ => return None,
            };
            Some(BouncedRecipient {
                email,
                kind,
                status,
                diagnostic: field(group, "diagnostic-code").unwrap_or("").to_owned(),
            })
        })
        .collect()
}

fn feedback_report(text: &str) -> Vec<BouncedRecipient> {
    let groups = field_groups(text);
    let Some(group) = groups.first() else {
        return vec![];
    };
    let feedback = field(group, "feedback-type")
        .unwrap_or("abuse")
        .to_ascii_lowercase();
    group
        .iter()
        .filter(|(n, _)| n == "original-rcpt-to" || n == "removal-recipient")
        .filter_map(|(_, v)| address_of(v))
        .map(|email| BouncedRecipient {
            email,
            kind: BounceKind::Complaint,
            status: feedback.clone(),
            diagnostic: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DSN as Postfix writes it, with two recipients and the returned headers.
    const POSTFIX_DSN: &str = "From: MAILER-DAEMON@mx.example.net\r
To: bounces@badgetrail.example\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r
\r
--B1\r
Content-Type: text/plain\r
\r
I'm sorry to have to inform you that your message could not be delivered.\r
--B1\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.net\r
Arrival-Date: Mon, 1 Jun 2026 12:00:00 +0000\r
\r
Final-Recipient: rfc822; Ada@Example.com\r
Original-Recipient: rfc822;ada@example.com\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 <ada@example.com>: Recipient address\r
    rejected: User unknown\r
\r
Final-Recipient: rfc822; bob@example.org\r
Action: delayed\r
Status: 4.4.1\r
\r
Final-Recipient: rfc822; cy@example.org\r
Action: delivered\r
Status: 2.0.0\r
--B1\r
Content-Type: text/rfc822-headers\r
\r
From: Cloud Summit <news@badgetrail.example>\r
Message-ID: <abc123@badgetrail.example>\r
Subject: Big data follow-up\r
--B1--\r
";

    #[test]
    fn reads_hard_and_soft_recipients_and_the_original_message() {
        let report = parse_report(POSTFIX_DSN.as_bytes()).unwrap();
        assert_eq!(
            report.original_message_id.as_deref(),
            Some("abc123@badgetrail.example")
        );
        assert_eq!(report.recipients.len(), 2, "{report:?}");
        let ada = &report.recipients[0];
        assert_eq!(ada.email, "ada@example.com");
        assert_eq!(ada.kind, BounceKind::Hard);
        assert_eq!(ada.status, "5.1.1");
        assert!(ada.diagnostic.contains("rejected: User unknown"), "{ada:?}");
        let bob = &report.recipients[1];
        assert_eq!(
            (bob.email.as_str(), bob.kind),
            ("bob@example.org", BounceKind::Soft)
        );
    }

    #[test]
    fn reads_an_abuse_report() {
        let arf = "From: fbl@isp.example\r
Content-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r
\r
--F\r
Content-Type: text/plain\r
\r
This is an abuse report.\r
--F\r
Content-Type: message/feedback-report\r
\r
Feedback-Type: abuse\r
User-Agent: FBL/1.0\r
Version: 1\r
Original-Rcpt-To: <Dee@Example.com>\r
--F\r
Content-Type: message/rfc822\r
\r
From: news@badgetrail.example\r
Message-ID: <m-9@badgetrail.example>\r
Subject: hi\r
\r
body\r
--F--\r
";
        let report = parse_report(arf.as_bytes()).unwrap();
        assert_eq!(report.recipients.len(), 1);
        assert_eq!(report.recipients[0].email, "dee@example.com");
        assert_eq!(report.recipients[0].kind, BounceKind::Complaint);
        assert_eq!(
            report.original_message_id.as_deref(),
            Some("m-9@badgetrail.example")
        );
    }

    #[test]
    fn a_plain_message_is_not_a_report() {
        let plain = "From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n";
        assert_eq!(parse_report(plain.as_bytes()), Err(DsnError::NoReport));
        assert_eq!(parse_report(b""), Err(DsnError::NotAMessage));
    }

    #[test]
    fn a_report_of_deliveries_only_names_no_bounce() {
        let dsn = POSTFIX_DSN
            .replace("Action: failed", "Action: delivered")
            .replace("Action: delayed", "Action: relayed");
        assert_eq!(parse_report(dsn.as_bytes()), Err(DsnError::NoRecipient));
    }
}
