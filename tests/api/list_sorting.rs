//! Staff lists sort by a clicked column header, on both backends: every column both ways,
//! the sorted header marked with `aria-sort`, a column nobody knows falling back to the
//! list's own order (never an error), and the salesperson's list keeping tier A before
//! tier B when their deadlines read the same.

use badgetrail::domain::user::Role;

use crate::support::{
    app::{Db, TestApp, spawn_app},
    staff::signed_in,
    stored_leads::{PEOPLE, finish_build, people},
};

crate::on_both_backends!(
    the_attendee_list_sorts_by_every_column_both_ways,
    the_lead_list_sorts_by_every_column_and_keeps_its_filters,
    the_sales_list_keeps_tier_a_first_at_the_same_deadline_and_sorts_on_request,
    the_due_and_campaign_lists_sort_and_an_unknown_column_is_harmless,
);

/// The numbers in `href="{prefix}{n}"` links, in page order: the rows of a list.
fn row_ids(html: &str, prefix: &str) -> Vec<i64> {
    let needle = format!("href=\"{prefix}");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            let end = rest.find('"')?;
            rest[..end].parse().ok()
        })
        .collect()
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The header marked as sorted, as `(aria-sort, label start)`.
fn sorted_header(html: &str) -> Option<String> {
    let at = html.find("aria-sort=\"")?;
    let rest = &html[at + 11..];
    Some(rest[..rest.find('"')?].to_owned())
}

async fn the_attendee_list_sorts_by_every_column_both_ways(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = crate::support::stored_leads::fixture(&app, 0).await;
    app.login_as(Role::Admin).await;
    let list = format!("/admin/events/{}", f.slug);
    let prefix = format!("/admin/events/{}/attendees/", f.slug);
    let name_of = |id: i64| PEOPLE[f.ids.iter().position(|i| *i == id).unwrap()].name;

    let default = row_ids(&get(&app.client, &app, &list).await, &prefix);
    assert_eq!(default.len(), PEOPLE.len());
    for key in [
        "name",
        "company",
        "job_title",
        "email",
        "badge",
        "checked_in",
    ] {
        let mut seen = Vec::new();
        for dir in ["asc", "desc"] {
            let html = get(&app.client, &app, &format!("{list}?sort={key}&dir={dir}")).await;
            let want = if dir == "asc" {
                "ascending"
            } else {
                "descending"
            };
            assert_eq!(sorted_header(&html).as_deref(), Some(want), "{key} {dir}");
            let other = if dir == "asc" { "desc" } else { "asc" };
            assert!(
                unescaped(&html).contains(&format!("?sort={key}&dir={other}\"")),
                "the sorted header links to the other direction: {key} {dir}"
            );
            let ids = row_ids(&html, &prefix);
            assert_eq!(ids.len(), PEOPLE.len(), "{key} {dir}");
            seen.push(ids);
        }
        if key == "name" || key == "email" {
            let mut reversed = seen[0].clone();
            reversed.reverse();
            assert_eq!(seen[1], reversed, "{key}: desc is asc reversed");
        }
    }
    // By name: alphabetical ("<script>..." sorts first).
    let html = get(&app.client, &app, &format!("{list}?sort=name&dir=asc")).await;
    let names: Vec<&str> = row_ids(&html, &prefix).into_iter().map(name_of).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    // Not checked in comes last both ways.
    for dir in ["asc", "desc"] {
        let html = get(
            &app.client,
            &app,
            &format!("{list}?sort=checked_in&dir={dir}"),
        )
        .await;
        let ids = row_ids(&html, &prefix);
        let checked: Vec<bool> = ids
            .iter()
            .map(|id| PEOPLE[f.ids.iter().position(|i| i == id).unwrap()].checked_in)
            .collect();
        let first_missing = checked.iter().position(|c| !c).unwrap();
        assert!(
            checked[first_missing..].iter().all(|c| !c),
            "{dir}: {checked:?}"
        );
    }
    // A column nobody knows, or SQL in its place, is the list's own order.
    for bad in ["a.name;DROP TABLE attendees", "tier", ""] {
        let html = get(
            &app.client,
            &app,
            &format!("{list}?sort={}&dir=sideways", urlencode(bad)),
        )
        .await;
        assert_eq!(row_ids(&html, &prefix), default, "{bad}");
        assert_eq!(sorted_header(&html), None, "{bad}");
    }
    // The zone is named in the column's header.
    let html = get(&app.client, &app, &list).await;
    assert!(
        html.contains(&format!("Checked in ({})", f.event.info.time_zone)),
        "{html}"
    );
}

