//! How staff lists may be sorted: each list's sortable columns, each mapped to a fixed
//! `ORDER BY` text that ends with a unique key, so pages never overlap and no text from a
//! request ever reaches SQL (an unknown column is no column: the list's own order).

use crate::domain::attendee::PurchaseStage;

/// Ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dir {
    #[default]
    Asc,
    Desc,
}

impl Dir {
    /// `desc` is descending; anything else ascending.
    pub fn parse(raw: &str) -> Dir {
        if raw.trim().eq_ignore_ascii_case("desc") {
            Dir::Desc
        } else {
            Dir::Asc
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Asc => "asc",
            Dir::Desc => "desc",
        }
    }

    pub fn flip(self) -> Dir {
        match self {
            Dir::Asc => Dir::Desc,
            Dir::Desc => Dir::Asc,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Dir::Asc => "ASC",
            Dir::Desc => "DESC",
        }
    }
}

/// The sortable columns of one list.
pub trait SortColumn: Copy + Eq + Sized + 'static {
    /// Each column's query key, in the order the list shows them.
    const KEYS: &'static [(&'static str, Self)];

    /// The column a query key names, if any.
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::KEYS.iter().find(|(k, _)| *k == raw).map(|(_, c)| *c)
    }

    fn key(self) -> &'static str {
        Self::KEYS
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("", |(k, _)| k)
    }
}

/// A column and a direction, as a list was asked to sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOrder<C> {
    pub column: C,
    pub dir: Dir,
}

impl<C: SortColumn> ListOrder<C> {
    /// The order `?sort=&dir=` ask for; `None` (the list's own order) for an unknown column.
    pub fn from_query(sort: &str, dir: &str) -> Option<ListOrder<C>> {
        C::parse(sort).map(|column| ListOrder {
            column,
            dir: Dir::parse(dir),
        })
    }
}

/// The attendee list (`attendees a`, with `checked_in_at` selected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendeeSort {
    Name,
    Company,
    JobTitle,
    Email,
    Badge,
    CheckedIn,
}

impl SortColumn for AttendeeSort {
    const KEYS: &'static [(&'static str, AttendeeSort)] = &[
        ("name", AttendeeSort::Name),
        ("company", AttendeeSort::Company),
        ("job_title", AttendeeSort::JobTitle),
        ("email", AttendeeSort::Email),
        ("badge", AttendeeSort::Badge),
        ("checked_in", AttendeeSort::CheckedIn),
    ];
}

/// `ORDER BY` of the attendee list: by name unless asked otherwise.
pub(super) fn attendee_order(o: Option<ListOrder<AttendeeSort>>) -> String {
    let Some(o) = o else {
        return "a.name, a.id".to_owned();
    };
    let d = o.dir.sql();
    match o.column {
        AttendeeSort::Name => format!("a.name {d}, a.id {d}"),
        AttendeeSort::Company => format!("a.company {d}, a.name, a.id"),
        AttendeeSort::JobTitle => format!("a.job_title {d}, a.name, a.id"),
        AttendeeSort::Email => format!("a.email {d}, a.id"),
        AttendeeSort::Badge => format!("a.badge_serial {d}, a.name, a.id"),
        // Not yet checked in: last either way.
        AttendeeSort::CheckedIn => format!("checked_in_at {d} NULLS LAST, a.name, a.id"),
    }
}

/// An event's lead list (`leads l`; `a`, `t`, `u` joined where a column needs them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadSort {
    Name,
    Tier,
    Score,
    Fit,
    Engagement,
    Stage,
    Topic,
    Owner,
    Deadline,
    Feedback,
}

impl SortColumn for LeadSort {
    const KEYS: &'static [(&'static str, LeadSort)] = &[
        ("name", LeadSort::Name),
        ("tier", LeadSort::Tier),
        ("score", LeadSort::Score),
        ("fit", LeadSort::Fit),
        ("engagement", LeadSort::Engagement),
        ("stage", LeadSort::Stage),
        ("topic", LeadSort::Topic),
        ("owner", LeadSort::Owner),
        ("deadline", LeadSort::Deadline),
        ("feedback", LeadSort::Feedback),
    ];
}

/// Best lead first: tier A before B, then the highest score; the tie-break of every order.
const BEST_FIRST: &str = "l.tier, l.score DESC, l.event_id, l.attendee_id";

