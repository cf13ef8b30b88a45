//! The data pool's pages: a person across events, a company with its resolution, members
//! and buying groups (merge and split by staff), and each event's accounts ranked by the
//! strength of their buying group.

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{Html, Redirect},
    routing::{get, post},
};
use axum_extra::extract::Form;
use jiff::{Timestamp, tz::TimeZone};
use serde::Deserialize;

use super::{
    AppState,
    auth::CurrentUser,
    csrf::CsrfToken,
    format,
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::{
        attendee::DecisionRole,
        buying_group::{BuyingGroup, Member, buying_group},
        pool::explain,
        user::Action,
    },
    store::{
        MemberRow,
        list_order::{ListOrder, SortColumn},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people/{id}", get(person_page))
        .route("/companies/{id}", get(company_page))
        .route("/companies/{id}/merge", post(merge))
        .route("/companies/{id}/split", post(split))
        .route("/events/{slug}/accounts", get(accounts_page))
}

pub struct EventLine {
    pub event_name: String,
    pub event_slug: String,
    pub attendee_id: i64,
    pub registered: String,
    pub as_who: String,
    pub company: String,
    pub company_id: Option<i64>,
    pub tier: String,
    pub topic: String,
    pub outcome: String,
    pub next: String,
    pub consent: String,
    pub emails_sent: i64,
}

#[derive(Template)]
#[template(path = "pool/person.html")]
struct PersonPage {
    user: CurrentUser,
    csrf: String,
    email: String,
    events: Vec<EventLine>,
}

fn role_words(role: Option<DecisionRole>) -> String {
    role.map_or_else(|| "role not given".into(), |r| r.key().replace('_', " "))
}

async fn person_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
) -> WebResult<Html<String>> {
    user.require(Action::ReadDataPool)?;
    let store = &state.ctx.store;
    let person = store.data_pool().person(id).await?.ok_or(Error::NotFound)?;
    let events = store
        .data_pool()
        .person_events(id)
        .await?
        .into_iter()
        .map(|e| {
            let tz = TimeZone::get(&e.event_time_zone).unwrap_or(TimeZone::UTC);
            let outcome = e
                .outcome
                .map_or_else(|| "none recorded".to_owned(), |o| o.label().to_owned());
            let next = match (e.next_owner, e.next_at) {
                (Some(owner), Some(at)) => format!(
                    "{}, from {}",
                    owner.label(),
                    format::local_date(crate::store::ts(at), &tz)
                ),
                (Some(owner), None) => owner.label().to_owned(),
                _ => String::new(),
            };
            EventLine {
                registered: format::local_date(crate::store::ts(e.registered_at), &tz),
                as_who: format!("{}, {}", e.job_title, role_words(e.decision_role)),
                tier: e
                    .tier
                    .map_or_else(|| "no lead".into(), |t| t.key().to_owned()),
                topic: e.topic_name.unwrap_or_default(),
                consent: match e.consent {
                    Some(true) => "granted".into(),
                    Some(false) => "withdrawn".into(),
                    None => "never asked".into(),
                },
                event_name: e.event_name,
                event_slug: e.event_slug,
                attendee_id: e.attendee_id,
                company: e.company,
                company_id: e.company_id,
                outcome,
                next,
                emails_sent: e.emails_sent,
            }
        })
        .collect();
    let page = PersonPage {
        user,
        csrf: csrf.0,
        email: person.email,
        events,
    };
    Ok(Html(page.render()?))
}

/// A member line on the company and accounts pages.
pub struct MemberLine {
    pub attendee_id: i64,
    pub person_id: Option<i64>,
    pub event_slug: String,
    pub name: String,
    pub job_title: String,
    pub role: String,
    pub tier: String,
    pub topic: String,
}

/// One event's buying group, for people.
pub struct GroupView {
    /// The card's heading: the event on a company page, rank and company on accounts.
    pub heading: String,
    pub event_name: String,
    pub event_slug: String,
    pub company_id: i64,
    pub company_name: String,
    pub strength: u32,
    pub roles: String,
    pub topics: Vec<(String, String)>,
    pub stage: String,
    pub reasons: Vec<String>,
    pub members: Vec<MemberLine>,
}