/// The page with its attribute escapes of `&` undone.
fn unescaped(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&")
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn the_lead_list_sorts_by_every_column_and_keeps_its_filters(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = crate::support::stored_leads::fixture(&app, 0).await;
    app.login_as(Role::Marketer).await;
    let list = format!("/admin/events/{}/leads", f.slug);
    let prefix = format!("/admin/events/{}/leads/", f.slug);
    let who = |i: usize| f.ids[i];
    let leads = PEOPLE.iter().filter(|p| p.tier.is_some()).count();
    for key in [
        "name",
        "tier",
        "score",
        "fit",
        "engagement",
        "stage",
        "topic",
        "owner",
        "deadline",
        "feedback",
    ] {
        for dir in ["asc", "desc"] {
            let html = get(&app.client, &app, &format!("{list}?sort={key}&dir={dir}")).await;
            let want = if dir == "asc" {
                "ascending"
            } else {
                "descending"
            };
            assert_eq!(sorted_header(&html).as_deref(), Some(want), "{key} {dir}");
            assert_eq!(row_ids(&html, &prefix).len(), leads, "{key} {dir}");
        }
    }
    // Highest score first, then lowest first.
    let html = get(&app.client, &app, &format!("{list}?sort=score&dir=desc")).await;
    assert_eq!(row_ids(&html, &prefix)[0], who(0), "Ada, 91");
    let html = get(&app.client, &app, &format!("{list}?sort=score&dir=asc")).await;
    assert_eq!(row_ids(&html, &prefix)[0], who(7), "Hal, 0");
    // Soonest deadline first; leads without one last either way.
    let html = get(&app.client, &app, &format!("{list}?sort=deadline&dir=asc")).await;
    assert_eq!(
        row_ids(&html, &prefix)[..4],
        [who(0), who(3), who(2), who(1)]
    );
    let html = get(&app.client, &app, &format!("{list}?sort=deadline&dir=desc")).await;
    assert_eq!(
        row_ids(&html, &prefix)[..4],
        [who(1), who(2), who(3), who(0)]
    );
    // A filter and a sort together; the header links keep the filter.
    let html = get(
        &app.client,
        &app,
        &format!("{list}?tier=B&sort=score&dir=asc"),
    )
    .await;
    assert_eq!(row_ids(&html, &prefix), [who(3), who(2)]);
    assert!(
        unescaped(&html).contains("?tier=B&sort=name&dir=asc\""),
        "{html}"
    );
    // Nonsense falls back to best first.
    let html = get(&app.client, &app, &format!("{list}?sort=l.tier--&dir=x")).await;
    assert_eq!(row_ids(&html, &prefix)[0], who(0));
    assert!(html.contains(&format!("Deadline ({})", f.event.info.time_zone)));
}

async fn the_sales_list_keeps_tier_a_first_at_the_same_deadline_and_sorts_on_request(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let mut f = people(&app, 0).await;
    // Sally's Ada (A) and Cy (B) are due in the same minute, Cy a few seconds sooner.
    let minute = (jiff::Timestamp::now().as_millisecond() / 60_000 + 600) * 60_000;
    for l in &mut f.leads {
        if l.attendee_id == f.ids[0] {
            l.due_at = Some(minute + 40_000);
        }
        if l.attendee_id == f.ids[2] {
            l.due_at = Some(minute + 5_000);
        }
    }
    finish_build(&app, &f.event, &f.leads, &f.insight).await;
    let (sally, _) = signed_in_as_sally(&app).await;
    let prefix = format!("/sales/leads/{}/", f.slug);
    let html = get(&sally, &app, "/sales/leads").await;
    // Dee is overdue (soonest); then Ada before Cy although Cy's deadline is seconds sooner.
    assert_eq!(row_ids(&html, &prefix), [f.ids[3], f.ids[0], f.ids[2]]);
    assert_eq!(sorted_header(&html), None);
    // Every time names its zone.
    assert!(
        html.contains(&format!("({})", f.event.info.time_zone)),
        "{html}"
    );
    for key in [
        "name", "event", "tier", "score", "topic", "deadline", "feedback",
    ] {
        for dir in ["asc", "desc"] {
            let html = get(&sally, &app, &format!("/sales/leads?sort={key}&dir={dir}")).await;
            assert_eq!(row_ids(&html, &prefix).len(), 3, "{key} {dir}");
            assert!(sorted_header(&html).is_some(), "{key} {dir}");
        }
    }
    let html = get(&sally, &app, "/sales/leads?sort=score&dir=asc").await;
    assert_eq!(row_ids(&html, &prefix), [f.ids[3], f.ids[2], f.ids[0]]);
    let html = get(&sally, &app, "/sales/leads?sort=nope&dir=desc").await;
    assert_eq!(row_ids(&html, &prefix), [f.ids[3], f.ids[0], f.ids[2]]);
}

/// Sally, the fixture's salesperson, signed in.
async fn signed_in_as_sally(app: &TestApp) -> (reqwest::Client, i64) {
    signed_in(app, "sally", Role::Sales).await
}

async fn the_due_and_campaign_lists_sort_and_an_unknown_column_is_harmless(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let f = crate::support::stored_leads::fixture(&app, 0).await;
    for slug in ["after", "before"] {
        crate::support::campaign::campaign(
            &app,
            &f.event,
            slug,
            crate::support::campaign::CAMPAIGN_FILE,
        )
        .await;
    }
    app.login_as(Role::Admin).await;
    for key in [
        "due", "name", "event", "outcome", "owner", "recorded", "bogus",
    ] {
        for dir in ["asc", "desc", ""] {
            get(
                &app.client,
                &app,
                &format!("/due?within=366&sort={key}&dir={dir}"),
            )
            .await;
        }
    }
    let list = format!("/admin/events/{}/campaigns", f.slug);
    let prefix = format!("{list}/");
    let order = |html: &str| -> Vec<String> {
        html.match_indices(&format!("href=\"{prefix}"))
            .map(|(at, _)| {
                let rest = &html[at + prefix.len() + 6..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect()
    };
    for key in ["name", "state", "created", "started"] {
        for dir in ["asc", "desc"] {
            let html = get(&app.client, &app, &format!("{list}?sort={key}&dir={dir}")).await;
            assert!(sorted_header(&html).is_some(), "{key} {dir}");
            assert_eq!(order(&html).len(), 2, "{key} {dir}");
        }
    }
    let html = get(&app.client, &app, &format!("{list}?sort=name&dir=asc")).await;
    let asc = order(&html);
    let html = get(&app.client, &app, &format!("{list}?sort=name&dir=desc")).await;
    let mut desc = order(&html);
    desc.reverse();
    assert_eq!(asc, desc);
    get(&app.client, &app, &format!("{list}?sort=1%3D1&dir=up")).await;

    // Door devices and accounts: every order both ways, nonsense harmless.
    let devices = format!("/admin/events/{}/devices", f.slug);
    for key in ["name", "room", "status", "last_contact", "app", "queued"] {
        for dir in ["asc", "desc"] {
            let html = get(
                &app.client,
                &app,
                &format!("{devices}?sort={key}&dir={dir}"),
            )
            .await;
            assert!(sorted_header(&html).is_some(), "{key} {dir}");
        }
    }
    get(&app.client, &app, &format!("{devices}?sort=%27&dir=%27")).await;
    let accounts = format!("/admin/events/{}/accounts", f.slug);
    for key in ["strength", "company", "people", "nonsense"] {
        for dir in ["asc", "desc"] {
            get(
                &app.client,
                &app,
                &format!("{accounts}?sort={key}&dir={dir}"),
            )
            .await;
        }
    }
}
