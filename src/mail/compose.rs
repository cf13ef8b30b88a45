//! The badge email: templates rendered into one MIME message carrying the QR code.

use std::borrow::Cow;

use askama::Template;
use lettre::Address;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::MailError;
use crate::domain::email::Email;

/// Content-ID of the inline QR image, referenced from the HTML as `cid:`.
const QR_CONTENT_ID: &str = "badge-qr@badgetrail";
const QR_FILE_NAME: &str = "badge.png";

/// Everything the badge email says, borrowed from the attendee and event.
pub struct BadgeEmail<'a> {
    pub to: &'a Email,
    /// Display name in the `To:` header.
    pub to_name: &'a str,
    pub first_name: &'a str,
    pub company: &'a str,
    pub event_name: &'a str,
    pub event_venue: &'a str,
    pub event_dates: &'a str,
    /// Absolute URL of the attendee's badge page.
    pub badge_url: &'a str,
    /// Absolute, signed and expiring URL of the attendee's "my registration" page.
    pub manage_url: &'a str,
    /// The badge QR code as PNG.
    pub qr_png: &'a [u8],
}

#[derive(Template)]
#[template(path = "email/badge/subject.txt")]
struct SubjectTemplate<'a> {
    event_name: &'a str,
}

/// Plain-text part; `.txt` templates are not HTML-escaped.
#[derive(Template)]
#[template(path = "email/badge/body.txt")]
struct TextTemplate<'a> {
    first_name: &'a str,
    company: &'a str,
    event_name: &'a str,
    event_venue: &'a str,
    event_dates: &'a str,
    badge_url: &'a str,
    manage_url: &'a str,
}

/// HTML part; every field is HTML-escaped by askama.
#[derive(Template)]
#[template(path = "email/badge/body.html")]
struct HtmlTemplate<'a> {
    first_name: &'a str,
    company: &'a str,
    event_name: &'a str,
    event_venue: &'a str,
    event_dates: &'a str,
    badge_url: &'a str,
    manage_url: &'a str,
    qr_content_id: &'a str,
}

/// Builds the badge email: text and HTML alternatives (the HTML shows the QR
/// inline), with the QR also attached as `badge.png`.
pub fn compose_badge_email(from: &str, email: &BadgeEmail<'_>) -> Result<Message, MailError> {
    let from = from.parse::<Mailbox>().map_err(|e| MailError::Address {
        field: "from",
        reason: e.to_string(),
    })?;
    let to_address = email
        .to
        .as_str()
        .parse::<Address>()
        .map_err(|e| MailError::Address {
            field: "to",
            reason: e.to_string(),
        })?;
    let to_name = one_line(email.to_name);
    let to_name = (!to_name.trim().is_empty()).then(|| to_name.trim().to_owned());
    let to = Mailbox::new(to_name, to_address);

    // Attendee text is single-line data: no field may smuggle a line break into the message.
    let first_name = one_line(email.first_name);
    let company = one_line(email.company);
    let event_name = one_line(email.event_name);
    let event_venue = one_line(email.event_venue);
    let event_dates = one_line(email.event_dates);
    let badge_url = one_line(email.badge_url);
    let manage_url = one_line(email.manage_url);

    let subject = render(
        "subject",
        &SubjectTemplate {
            event_name: &event_name,
        },
    )?;
    let text = render(
        "text body",
        &TextTemplate {
            first_name: &first_name,
            company: &company,
            event_name: &event_name,
            event_venue: &event_venue,
            event_dates: &event_dates,
            badge_url: &badge_url,
            manage_url: &manage_url,
        },
    )?;
    let html = render(
        "HTML body",
        &HtmlTemplate {
            first_name: &first_name,
            company: &company,
            event_name: &event_name,
            event_venue: &event_venue,
            event_dates: &event_dates,
            badge_url: &badge_url,
            manage_url: &manage_url,
            qr_content_id: QR_CONTENT_ID,
        },
    )?;

    let png = ContentType::parse("image/png").expect("image/png is a valid content type");
    let html_with_qr = MultiPart::related()
        .singlepart(SinglePart::html(html))
        .singlepart(
            Attachment::new_inline(QR_CONTENT_ID.to_owned())
                .body(email.qr_png.to_vec(), png.clone()),
        );
    let body = MultiPart::mixed()
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .multipart(html_with_qr),
        )
        .singlepart(Attachment::new(QR_FILE_NAME.to_owned()).body(email.qr_png.to_vec(), png));

    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(subject.trim()).trim())
        .message_id(None)
        .multipart(body)?)
}

