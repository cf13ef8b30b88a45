//! One change to an event from a staff form: the event's own details, or one topic, room or
//! session. Each change is checked as an import is (a session form is read as one row of a
//! sessions CSV, so its problems are the CSV's, by column) and stored in one transaction.

use jiff::{Timestamp, civil::Date};

use super::{Problem, Refused, check, store_checked};
use crate::{
    context::Context,
    domain::{
        programme::{EventInfo, Programme, Room, Topic},
        slug::Slug,
    },
    formats,
};

/// The event's own details as a form sends them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EventFields {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
}

/// A session as a form sends it: the columns of a sessions CSV.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SessionFields {
    #[serde(default)]
    pub session_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub topics: String,
    #[serde(default)]
    pub speakers: String,
}

fn date(field: &str, raw: &str, problems: &mut Vec<Problem>) -> Date {
    let s = raw.trim();
    match s.parse::<Date>() {
        Ok(d) => d,
        Err(_) => {
            let message = if s.is_empty() {
                "is required".to_owned()
            } else {
                format!("'{s}' is not a valid date (write it as 2026-05-12)")
            };
            problems.push(Problem::field(field, message));
            Date::default()
        }
    }
}

/// The event details of a form; `slug` is the stored one when editing.
fn event_info(fields: &EventFields, slug: Option<&Slug>) -> Result<EventInfo, Refused> {
    let mut problems = Vec::new();
    let slug = match slug {
        Some(s) => s.clone(),
        None => Slug::parse(&fields.slug).unwrap_or_else(|e| {
            problems.push(Problem::field("slug", e));
            Slug::parse("x").expect("a valid slug")
        }),
    };
    let info = EventInfo {
        slug,
        name: fields.name.trim().to_owned(),
        time_zone: fields.time_zone.trim().to_owned(),
        venue: fields.venue.trim().to_owned(),
        starts_on: date("starts_on", &fields.starts_on, &mut problems),
        ends_on: date("ends_on", &fields.ends_on, &mut problems),
    };
    if problems.is_empty() {
        Ok(info)
    } else {
        Err(Refused::Problems(problems))
    }
}

/// Creates an event with an empty programme; refused when the slug is taken.
pub async fn create_event(
    ctx: &Context,
    fields: &EventFields,
    now: Timestamp,
) -> Result<Slug, Refused> {
    let info = event_info(fields, None)?;
    if info.slug.as_str() == "new" {
        return Err(Refused::Problems(vec![Problem::field(
            "slug",
            "'new' is the address of the new-event page; pick another",
        )]));
    }
    if ctx
        .store
        .events()
        .event_by_slug(info.slug.as_str())
        .await?
        .is_some()
    {
        return Err(Refused::Problems(vec![Problem::field(
            "slug",
            format!("an event '{}' already exists; pick another", info.slug),
        )]));
    }
    let programme = Programme {
        event: info,
        topics: Vec::new(),
        rooms: Vec::new(),
        sessions: Vec::new(),
    };
    store_checked(ctx, &programme, now).await?;
    Ok(programme.event.slug)
}

async fn programme(ctx: &Context, slug: &str) -> Result<Programme, Refused> {
    ctx.store
        .events()
        .load_programme(slug)
        .await?
        .ok_or(Refused::NotFound)
}

/// Changes the event's name, venue, time zone and dates; its slug stays.
pub async fn update_event(
    ctx: &Context,
    slug: &str,
    fields: &EventFields,
    now: Timestamp,
) -> Result<(), Refused> {
    let mut p = programme(ctx, slug).await?;
    p.event = event_info(fields, Some(&p.event.slug))?;
    store_checked(ctx, &p, now).await?;
    Ok(())
}

/// Adds a topic (`original` is `None`) or renames one; a topic's slug is its stable key.
pub async fn save_topic(
    ctx: &Context,
    slug: &str,
    original: Option<&str>,
    topic_slug: &str,
    name: &str,
    now: Timestamp,
) -> Result<(), Refused> {
    let mut p = programme(ctx, slug).await?;
    match original {
        Some(key) => {
            let t = p
                .topics
                .iter_mut()
                .find(|t| t.slug.as_str() == key)
                .ok_or(Refused::NotFound)?;
            t.name = name.trim().to_owned();
        }
        None => {
            let slug = Slug::parse(topic_slug)
                .map_err(|e| Refused::Problems(vec![Problem::field("slug", e)]))?;
            if p.topics.iter().any(|t| t.slug == slug) {
                return Err(Refused::Problems(vec![Problem::field(
                    "slug",
                    format!("the event already has a topic '{slug}'"),
                )]));
            }
            p.topics.push(Topic {
                slug,
                name: name.trim().to_owned(),
            });
        }
    }
    store_checked(ctx, &p, now).await?;
    Ok(())
}

fn capacity(raw: &str) -> Result<u32, Refused> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            Refused::Problems(vec![Problem::field(
                "capacity",
                format!("'{}' is not a whole number of at least 1", raw.trim()),
            )])
        })
}

