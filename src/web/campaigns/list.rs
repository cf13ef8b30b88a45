//! An event's campaigns for marketers: the list and creating one. A campaign's own pages
//! are its overview (`overview.rs`) and its steps (`steps.rs` names them).

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{Html, Redirect},
    routing::get,
};
use axum_extra::extract::Form;
use jiff::Timestamp;
use serde::Deserialize;

use super::steps::to_campaign;
use crate::web::{
    AppState,
    auth::CurrentUser,
    campaigns::steps::state_label,
    csrf::CsrfToken,
    format,
    sorting::{self, Column, SortHeader},
};
use crate::{
    domain::{campaigns::campaign::check_name, slug::Slug, user::Action},
    store::{
        CampaignRecord,
        list_order::{ListOrder, SortColumn},
    },
    web::error::{Error, WebResult},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{slug}/campaigns", get(list).post(create))
}

struct CampaignLine {
    slug: String,
    name: String,
    state: &'static str,
    created: String,
    started: String,
}

/// The campaign list's sortable columns (a list read whole, sorted in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CampaignSort {
    Name,
    State,
    Created,
    Started,
}

impl SortColumn for CampaignSort {
    const KEYS: &'static [(&'static str, CampaignSort)] = &[
        ("name", CampaignSort::Name),
        ("state", CampaignSort::State),
        ("created", CampaignSort::Created),
        ("started", CampaignSort::Started),
    ];
}

/// The campaigns in the order asked for (newest first by default); ties by short name.
fn sort_campaigns(rows: &mut [CampaignRecord], order: Option<ListOrder<CampaignSort>>) {
    let Some(o) = order else { return };
    match o.column {
        CampaignSort::Name => {
            sorting::sort_rows(rows, o.dir, |c| (c.name.to_lowercase(), c.slug.clone()))
        }
        CampaignSort::State => {
            sorting::sort_rows(rows, o.dir, |c| (state_label(c.state()), c.slug.clone()))
        }
        CampaignSort::Created => sorting::sort_rows(rows, o.dir, |c| (c.created_at, c.id)),
        // Never started: last either way.
        CampaignSort::Started => {
            sorting::sort_rows(rows, o.dir, |c| (c.started_at, c.id));
            rows.sort_by_key(|c| c.started_at.is_none());
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    user: CurrentUser,
    csrf: String,
    slug: String,
    event_name: String,
    campaigns: Vec<CampaignLine>,
    heads: Vec<SortHeader>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    user.require(Action::RunCampaigns)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let tz = event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let order = ListOrder::from_query(&q.sort, &q.dir);
    let mut rows = state.ctx.store.campaigns().list_campaigns(event.id).await?;
    sort_campaigns(&mut rows, order);
    let campaigns = rows
        .into_iter()
        .map(|c| CampaignLine {
            state: state_label(c.state()),
            created: format::local_time(c.created_at, &tz),
            started: c
                .started_at
                .map(|t| format::local_time(t, &tz))
                .unwrap_or_default(),
            slug: c.slug,
            name: c.name,
        })
        .collect();
    let zone = &event.info.time_zone;
    let heads = sorting::headers(
        &format!("/admin/events/{slug}/campaigns"),
        &[],
        order,
        vec![
            Column::by(CampaignSort::Name, "Campaign"),
            Column::by(CampaignSort::State, "State"),
            Column::by(CampaignSort::Created, format!("Created ({zone})")),
            Column::by(CampaignSort::Started, format!("Started ({zone})")),
        ],
    );
    let page = ListPage {
        user,
        csrf: csrf.0,
        slug,
        event_name: event.info.name,
        campaigns,
        heads,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    name: String,
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<CreateForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let event = crate::web::event_or_404(&state, &slug).await?;
    let short =
        Slug::parse(&form.short_name).map_err(|e| Error::BadRequest(format!("Short name {e}.")))?;
    check_name(&form.name).map_err(|e| Error::BadRequest(format!("Campaign {e}.")))?;
    state
        .ctx
        .store
        .campaigns()
        .create_campaign(
            event.id,
            short.as_str(),
            form.name.trim(),
            state.ctx.settings.edm.frequency_hours,
            Timestamp::now(),
        )
        .await?;
    tracing::info!(user = user.id, campaign = %short, "campaign created");
    Ok(to_campaign(&slug, short.as_str(), "audience", "created"))
}