fn member(r: &MemberRow) -> Member {
    Member {
        attendee_id: r.attendee_id,
        name: r.name.clone(),
        role: r.decision_role,
        stage: r.purchase_stage,
        tier: r.tier,
        topic: r
            .top_topic
            .clone()
            .map(|slug| (slug.clone(), r.topic_name.clone().unwrap_or(slug))),
    }
}

fn member_line(r: &MemberRow) -> MemberLine {
    MemberLine {
        attendee_id: r.attendee_id,
        person_id: r.person_id,
        event_slug: r.event_slug.clone(),
        name: r.name.clone(),
        job_title: r.job_title.clone(),
        role: role_words(r.decision_role),
        tier: r
            .tier
            .map_or_else(|| "no lead".into(), |t| t.key().to_owned()),
        topic: r.topic_name.clone().unwrap_or_default(),
    }
}

fn group_view(company_name: &str, rows: &[&MemberRow]) -> GroupView {
    let members: Vec<Member> = rows.iter().map(|r| member(r)).collect();
    let g: BuyingGroup = buying_group(&members);
    let first = rows[0];
    GroupView {
        heading: first.event_name.clone(),
        event_name: first.event_name.clone(),
        event_slug: first.event_slug.clone(),
        company_id: first.company_id,
        company_name: company_name.to_owned(),
        strength: g.strength,
        roles: if g.roles.is_empty() {
            "none of the six roles".into()
        } else {
            g.roles
                .iter()
                .map(|r| r.key().replace('_', " "))
                .collect::<Vec<_>>()
                .join(", ")
        },
        topics: g
            .topics
            .iter()
            .map(|(t, roles)| {
                let words: Vec<String> = roles.iter().map(|r| r.key().replace('_', " ")).collect();
                (t.clone(), words.join(", "))
            })
            .collect(),
        stage: g
            .stage
            .map_or_else(|| "not given".into(), |s| s.label().to_owned()),
        reasons: g.reasons,
        members: rows.iter().map(|r| member_line(r)).collect(),
    }
}

#[derive(Template)]
#[template(path = "pool/company.html")]
struct CompanyPage {
    user: CurrentUser,
    csrf: String,
    id: i64,
    name: String,
    why: String,
    merged_into: Option<i64>,
    note: String,
    groups: Vec<GroupView>,
    people: Vec<(i64, String)>,
    targets: Vec<(i64, String)>,
}

async fn company_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
) -> WebResult<Html<String>> {
    user.require(Action::ReadDataPool)?;
    let store = &state.ctx.store;
    let company = store
        .data_pool()
        .company(id)
        .await?
        .ok_or(Error::NotFound)?;
    let rows = store.data_pool().company_members(Some(id), None).await?;
    let mut by_event: BTreeMap<(String, i64), Vec<&MemberRow>> = BTreeMap::new();
    for r in &rows {
        by_event
            .entry((r.event_slug.clone(), r.event_id))
            .or_default()
            .push(r);
    }
    let groups = by_event
        .values()
        .map(|rows| group_view(&company.name, rows))
        .collect();
    let mut people: Vec<(i64, String)> = rows
        .iter()
        .filter_map(|r| r.person_id.map(|p| (p, r.name.clone())))
        .collect();
    people.sort();
    people.dedup_by_key(|p| p.0);
    let targets = store
        .data_pool()
        .companies()
        .await?
        .into_iter()
        .filter(|c| c.id != id)
        .map(|c| (c.id, c.name))
        .collect();
    let basis = company.basis;
    let page = CompanyPage {
        user,
        csrf: csrf.0,
        id,
        why: explain(basis, &company.key, company.domain.as_deref()),
        name: company.name,
        merged_into: company.merged_into,
        note: company.note,
        groups,
        people,
        targets,
    };
    Ok(Html(page.render()?))
}

/// What staff did to a company, kept with it: "Merged into ACME by mia on 2026-12-06."
fn staff_note(what: &str, user: &CurrentUser) -> String {
    format!(
        "{what} by {} on {}.",
        user.username,
        Timestamp::now().strftime("%Y-%m-%d")
    )
}

