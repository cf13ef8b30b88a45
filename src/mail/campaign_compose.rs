//! The follow-up email: marketer-written templates (minijinja) rendered per attendee into a
//! text + HTML message with the list headers of RFC 2369, RFC 2919 and RFC 8058.
//!
//! Content fields are plain-text templates, rendered without escaping; the HTML layout is a
//! template named `.html`, so minijinja escapes every value put into it, attendee names and
//! marketer text alike. Nothing here builds HTML by hand.

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::MailError;
use crate::domain::campaigns::campaign::{Content, ContentKey};
use crate::domain::email::Email;

const LAYOUT_HTML: &str = include_str!("../../templates/email/edm/layout.html");
const LAYOUT_TEXT: &str = include_str!("../../templates/email/edm/layout.txt");
/// Bounds the work one template may do (loops in marketer templates).
const FUEL: u64 = 100_000;

/// A template that does not compile or render, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{block}, {field}: {message}")]
pub struct TemplateProblem {
    pub block: String,
    pub field: &'static str,
    pub message: String,
}

/// Who the email is for, as templates see it. Every value is data, never markup.
#[derive(Debug, Clone, Serialize)]
pub struct Personal<'a> {
    pub first_name: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    pub job_title: &'a str,
    pub event_name: &'a str,
    /// Slug of the content topic; "" for the general content.
    pub topic: &'a str,
    pub topic_name: &'a str,
    pub tier: &'a str,
    /// Slug and name of the topic of the person's likely next need; "" when none.
    pub next_need: &'a str,
    pub next_need_name: &'a str,
}

/// A second block under the first: the campaign's content for the person's likely next
/// need, rendered for them, with its own call to action.
#[derive(Debug, Clone, Copy)]
pub struct AlsoBlock<'a> {
    pub content: &'a RenderedContent,
    /// Where its call to action goes (a signed tracking redirect when clicks are tracked).
    pub cta_href: &'a str,
}

/// A campaign's content blocks compiled once, rendered for many attendees.
#[derive(Debug)]
pub struct CampaignTemplates {
    env: Environment<'static>,
    keys: Vec<ContentKey>,
}

const FIELDS: [&str; 5] = ["subject", "preheader", "body", "cta_label", "cta_url"];

fn field_of(c: &Content, field: &str) -> String {
    match field {
        "subject" => c.subject.clone(),
        "preheader" => c.preheader.clone(),
        "body" => c.body.clone(),
        "cta_label" => c.cta_label.clone(),
        _ => c.cta_url.clone(),
    }
}

/// One content block rendered for one attendee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedContent {
    pub subject: String,
    pub preheader: String,
    /// Paragraphs, each a list of lines.
    pub paragraphs: Vec<Vec<String>>,
    pub cta_label: String,
    pub cta_url: String,
}

