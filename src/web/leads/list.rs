//! Marketer pages of an event's leads: counts by tier, the filtered and paged list with
//! overdue leads flagged, and one lead's package.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::Html,
    routing::get,
};
use jiff::{Timestamp, tz::TimeZone};
use serde::Deserialize;

use crate::web::{
    AppState,
    auth::CurrentUser,
    csrf::CsrfToken,
    format,
    leads::build::BuildStatus,
    leads::package::{PackageView, package_view},
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::{
        attendee::PurchaseStage,
        leads::package::{Outcome, Tier},
        leads::report::is_overdue,
        programme::Topic,
        user::Action,
    },
    store::{
        EventRecord, LeadBuildRecord, LeadFilter, LeadLine, LeadOwner, OwnerFilter,
        list_order::{LeadSort, ListOrder},
    },
    web::error::{Error, WebResult},
};

pub(super) const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{slug}/leads", get(list))
        .route("/events/{slug}/leads/{attendee_id}", get(package))
}

/// A lead as list rows show it.
pub struct LineView {
    pub event_slug: String,
    pub event_name: String,
    pub attendee_id: i64,
    pub name: String,
    pub company: String,
    pub job_title: String,
    pub tier: String,
    pub score: String,
    pub fit: String,
    pub engagement: String,
    pub stage: String,
    pub topic: String,
    pub owner: String,
    pub due: String,
    pub overdue: bool,
    /// "Meeting booked (2026-05-20 10:00)".
    pub feedback: Option<String>,
}

impl LineView {
    /// A line whose times are in a column naming the zone.
    pub fn new(l: LeadLine, tz: &TimeZone, now_ms: i64) -> LineView {
        LineView::new_in(l, tz, now_ms, format::local_time)
    }

    /// A line of a list across events: each time names its zone.
    pub fn zoned(l: LeadLine, tz: &TimeZone, now_ms: i64) -> LineView {
        LineView::new_in(l, tz, now_ms, format::local_time_zoned)
    }

    fn new_in(
        l: LeadLine,
        tz: &TimeZone,
        now_ms: i64,
        time: fn(i64, &TimeZone) -> String,
    ) -> LineView {
        let feedback = l.outcome.as_deref().map(|o| {
            let label = Outcome::parse(o).map_or(o, |o| o.label());
            match l.outcome_at {
                Some(at) => format!("{label} ({})", time(at, tz)),
                None => label.to_owned(),
            }
        });
        LineView {
            event_slug: String::new(),
            event_name: String::new(),
            overdue: is_overdue(l.due_at, l.outcome.is_some(), now_ms),
            attendee_id: l.attendee_id,
            name: l.name,
            company: l.company,
            job_title: l.job_title,
            score: format::points(l.score),
            fit: format::points(l.fit),
            engagement: format::points(l.engagement),
            stage: stage_words(l.stage),
            topic: l.topic_name.or(l.top_topic).unwrap_or_default(),
            owner: l.owner.unwrap_or_default(),
            due: l.due_at.map(|d| time(d, tz)).unwrap_or_default(),
            tier: l.tier.key().to_owned(),
            feedback,
        }
    }
}