#[derive(Deserialize)]
struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    into: i64,
}

async fn merge(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
    Form(form): Form<MergeForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ReadDataPool)?;
    let store = &state.ctx.store;
    let target =
        store.data_pool().company(form.into).await?.ok_or_else(|| {
            Error::BadRequest("Pick the company to merge into from the list.".into())
        })?;
    let note = staff_note(&format!("Merged into {}", target.name), &user);
    store
        .data_pool()
        .merge_companies(id, target.id, &note)
        .await?;
    tracing::info!(
        user = user.id,
        from = id,
        into = target.id,
        "companies merged"
    );
    Ok(Redirect::to(&format!("/admin/companies/{}", target.id)))
}

#[derive(Deserialize)]
struct SplitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person: i64,
}

async fn split(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
    Form(form): Form<SplitForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::ReadDataPool)?;
    let note = staff_note(&format!("Split from company {id}"), &user);
    let new = state
        .ctx
        .store
        .data_pool()
        .split_person(id, form.person, &note, Timestamp::now())
        .await?;
    tracing::info!(
        user = user.id,
        from = id,
        into = new,
        "person split from company"
    );
    Ok(Redirect::to(&format!("/admin/companies/{new}")))
}

#[derive(Template)]
#[template(path = "pool/accounts.html")]
struct AccountsPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    accounts: Vec<GroupView>,
    /// The orders offered, each a link; the current one marked.
    orders: Vec<SortHeader>,
}

/// How the accounts may be ordered (the list is read whole and sorted in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccountSort {
    Strength,
    Company,
    People,
}

impl SortColumn for AccountSort {
    const KEYS: &'static [(&'static str, AccountSort)] = &[
        ("strength", AccountSort::Strength),
        ("company", AccountSort::Company),
        ("people", AccountSort::People),
    ];
}

#[derive(Deserialize)]
struct AccountsQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

async fn accounts_page(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<AccountsQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::ReadDataPool)?;
    let event = super::event_or_404(&state, &slug).await?;
    let store = &state.ctx.store;
    let order = ListOrder::<AccountSort>::from_query(&q.sort, &q.dir);
    let rows = store
        .data_pool()
        .company_members(None, Some(event.id))
        .await?;
    let names: BTreeMap<i64, String> = store
        .data_pool()
        .companies()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut by_company: BTreeMap<i64, Vec<&MemberRow>> = BTreeMap::new();
    for r in &rows {
        by_company.entry(r.company_id).or_default().push(r);
    }
    let mut accounts: Vec<GroupView> = by_company
        .iter()
        .map(|(id, rows)| group_view(names.get(id).map_or("", String::as_str), rows))
        .filter(|g| g.strength > 0)
        .collect();
    accounts.sort_by(|a, b| {
        b.strength
            .cmp(&a.strength)
            .then(a.company_name.cmp(&b.company_name))
    });
    // The rank is by strength whatever the order shown.
    for (i, g) in accounts.iter_mut().enumerate() {
        g.heading = format!("{}. {}", i + 1, g.company_name);
    }
    if let Some(o) = order {
        match o.column {
            AccountSort::Strength => sorting::sort_rows(&mut accounts, o.dir, |g| {
                (g.strength, g.company_name.to_lowercase())
            }),
            AccountSort::Company => sorting::sort_rows(&mut accounts, o.dir, |g| {
                (g.company_name.to_lowercase(), g.company_id)
            }),
            AccountSort::People => sorting::sort_rows(&mut accounts, o.dir, |g| {
                (g.members.len(), g.company_name.to_lowercase())
            }),
        }
    }
    let orders = sorting::headers(
        &format!("/admin/events/{slug}/accounts"),
        &[],
        order,
        vec![
            Column::by(AccountSort::Strength, "Buying-group strength"),
            Column::by(AccountSort::Company, "Company"),
            Column::by(AccountSort::People, "People"),
        ],
    );
    let page = AccountsPage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        accounts,
        orders,
    };
    Ok(Html(page.render()?))
}