/// Adds a room (`original` is `None`), or changes one's name and capacity; its sessions
/// and door devices follow a renamed room.
pub async fn save_room(
    ctx: &Context,
    slug: &str,
    original: Option<&str>,
    name: &str,
    capacity_text: &str,
    now: Timestamp,
) -> Result<(), Refused> {
    let mut p = programme(ctx, slug).await?;
    let capacity = capacity(capacity_text)?;
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(Refused::Problems(vec![Problem::field(
            "name",
            "must not be empty",
        )]));
    }
    let taken = |p: &Programme| p.rooms.iter().any(|r| r.name == name);
    match original {
        Some(old) => {
            if !p.rooms.iter().any(|r| r.name == old) {
                return Err(Refused::NotFound);
            }
            if old != name && taken(&p) {
                return Err(Refused::Problems(vec![Problem::field(
                    "name",
                    format!("the event already has a room '{name}'"),
                )]));
            }
            for r in p.rooms.iter_mut().filter(|r| r.name == old) {
                r.name.clone_from(&name);
                r.capacity = capacity;
            }
            for s in p.sessions.iter_mut().filter(|s| s.room == old) {
                s.room.clone_from(&name);
            }
            // Checked before the rename, which is a transaction of its own.
            check(&p)?;
            if old != name {
                let event = ctx
                    .store
                    .events()
                    .event_by_slug(slug)
                    .await?
                    .ok_or(Refused::NotFound)?;
                ctx.store.events().rename_room(event.id, old, &name).await?;
            }
        }
        None => {
            if taken(&p) {
                return Err(Refused::Problems(vec![Problem::field(
                    "name",
                    format!("the event already has a room '{name}'"),
                )]));
            }
            p.rooms.push(Room { name, capacity });
        }
    }
    store_checked(ctx, &p, now).await?;
    Ok(())
}

/// Adds a session (`original` is `None`) or changes one, read as one row of a sessions CSV
/// so that every problem names the column (the form's field) it is about. A session's id is
/// its stable key and does not change.
pub async fn save_session(
    ctx: &Context,
    slug: &str,
    original: Option<&str>,
    fields: &SessionFields,
    now: Timestamp,
) -> Result<(), Refused> {
    let mut p = programme(ctx, slug).await?;
    let mut fields = fields.clone();
    match original {
        Some(id) => {
            if !p.sessions.iter().any(|s| s.id == id) {
                return Err(Refused::NotFound);
            }
            id.clone_into(&mut fields.session_id);
        }
        None => {
            let id = fields.session_id.trim();
            if p.sessions.iter().any(|s| s.id == id) {
                return Err(Refused::Problems(vec![Problem::field(
                    "session_id",
                    format!("the event already has a session '{id}'"),
                )]));
            }
        }
    }
    let csv = one_row_csv(&fields);
    let parsed = formats::parse_sessions_csv(&csv, &p).map_err(|errors| {
        Refused::Problems(
            errors
                .into_iter()
                .map(|e| Problem {
                    line: None,
                    ..Problem::from(e)
                })
                .collect(),
        )
    })?;
    formats::merge_sessions(&mut p, parsed.rows);
    store_checked(ctx, &p, now).await?;
    Ok(())
}

/// The form as a sessions CSV of one row.
fn one_row_csv(f: &SessionFields) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let rows = [
        [
            "session_id",
            "title",
            "room",
            "starts_at",
            "ends_at",
            "kind",
            "topics",
            "speakers",
        ]
        .map(str::to_owned),
        [
            f.session_id.clone(),
            f.title.clone(),
            f.room.clone(),
            f.starts_at.clone(),
            f.ends_at.clone(),
            f.kind.clone(),
            f.topics.clone(),
            f.speakers.clone(),
        ],
    ];
    for row in rows {
        out.write_record(row)
            .expect("writing to memory cannot fail");
    }
    out.into_inner().expect("writing to memory cannot fail")
}

/// What a remove button takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Topic,
    Room,
    Session,
}

/// Removes a topic, room or session nothing refers to any more.
pub async fn remove(ctx: &Context, slug: &str, part: Part, key: &str) -> Result<(), Refused> {
    let event = ctx
        .store
        .events()
        .event_by_slug(slug)
        .await?
        .ok_or(Refused::NotFound)?;
    match part {
        Part::Topic => ctx.store.events().delete_topic(event.id, key).await?,
        Part::Room => ctx.store.events().delete_room(event.id, key).await?,
        Part::Session => ctx.store.events().delete_session(event.id, key).await?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_date_and_slug_name_their_fields() {
        let fields = EventFields {
            slug: "Not A Slug".into(),
            name: "Summit".into(),
            time_zone: "Europe/Berlin".into(),
            starts_on: "12 May".into(),
            ends_on: "2026-05-13".into(),
            ..EventFields::default()
        };
        let Err(Refused::Problems(p)) = event_info(&fields, None) else {
            panic!("refused")
        };
        let fields: Vec<_> = p.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, ["slug", "starts_on"]);
    }

    #[test]
    fn a_session_form_is_one_csv_row() {
        let f = SessionFields {
            session_id: "S1".into(),
            title: "Data, at scale".into(),
            ..SessionFields::default()
        };
        let text = String::from_utf8(one_row_csv(&f)).unwrap();
        assert!(text.starts_with("session_id,title,room,"), "{text}");
        assert!(text.contains("S1,\"Data, at scale\""), "{text}");
    }
}