/// The purchase stage in its step order ("just learning" last).
fn stage_rank() -> String {
    let whens: String = PurchaseStage::ALL
        .iter()
        .map(|s| format!(" WHEN '{}' THEN {}", s.key(), s.step().unwrap_or(9)))
        .collect();
    format!("CASE l.stage{whens} ELSE 10 END")
}

/// `ORDER BY` of an event's lead list: best first unless asked otherwise.
pub(super) fn lead_order(o: Option<ListOrder<LeadSort>>) -> String {
    let Some(o) = o else {
        return BEST_FIRST.to_owned();
    };
    let d = o.dir.sql();
    match o.column {
        LeadSort::Name => format!("a.name {d}, l.attendee_id"),
        LeadSort::Tier => format!("l.tier {d}, l.score DESC, l.attendee_id"),
        LeadSort::Score => format!("l.score {d}, l.attendee_id"),
        LeadSort::Fit => format!("l.fit {d}, {BEST_FIRST}"),
        LeadSort::Engagement => format!("l.engagement {d}, {BEST_FIRST}"),
        LeadSort::Stage => format!("{} {d}, {BEST_FIRST}", stage_rank()),
        LeadSort::Topic => format!("t.name {d} NULLS LAST, {BEST_FIRST}"),
        LeadSort::Owner => format!("u.username {d} NULLS LAST, {BEST_FIRST}"),
        LeadSort::Deadline => format!("l.due_at {d} NULLS LAST, {BEST_FIRST}"),
        LeadSort::Feedback => format!(
            "(SELECT MAX(sf.at) FROM lead_feedback sf
               WHERE sf.event_id = l.event_id AND sf.attendee_id = l.attendee_id) {d} NULLS LAST,
             {BEST_FIRST}"
        ),
    }
}

/// The joins the page's key query needs for `o` (the list's rows join them anyway).
pub(super) fn lead_order_joins(o: Option<ListOrder<LeadSort>>) -> &'static str {
    match o.map(|o| o.column) {
        Some(LeadSort::Name) => "JOIN attendees a ON a.id = l.attendee_id",
        Some(LeadSort::Topic) => {
            "LEFT JOIN topics t ON t.event_id = l.event_id AND t.slug = l.top_topic"
        }
        Some(LeadSort::Owner) => "LEFT JOIN users u ON u.id = l.owner_id",
        _ => "",
    }
}

/// A salesperson's own leads, across events (`e` is the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedLeadSort {
    Name,
    Event,
    Tier,
    Score,
    Topic,
    Deadline,
    Feedback,
}

impl SortColumn for OwnedLeadSort {
    const KEYS: &'static [(&'static str, OwnedLeadSort)] = &[
        ("name", OwnedLeadSort::Name),
        ("event", OwnedLeadSort::Event),
        ("tier", OwnedLeadSort::Tier),
        ("score", OwnedLeadSort::Score),
        ("topic", OwnedLeadSort::Topic),
        ("deadline", OwnedLeadSort::Deadline),
        ("feedback", OwnedLeadSort::Feedback),
    ];
}

/// Deadlines compared to the minute, as the list shows them, so two leads due at the same
/// shown time keep tier A before tier B.
const DEADLINE_MINUTE: &str = "l.due_at / 60000";

/// `ORDER BY` of a salesperson's list: those awaiting feedback first (`answered`), soonest
/// deadline first, then the best lead, unless asked otherwise.
pub(super) fn owned_order(o: Option<ListOrder<OwnedLeadSort>>) -> String {
    let Some(o) = o else {
        return format!("answered, l.due_at IS NULL, {DEADLINE_MINUTE}, {BEST_FIRST}");
    };
    let d = o.dir.sql();
    match o.column {
        OwnedLeadSort::Name => format!("a.name {d}, l.event_id, l.attendee_id"),
        OwnedLeadSort::Event => format!(
            "e.starts_on {d}, e.id {d}, answered, l.due_at IS NULL, {DEADLINE_MINUTE}, {BEST_FIRST}"
        ),
        OwnedLeadSort::Tier => format!("l.tier {d}, l.score DESC, l.event_id, l.attendee_id"),
        OwnedLeadSort::Score => format!("l.score {d}, l.event_id, l.attendee_id"),
        OwnedLeadSort::Topic => format!("t.name {d} NULLS LAST, {BEST_FIRST}"),
        OwnedLeadSort::Deadline => {
            format!("{DEADLINE_MINUTE} {d} NULLS LAST, {BEST_FIRST}")
        }
        OwnedLeadSort::Feedback => format!(
            "(SELECT MAX(sf.at) FROM lead_feedback sf
               WHERE sf.event_id = l.event_id AND sf.attendee_id = l.attendee_id) {d} NULLS LAST,
             {BEST_FIRST}"
        ),
    }
}