/// A purchase stage as a short phrase: `LookForSuppliers` -> "4. look for suppliers"; empty
/// when not given.
fn stage_words(stage: Option<PurchaseStage>) -> String {
    match stage {
        Some(s) => match s.step() {
            Some(n) => format!("{n}. {}", s.key().replace('_', " ")),
            None => s.key().replace('_', " "),
        },
        None => String::new(),
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    tier: String,
    #[serde(default)]
    topic: String,
    /// '' anyone, `0` nobody, else a user id.
    #[serde(default)]
    owner: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: i64,
    /// What became of a build just asked for: `started` or `running` (refused).
    #[serde(default)]
    build: String,
    /// How many leads the re-assign form just moved.
    #[serde(default)]
    moved: Option<u32>,
    /// The column the list is sorted by, and `asc` or `desc`.
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

impl ListQuery {
    fn filter(&self) -> WebResult<LeadFilter> {
        let tier = match self.tier.trim() {
            "" => String::new(),
            t => Tier::parse(t)
                .map_err(|e| Error::BadRequest(format!("Tier: {e}.")))?
                .as_str()
                .to_owned(),
        };
        let owner = match self.owner.trim() {
            "" => OwnerFilter::Anyone,
            "0" => OwnerFilter::Nobody,
            id => OwnerFilter::User(
                id.parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Error::BadRequest("Owner: not a user.".into()))?,
            ),
        };
        Ok(LeadFilter {
            tier,
            topic: self.topic.trim().to_owned(),
            owner,
            overdue_only: !self.overdue.is_empty(),
        })
    }

    /// The order asked for; an unknown column is the list's own order.
    fn order(&self) -> Option<ListOrder<LeadSort>> {
        ListOrder::from_query(&self.sort, &self.dir)
    }

    /// This list's query string with another page (or filter), for links.
    fn link(&self, page: i64, tier: Option<&str>, overdue: Option<bool>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let tier = tier.unwrap_or(&self.tier);
        let overdue = overdue.unwrap_or(!self.overdue.is_empty());
        for (k, v) in [
            ("tier", tier),
            ("topic", self.topic.as_str()),
            ("owner", self.owner.as_str()),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if overdue {
            q.append_pair("overdue", "1");
        }
        if page > 0 {
            q.append_pair("page", &page.to_string());
        }
        for (k, v) in sorting::order_pairs(self.order()) {
            q.append_pair(k, v);
        }
        q.finish()
    }
}

pub struct TierTab {
    pub tier: &'static str,
    pub meaning: &'static str,
    pub count: i64,
    pub link: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "leads/list.html")]
struct ListPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    /// "Built 2026-05-20 10:00 by alice", when a build finished.
    built: Option<String>,
    /// The newest build, running or not.
    build: Option<BuildStatus>,
    /// The answer to the build button just pressed: its words, and whether it was refused.
    build_answer: Option<(&'static str, bool)>,
    tiers: Vec<TierTab>,
    total: i64,
    overdue: i64,
    overdue_link: String,
    lines: Vec<LineView>,
    matching: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    tier_choices: Vec<Choice>,
    topic_choices: Vec<Choice>,
    owner_choices: Vec<Choice>,
    overdue_only: bool,
    filtered: bool,
    /// The table's column headers, each sorting the list.
    heads: Vec<SortHeader>,
    /// The re-assign form: every account that may own leads, and this view's query string
    /// to come back to; how many leads it just moved.
    reassign_to: Vec<Choice>,
    here: String,
    moved: Option<String>,
}

/// The lead table's headers: every column sorts, keeping the filters; times are in `zone`.
fn lead_heads(slug: &str, q: &ListQuery, zone: &str) -> Vec<SortHeader> {
    let overdue = if q.overdue.is_empty() { "" } else { "1" };
    sorting::headers(
        &format!("/admin/events/{slug}/leads"),
        &[
            ("tier", q.tier.as_str()),
            ("topic", q.topic.as_str()),
            ("owner", q.owner.as_str()),
            ("overdue", overdue),
        ],
        q.order(),
        vec![
            Column::by(LeadSort::Name, "Lead"),
            Column::by(LeadSort::Tier, "Tier"),
            Column::num(LeadSort::Score, "Score"),
            Column::num(LeadSort::Fit, "Fit"),
            Column::num(LeadSort::Engagement, "Engagement"),
            Column::by(LeadSort::Stage, "Stage"),
            Column::by(LeadSort::Topic, "Top topic"),
            Column::by(LeadSort::Owner, "Owner"),
            Column::by(LeadSort::Deadline, format!("Deadline ({zone})")),
            Column::by(LeadSort::Feedback, format!("Latest feedback ({zone})")),
        ],
    )
}

fn choice(value: &str, label: &str, current: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == current,
    }
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let ask = ListAsk::new(&q, &event)?;
    let read = read_list(&state, event.id, &q, &ask).await?;
    let view = list_view(user, csrf.0, slug, event, &q, ask, read);
    Ok(Html(view.render()?))
}

/// What the list is asked for: its filter, its page, and the zone its times are shown in.
struct ListAsk {
    filter: LeadFilter,
    page: i64,
    tz: TimeZone,
}

impl ListAsk {
    fn new(q: &ListQuery, event: &EventRecord) -> WebResult<ListAsk> {
        let filter = q.filter()?;
        let tz = event
            .info
            .tz()
            .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
        Ok(ListAsk {
            filter,
            page: format::page_number(q.page),
            tz,
        })
    }
}

/// What the list page is made from, read for one event.
struct ListRead {
    /// The page's leads, and how many leads match the filter.
    lines: Vec<LeadLine>,
    matching: i64,
    /// (tier, leads, overdue leads) of the whole event.
    counts: Vec<(Tier, i64, i64)>,
    /// The latest build that finished.
    built: Option<LeadBuildRecord>,
    /// The newest build, running or not.
    build: Option<BuildStatus>,
    topics: Vec<Topic>,
    /// Who owns leads of the event, and everyone who may own leads (id, username).
    owners: Vec<LeadOwner>,
    reassign_to: Vec<(i64, String)>,
    /// Unix ms.
    now: i64,
}

async fn read_list(
    state: &AppState,
    event_id: i64,
    q: &ListQuery,
    ask: &ListAsk,
) -> WebResult<ListRead> {
    let leads = state.ctx.store.leads();
    let now = Timestamp::now().as_millisecond();
    let (lines, matching) = leads
        .event_lead_page(
            event_id,
            &ask.filter,
            q.order(),
            now,
            PAGE_SIZE,
            ask.page * PAGE_SIZE,
        )
        .await?;
    Ok(ListRead {
        lines,
        matching,
        counts: leads.event_lead_counts(event_id, now).await?,
        built: leads.latest_done_lead_build(event_id).await?,
        // Made here, not in the view: a running build's status depends on the clock.
        build: leads
            .latest_lead_build(event_id)
            .await?
            .map(|b| BuildStatus::new(b, &ask.tz)),
        topics: state.ctx.store.events().event_topics(event_id).await?,
        owners: leads.event_lead_owners(event_id).await?,
        reassign_to: leads.lead_owner_ids().await?,
        now,
    })
}

