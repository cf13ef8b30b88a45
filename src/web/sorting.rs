//! Column headers that sort a list: each a link to the same list sorted by its column
//! (ascending first, the other way round when it already is), the current one marked with
//! `aria-sort`. Lists read `?sort=&dir=` into the store's `ListOrder`.

use crate::store::list_order::{Dir, ListOrder, SortColumn};

/// One column header of a sortable table.
pub struct SortHeader {
    pub label: String,
    /// Where clicking it goes; empty for a column that does not sort.
    pub href: String,
    /// `ascending` or `descending` on the sorted column, else empty.
    pub aria: &'static str,
    /// ▲ or ▼ beside the sorted column's label.
    pub arrow: &'static str,
    /// The header cell's class (`num` for figures), may be empty.
    pub class: &'static str,
}

/// One column of a list: the column it sorts by (none: it does not sort), its label, its
/// cell class.
pub struct Column<C> {
    pub sort: Option<C>,
    pub label: String,
    pub class: &'static str,
}

impl<C> Column<C> {
    pub fn by(sort: C, label: impl Into<String>) -> Column<C> {
        Column {
            sort: Some(sort),
            label: label.into(),
            class: "",
        }
    }

    pub fn num(sort: C, label: impl Into<String>) -> Column<C> {
        Column {
            class: "num",
            ..Column::by(sort, label)
        }
    }

    pub fn plain(label: impl Into<String>) -> Column<C> {
        Column {
            sort: None,
            label: label.into(),
            class: "",
        }
    }
}

/// Sorts a list read whole (a few dozen rows) in memory: by `key`, in `dir`, ties kept in
/// the order they came.
pub fn sort_rows<T, K: Ord>(rows: &mut [T], dir: Dir, key: impl Fn(&T) -> K) {
    rows.sort_by(|a, b| {
        let o = key(a).cmp(&key(b));
        match dir {
            Dir::Asc => o,
            Dir::Desc => o.reverse(),
        }
    });
}

/// The query pairs that keep a list in `order`, for its other links (pages, filters).
pub fn order_pairs<C: SortColumn>(
    order: Option<ListOrder<C>>,
) -> Vec<(&'static str, &'static str)> {
    match order {
        Some(o) => vec![("sort", o.column.key()), ("dir", o.dir.as_str())],
        None => Vec::new(),
    }
}

/// `path` with `pairs` as its query string (empty values left out).
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    let q = q.finish();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// The headers of a list at `path` whose other query pairs are `keep` (filters, search; the
/// page goes back to the first), sorted by `current`.
pub fn headers<C: SortColumn>(
    path: &str,
    keep: &[(&str, &str)],
    current: Option<ListOrder<C>>,
    columns: Vec<Column<C>>,
) -> Vec<SortHeader> {
    columns
        .into_iter()
        .map(|c| {
            let Some(col) = c.sort else {
                return SortHeader {
                    label: c.label,
                    href: String::new(),
                    aria: "",
                    arrow: "",
                    class: c.class,
                };
            };
            let now = current.filter(|o| o.column == col).map(|o| o.dir);
            let next = now.map_or(Dir::Asc, Dir::flip);
            let mut pairs: Vec<(&str, &str)> = keep.to_vec();
            pairs.push(("sort", col.key()));
            pairs.push(("dir", next.as_str()));
            SortHeader {
                label: c.label,
                href: link(path, &pairs),
                aria: match now {
                    Some(Dir::Asc) => "ascending",
                    Some(Dir::Desc) => "descending",
                    None => "",
                },
                arrow: match now {
                    Some(Dir::Asc) => " ▲",
                    Some(Dir::Desc) => " ▼",
                    None => "",
                },
                class: c.class,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::list_order::AttendeeSort;

    #[test]
    fn the_sorted_column_says_so_and_links_to_the_other_direction() {
        let current = ListOrder::from_query("company", "asc");
        let h = headers(
            "/admin/events/x",
            &[("q", "a&b")],
            current,
            vec![
                Column::by(AttendeeSort::Name, "Name"),
                Column::by(AttendeeSort::Company, "Company"),
                Column::plain("Notes"),
            ],
        );
        assert_eq!(h[0].href, "/admin/events/x?q=a%26b&sort=name&dir=asc");
        assert_eq!(h[0].aria, "");
        assert_eq!(h[1].href, "/admin/events/x?q=a%26b&sort=company&dir=desc");
        assert_eq!(h[1].aria, "ascending");
        assert!(h[2].href.is_empty());
        assert_eq!(
            order_pairs(current),
            vec![("sort", "company"), ("dir", "asc")]
        );
        assert_eq!(link("/p", &[("q", "")]), "/p");
    }
}