fn render(template: &'static str, page: &impl Template) -> Result<String, MailError> {
    page.render()
        .map_err(|source| MailError::Template { template, source })
}

/// Replaces control characters (CR, LF, tabs, ...) with spaces.
pub(super) fn one_line(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(to: &'a Email, name: &'a str, event: &'a str) -> BadgeEmail<'a> {
        BadgeEmail {
            to,
            to_name: name,
            first_name: name,
            company: "O'Brien & Sons",
            event_name: event,
            event_venue: "Hall 3",
            event_dates: "12-13 May 2026",
            badge_url: "https://badgetrail.example/badge/abc?x=1&y=2",
            manage_url: "https://badgetrail.example/me/TOKEN",
            qr_png: b"\x89PNG\r\n\x1a\nfake",
        }
    }

    fn formatted(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[test]
    fn subject_comes_from_the_template_on_one_line() {
        let to = Email::parse("ada@example.com").unwrap();
        let message = compose_badge_email(
            "Summit <noreply@badgetrail.example>",
            &sample(&to, "Ada", "Cloud\r\nBcc: victim@example.com\nSummit"),
        )
        .unwrap();
        let subject = message.headers().get_raw("Subject").unwrap();
        assert_eq!(
            subject,
            "Your badge for Cloud  Bcc: victim@example.com Summit"
        );
        assert!(message.headers().get_raw("Bcc").is_none());
        assert!(!formatted(&message).contains("\nBcc:"));
    }

    #[test]
    fn sets_a_message_id() {
        let to = Email::parse("ada@example.com").unwrap();
        let message =
            compose_badge_email("noreply@badgetrail.example", &sample(&to, "Ada", "Summit"))
                .unwrap();
        let id = message.headers().get_raw("Message-ID").unwrap();
        assert!(id.starts_with('<') && id.ends_with('>'), "{id}");
    }

    #[test]
    fn refuses_a_malformed_from() {
        let to = Email::parse("ada@example.com").unwrap();
        let err = compose_badge_email("not an address", &sample(&to, "Ada", "Summit"));
        assert!(matches!(err, Err(MailError::Address { field: "from", .. })));
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let to = Email::parse("ada@example.com").unwrap();
        let email = sample(&to, "<b>Ada</b>", "Summit");
        let text = render(
            "text body",
            &TextTemplate {
                first_name: email.first_name,
                company: email.company,
                event_name: email.event_name,
                event_venue: email.event_venue,
                event_dates: email.event_dates,
                badge_url: email.badge_url,
                manage_url: email.manage_url,
            },
        )
        .unwrap();
        assert!(text.contains("Hello <b>Ada</b>,"));
        assert!(text.contains("(O'Brien & Sons)"));
        assert!(text.contains("https://badgetrail.example/badge/abc?x=1&y=2"));
        assert!(text.contains("https://badgetrail.example/me/TOKEN"));

        let html = render(
            "HTML body",
            &HtmlTemplate {
                first_name: email.first_name,
                company: email.company,
                event_name: email.event_name,
                event_venue: email.event_venue,
                event_dates: email.event_dates,
                badge_url: email.badge_url,
                manage_url: email.manage_url,
                qr_content_id: QR_CONTENT_ID,
            },
        )
        .unwrap();
        assert!(html.contains("&#60;b&#62;Ada&#60;/b&#62;"), "{html}");
        assert!(!html.contains("<b>Ada"));
        assert!(html.contains("cid:badge-qr@badgetrail"));
        assert!(html.contains("href=\"https://badgetrail.example/me/TOKEN\""));
    }
}