/// The list page: tabs, filters, the page of leads and its links, from what was read.
fn list_view(
    user: CurrentUser,
    csrf: String,
    slug: String,
    event: EventRecord,
    q: &ListQuery,
    ask: ListAsk,
    read: ListRead,
) -> ListPage {
    let ListAsk { filter, page, tz } = ask;
    let pages = (read.matching + PAGE_SIZE - 1) / PAGE_SIZE;
    ListPage {
        heads: lead_heads(&slug, q, &event.info.time_zone),
        reassign_to: read
            .reassign_to
            .into_iter()
            .map(|(id, username)| choice(&id.to_string(), &username, ""))
            .collect(),
        here: q.link(page, None, None),
        moved: q.moved.map(moved_words),
        built: read.built.and_then(|b| built_words(b, &tz)),
        build: read.build,
        build_answer: build_answer(&q.build),
        tiers: tier_tabs(&read.counts, q),
        total: read.counts.iter().map(|(_, n, _)| n).sum(),
        overdue: read.counts.iter().map(|(_, _, late)| late).sum(),
        overdue_link: q.link(0, Some(""), Some(true)),
        lines: read
            .lines
            .into_iter()
            .map(|l| LineView::new(l, &tz, read.now))
            .collect(),
        matching: read.matching,
        prev: (page > 0).then(|| q.link(page - 1, None, None)),
        next: (page + 1 < pages).then(|| q.link(page + 1, None, None)),
        page,
        pages,
        tier_choices: tier_choices(&filter.tier),
        topic_choices: topic_choices(&read.topics, &filter.topic),
        owner_choices: owner_choices(&read.owners, q.owner.trim()),
        overdue_only: filter.overdue_only,
        filtered: filter != LeadFilter::default(),
        user,
        csrf,
        slug,
        event_name: event.info.name,
    }
}

/// "built 2026-05-20 10:00 CEST by alice", once the build finished.
fn built_words(b: LeadBuildRecord, tz: &TimeZone) -> Option<String> {
    b.finished_at.map(|at| {
        format!(
            "built {} by {}",
            format::local_time_zoned(at, tz),
            b.started_by
        )
    })
}

/// A tab per tier with its count of leads, each a link to the list of that tier.
fn tier_tabs(counts: &[(Tier, i64, i64)], q: &ListQuery) -> Vec<TierTab> {
    Tier::ALL
        .iter()
        .map(|t| TierTab {
            tier: t.as_str(),
            meaning: t.meaning(),
            count: counts
                .iter()
                .find(|(k, _, _)| k == t)
                .map_or(0, |(_, n, _)| *n),
            link: q.link(0, Some(t.as_str()), None),
        })
        .collect()
}

fn tier_choices(current: &str) -> Vec<Choice> {
    let mut choices = vec![choice("", "Any", current)];
    choices.extend(
        Tier::ALL
            .iter()
            .map(|t| choice(t.as_str(), t.as_str(), current)),
    );
    choices
}

fn topic_choices(topics: &[Topic], current: &str) -> Vec<Choice> {
    let mut choices = vec![choice("", "Any", current)];
    choices.extend(
        topics
            .iter()
            .map(|t| choice(t.slug.as_str(), &t.name, current)),
    );
    choices
}

/// Anyone, nobody, or one of the event's lead owners; `current` is the query's `owner`.
fn owner_choices(owners: &[LeadOwner], current: &str) -> Vec<Choice> {
    let mut choices = vec![
        choice("", "Anyone", current),
        choice("0", "Nobody (not routed)", current),
    ];
    choices.extend(
        owners
            .iter()
            .map(|o| choice(&o.id.to_string(), &o.display_name, current)),
    );
    choices
}

/// The answer to the build button just pressed (`build` in the query): its words, and
/// whether it was refused.
fn build_answer(build: &str) -> Option<(&'static str, bool)> {
    match build {
        "started" => Some(("The lead build started.", false)),
        "running" => Some((
            "A lead build of this event is already running; yours was not started. Its progress is shown here.",
            true,
        )),
        _ => None,
    }
}

fn moved_words(n: u32) -> String {
    format!(
        "{n} lead{} re-assigned, each with a new feedback deadline.",
        if n == 1 { "" } else { "s" }
    )
}

#[derive(Template)]
#[template(path = "leads/package.html")]
struct PackagePage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    pkg: PackageView,
}

async fn package(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, attendee_id)): Path<(String, i64)>,
) -> WebResult<Html<String>> {
    user.require(Action::WorkOnLeads)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let lead = state
        .ctx
        .store
        .leads()
        .lead(event.id, attendee_id)
        .await?
        .ok_or(Error::NotFound)?;
    let pkg = package_view(&state, &event, lead, Timestamp::now()).await?;
    let page = PackagePage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        pkg,
    };
    Ok(Html(page.render()?))
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