/// The joins the page's key query needs for `o`.
pub(super) fn owned_order_joins(o: Option<ListOrder<OwnedLeadSort>>) -> &'static str {
    match o.map(|o| o.column) {
        Some(OwnedLeadSort::Name) => "JOIN attendees a ON a.id = l.attendee_id",
        Some(OwnedLeadSort::Event) => "JOIN events e ON e.id = l.event_id",
        Some(OwnedLeadSort::Topic) => {
            "LEFT JOIN topics t ON t.event_id = l.event_id AND t.slug = l.top_topic"
        }
        _ => "",
    }
}

/// The due list (`f` the latest feedback, `a`, `e`, `ou` the lead's owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueSort {
    Due,
    Name,
    Event,
    Outcome,
    Owner,
    Recorded,
}

impl SortColumn for DueSort {
    const KEYS: &'static [(&'static str, DueSort)] = &[
        ("due", DueSort::Due),
        ("name", DueSort::Name),
        ("event", DueSort::Event),
        ("outcome", DueSort::Outcome),
        ("owner", DueSort::Owner),
        ("recorded", DueSort::Recorded),
    ];
}

/// `ORDER BY` of the due list: soonest first unless asked otherwise.
pub(super) fn due_order(o: Option<ListOrder<DueSort>>) -> String {
    let Some(o) = o else {
        return "f.next_at, f.id".to_owned();
    };
    let d = o.dir.sql();
    match o.column {
        DueSort::Due => format!("f.next_at {d}, f.id {d}"),
        DueSort::Name => format!("a.name {d}, f.next_at, f.id"),
        DueSort::Event => format!("e.starts_on {d}, e.id {d}, f.next_at, f.id"),
        DueSort::Outcome => format!("f.outcome {d}, f.next_at, f.id"),
        DueSort::Owner => format!("ou.username {d} NULLS LAST, f.next_at, f.id"),
        DueSort::Recorded => format!("f.at {d}, f.id {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_columns_sort_and_anything_but_desc_is_ascending() {
        assert_eq!(
            ListOrder::<AttendeeSort>::from_query("company", "desc"),
            Some(ListOrder {
                column: AttendeeSort::Company,
                dir: Dir::Desc
            })
        );
        assert_eq!(
            ListOrder::<AttendeeSort>::from_query("name", "sideways").map(|o| o.dir),
            Some(Dir::Asc)
        );
        assert_eq!(
            ListOrder::<AttendeeSort>::from_query("a.name; DROP TABLE attendees", "asc"),
            None
        );
        assert_eq!(attendee_order(None), "a.name, a.id");
        for (key, c) in LeadSort::KEYS {
            assert_eq!(c.key(), *key);
        }
    }

    #[test]
    fn every_order_ends_with_a_unique_key() {
        for (_, c) in AttendeeSort::KEYS {
            for dir in [Dir::Asc, Dir::Desc] {
                let o = attendee_order(Some(ListOrder { column: *c, dir }));
                assert!(o.contains("a.id"), "{o}");
            }
        }
        for (_, c) in LeadSort::KEYS {
            let o = lead_order(Some(ListOrder {
                column: *c,
                dir: Dir::Desc,
            }));
            assert!(o.ends_with("l.attendee_id"), "{o}");
        }
        for (_, c) in OwnedLeadSort::KEYS {
            let o = owned_order(Some(ListOrder {
                column: *c,
                dir: Dir::Asc,
            }));
            assert!(o.ends_with("l.attendee_id"), "{o}");
        }
        for (_, c) in DueSort::KEYS {
            let o = due_order(Some(ListOrder {
                column: *c,
                dir: Dir::Asc,
            }));
            assert!(o.contains("f.id"), "{o}");
        }
    }

    #[test]
    fn the_stage_sorts_in_step_order() {
        let rank = stage_rank();
        assert!(rank.starts_with("CASE l.stage WHEN '"), "{rank}");
        assert!(rank.contains("THEN 1"), "{rank}");
    }
}