impl CampaignTemplates {
    /// Compiles every field of every block; all problems are reported together.
    pub fn compile(
        contents: &[(ContentKey, Content)],
    ) -> Result<CampaignTemplates, Vec<TemplateProblem>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.add_template("layout.html", LAYOUT_HTML)
            .expect("the HTML layout compiles");
        env.add_template("layout.txt", LAYOUT_TEXT)
            .expect("the text layout compiles");
        let mut problems = Vec::new();
        for (i, (key, content)) in contents.iter().enumerate() {
            for field in FIELDS {
                if let Err(e) =
                    env.add_template_owned(format!("{i}.{field}"), field_of(content, field))
                {
                    problems.push(TemplateProblem {
                        block: key.label(),
                        field,
                        message: describe(&e),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(CampaignTemplates {
            env,
            keys: contents.iter().map(|(k, _)| k.clone()).collect(),
        })
    }

    /// The index of a block, for `render`.
    pub fn index_of(&self, key: &ContentKey) -> Option<usize> {
        self.keys.iter().position(|k| k == key)
    }

    /// Renders block `index` for one attendee.
    pub fn render(
        &self,
        index: usize,
        who: &Personal<'_>,
    ) -> Result<RenderedContent, TemplateProblem> {
        let field = |field: &'static str| -> Result<String, TemplateProblem> {
            let problem = |e: minijinja::Error| TemplateProblem {
                block: self
                    .keys
                    .get(index)
                    .map(ContentKey::label)
                    .unwrap_or_default(),
                field,
                message: describe(&e),
            };
            self.env
                .get_template(&format!("{index}.{field}"))
                .map_err(problem)?
                .render(who)
                .map_err(problem)
        };
        let one_line = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let body = field("body")?;
        Ok(RenderedContent {
            subject: one_line(field("subject")?),
            preheader: one_line(field("preheader")?),
            paragraphs: paragraphs(&body),
            cta_label: one_line(field("cta_label")?),
            cta_url: field("cta_url")?.trim().to_owned(),
        })
    }

    /// Renders the message bodies around `rendered`: (text, HTML).
    /// `also` adds the second block (its subject as its heading) under the first.
    pub fn layouts(
        &self,
        rendered: &RenderedContent,
        also: Option<AlsoBlock<'_>>,
        event_name: &str,
        links: &MessageLinks<'_>,
    ) -> Result<(String, String), MailError> {
        let also = also.map(|a| {
            context! {
                title => &a.content.subject,
                paragraphs => &a.content.paragraphs,
                cta_label => &a.content.cta_label,
                cta_href => a.cta_href,
            }
        });
        let ctx = context! {
            also => also,
            subject => &rendered.subject,
            preheader => &rendered.preheader,
            paragraphs => &rendered.paragraphs,
            cta_label => &rendered.cta_label,
            cta_href => links.cta_href,
            event_name => event_name.split_whitespace().collect::<Vec<_>>().join(" "),
            unsubscribe_url => links.unsubscribe_url,
            open_pixel_url => links.open_pixel_url,
            postal_address => links.postal_address,
        };
        let render = |name: &str| {
            self.env
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| {
                    MailError::Settings(format!("campaign layout {name}: {}", describe(&e)))
                })
        };
        Ok((render("layout.txt")?, render("layout.html")?))
    }
}

/// The message of one error and of its causes, on one line.
fn describe(e: &minijinja::Error) -> String {
    let mut text = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(line) = e.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}

/// Splits rendered body text into paragraphs (blank lines) of lines.
fn paragraphs(body: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in body.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(
                line.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect(),
            );
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Links and list data of one message.
#[derive(Debug, Clone)]
pub struct MessageLinks<'a> {
    /// https URL of the one-click unsubscribe endpoint for this recipient.
    pub unsubscribe_url: &'a str,
    /// `mailto:` URI that unsubscribes when mailed.
    pub unsubscribe_mailto: &'a str,
    /// Where the call to action goes: the content's link, or a signed tracking redirect.
    pub cta_href: &'a str,
    /// The tracking pixel, when open tracking is on.
    pub open_pixel_url: Option<&'a str>,
    /// `List-Id` value, e.g. `Big data <big-data.cloud-summit-2026.badgetrail.example>`.
    pub list_id: &'a str,
    /// Lines of the sender's postal address.
    pub postal_address: &'a [String],
    /// Full Message-ID with angle brackets.
    pub message_id: &'a str,
}

/// Builds the message: text and HTML alternatives, with List-Unsubscribe (https and mailto),
/// List-Unsubscribe-Post (one click) and List-Id.
pub fn compose_campaign_email(
    from: &Mailbox,
    to: &Email,
    to_name: &str,
    subject: &str,
    (text, html): (String, String),
    links: &MessageLinks<'_>,
) -> Result<Message, MailError> {
    let to_address = to
        .as_str()
        .parse::<lettre::Address>()
        .map_err(|e| MailError::Address {
            field: "to",
            reason: e.to_string(),
        })?;
    let to_name: String = to_name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let to_name = (!to_name.trim().is_empty()).then(|| to_name.trim().to_owned());
    let header = |name: &'static str, value: String| {
        HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
    };
    let mut message = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(to_name, to_address))
        .subject(subject)
        .message_id(Some(links.message_id.to_owned()))
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .singlepart(SinglePart::html(html)),
        )?;
    let headers = message.headers_mut();
    headers.insert_raw(header(
        "List-Unsubscribe",
        format!(
            "<{}>, <{}>",
            links.unsubscribe_url, links.unsubscribe_mailto
        ),
    ));
    headers.insert_raw(header(
        "List-Unsubscribe-Post",
        "List-Unsubscribe=One-Click".to_owned(),
    ));
    headers.insert_raw(header("List-Id", links.list_id.to_owned()));
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaigns::campaign::Tier;

    fn who<'a>(name: &'a str) -> Personal<'a> {
        Personal {
            first_name: name,
            name,
            company: "O'Brien & Sons",
            job_title: "CTO",
            event_name: "Cloud Summit",
            topic: "big-data",
            topic_name: "Big data",
            tier: "A",
            next_need: "",
            next_need_name: "",
        }
    }

    fn block(subject: &str, body: &str) -> Vec<(ContentKey, Content)> {
        vec![(
            ContentKey {
                topic: Some("big-data".into()),
                tier: Some(Tier::A),
            },
            Content {
                subject: subject.into(),
                preheader: "For {{ company }}".into(),
                body: body.into(),
                cta_label: "Read".into(),
                cta_url: "https://example.com/x?a=1&b=2".into(),
            },
        )]
    }

    #[test]
    fn renders_fields_and_splits_paragraphs() {
        let t = CampaignTemplates::compile(&block(
            "{{ first_name }}, about {{ topic_name }}",
            "Hello {{ first_name }},\nline two\n\n\nSecond {{ company }}.",
        ))
        .unwrap();
        let r = t.render(0, &who("Ada")).unwrap();
        assert_eq!(r.subject, "Ada, about Big data");
        assert_eq!(r.preheader, "For O'Brien & Sons");
        assert_eq!(
            r.paragraphs,
            vec![
                vec!["Hello Ada,".to_owned(), "line two".to_owned()],
                vec!["Second O'Brien & Sons.".to_owned()]
            ]
        );
        assert_eq!(r.cta_url, "https://example.com/x?a=1&b=2");
    }

    #[test]
    fn html_paragraphs_flow_and_keep_no_typed_line_breaks() {
        let t = CampaignTemplates::compile(&block(
            "Hi",
            "Hello {{ first_name }},\nthanks for coming\nto the summit.\n\nSee you next year.",
        ))
        .unwrap();
        let r = t.render(0, &who("Ada")).unwrap();
        let postal = vec!["Summit Ltd".to_owned()];
        let links = MessageLinks {
            unsubscribe_url: "https://bt.example/u/T",
            unsubscribe_mailto: "mailto:u@bt.example",
            cta_href: "https://bt.example/t/c/T",
            open_pixel_url: None,
            list_id: "x <x.bt.example>",
            postal_address: &postal,
            message_id: "<1@bt.example>",
        };
        let (text, html) = t.layouts(&r, None, "Cloud Summit", &links).unwrap();
        assert!(
            html.contains(">Hello Ada, thanks for coming to the summit.</p>"),
            "{html}"
        );
        assert!(html.contains(">See you next year.</p>"), "{html}");
        assert!(
            html.contains(">Cloud Summit</p>"),
            "the event's name heads it: {html}"
        );
        assert!(
            text.contains("thanks for coming\nto the summit."),
            "text keeps its lines: {text}"
        );
    }

    #[test]
    fn a_second_block_follows_the_first_escaped_with_its_own_link() {
        let t = CampaignTemplates::compile(&block("Hi", "First.")).unwrap();
        let first = t.render(0, &who("Ada")).unwrap();
        let second = RenderedContent {
            subject: "Also: <b>storage</b> & more".into(),
            preheader: String::new(),
            paragraphs: vec![vec!["Objects <i>at</i> scale.".into()]],
            cta_label: "Read".into(),
            cta_url: "https://example.com/s".into(),
        };
        let postal = vec![];
        let links = MessageLinks {
            unsubscribe_url: "https://bt.example/u/T",
            unsubscribe_mailto: "mailto:u@bt.example",
            cta_href: "https://bt.example/t/c/T",
            open_pixel_url: None,
            list_id: "x <x.bt.example>",
            postal_address: &postal,
            message_id: "<1@bt.example>",
        };
        let also = AlsoBlock {
            content: &second,
            cta_href: "https://bt.example/t/c/S?u=x&y=1",
        };
        let (text, html) = t.layouts(&first, Some(also), "Summit", &links).unwrap();
        assert!(
            html.contains(">Also: &lt;b&gt;storage&lt;&#x2f;b&gt; &amp; more</h2>"),
            "{html}"
        );
        assert!(
            html.contains(">Objects &lt;i&gt;at&lt;&#x2f;i&gt; scale.</p>"),
            "{html}"
        );
        assert!(
            html.contains("href=\"https:&#x2f;&#x2f;bt.example&#x2f;t&#x2f;c&#x2f;S?u=x&amp;y=1\""),
            "{html}"
        );
        let first_at = text.find("First.").unwrap();
        let also_at = text.find("Also: <b>storage</b> & more").unwrap();
        assert!(first_at < also_at, "{text}");
        assert!(
            text.contains("Read: https://bt.example/t/c/S?u=x&y=1"),
            "{text}"
        );
        let (plain, _) = t.layouts(&first, None, "Summit", &links).unwrap();
        assert!(!plain.contains("storage"));
    }

    #[test]
    fn problems_name_the_block_and_field() {
        let problems = CampaignTemplates::compile(&block("{{ first_name", "ok")).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "subject");
        assert_eq!(problems[0].block, "big-data, tier A");
        let t = CampaignTemplates::compile(&block("{{ frist_name }}", "ok")).unwrap();
        let e = t.render(0, &who("Ada")).unwrap_err();
        assert!(e.message.contains("undefined"), "{e}");
    }

    #[test]
    fn a_runaway_template_is_stopped() {
        let t = CampaignTemplates::compile(&block(
            "x",
            "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}",
        ))
        .unwrap();
        assert!(t.render(0, &who("Ada")).is_err());
    }

    #[test]
    fn html_escapes_every_value_and_headers_stay_single() {
        let name = "<script>alert(1)</script>\r\nBcc: victim@example.com";
        let t = CampaignTemplates::compile(&block("Hi {{ first_name }}", "Dear {{ name }} & co"))
            .unwrap();
        let r = t.render(0, &who(name)).unwrap();
        let to = Email::parse("ada@example.com").unwrap();
        let from: Mailbox = "Summit <news@badgetrail.example>".parse().unwrap();
        let postal = vec!["Summit Ltd".to_owned(), "1 <Main> St".to_owned()];
        let links = MessageLinks {
            unsubscribe_url: "https://bt.example/u/TOKEN",
            unsubscribe_mailto: "mailto:unsubscribe@bt.example?subject=unsubscribe%20TOKEN",
            cta_href: "https://bt.example/t/c/T?u=https%3A%2F%2Fexample.com%2F&x=\"",
            open_pixel_url: Some("https://bt.example/t/o/P"),
            list_id: "Big data <big-data.summit.bt.example>",
            postal_address: &postal,
            message_id: "<1.abc@bt.example>",
        };
        let bodies = t.layouts(&r, None, "Summit", &links).unwrap();
        let message = compose_campaign_email(&from, &to, name, &r.subject, bodies, &links).unwrap();
        let raw = message.formatted();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert!(parsed.header("Bcc").is_none());
        assert_eq!(
            parsed.subject(),
            Some("Hi <script>alert(1)</script> Bcc: victim@example.com")
        );
        let html = parsed.body_html(0).unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(html.contains("Dear &lt;script&gt;"), "{html}");
        assert!(html.contains("1 &lt;Main&gt; St"), "{html}");
        assert!(html.contains("&amp;x=&quot;"), "{html}");
        let text = parsed.body_text(0).unwrap();
        assert!(text.contains("Dear <script>alert(1)</script>"), "{text}");
        assert_eq!(
            parsed.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
    }
}
