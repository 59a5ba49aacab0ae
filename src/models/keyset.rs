//! Keyset pages for lists that grow with the ledger: a page is "the rows after (or before) this
//! sort key", never an OFFSET over a large table, and a total is counted only up to a cap.
//!
//! A list's sort key is written into its links as text (`?after=…`, `?before=…`); each list
//! says how its key reads and writes. `?last=1` is the far end (the oldest rows). A key that no
//! longer matches a row still orders: the page starts at the nearest row after it.
//!
//! "After (k, id)" is written `k <= key AND (k < key OR id < id)`, not `k < key OR (k = key AND
//! id < id)`: the same rows, but the first clause is a range both planners start the index walk
//! at, where the OR alone had them walk from the top of the list to the key.

/// Totals beyond this are shown as "more than 10,000": counting 400,000 rows to show 50 is
/// the cost this avoids.
pub const COUNT_CAP: i64 = 10_000;

/// Which rows a request asks for, as read from the query string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Seek {
    /// The first page.
    #[default]
    First,
    /// The rows after this key, in the list's order.
    After(String),
    /// The rows before this key, in the list's order.
    Before(String),
    /// The last page.
    Last,
}

impl Seek {
    /// From the query string's `after`, `before` and `last`; anything else (an old `?page=`
    /// link included) is the first page.
    pub fn from_params(after: Option<&str>, before: Option<&str>, last: Option<&str>) -> Seek {
        let clean = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty() && s.len() <= 200).map(str::to_string);
        if let Some(key) = clean(after) {
            Seek::After(key)
        } else if let Some(key) = clean(before) {
            Seek::Before(key)
        } else if last.is_some_and(|v| v == "1") {
            Seek::Last
        } else {
            Seek::First
        }
    }

    /// True when rows are read against the list's order (the page is reversed afterwards).
    pub fn backwards(&self) -> bool {
        matches!(self, Seek::Before(_) | Seek::Last)
    }
}

/// How many rows match: exact up to the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    MoreThan(i64),
    /// Not counted: only an unindexed read of every row could (a text search); the page itself
    /// stops once it is full.
    Uncounted,
}

impl Total {
    /// From a count of at most `COUNT_CAP + 1` rows.
    pub fn from_capped(n: i64) -> Total {
        if n > COUNT_CAP {
            Total::MoreThan(COUNT_CAP)
        } else {
            Total::Exact(n)
        }
    }
}

/// `SELECT COUNT(*) FROM (<rows> LIMIT COUNT_CAP + 1)`: the database counts up to the cap and
/// answers one number, where loading the ids brought up to 10,001 rows to the server.
pub fn capped_count<Q>(rows: Q) -> CappedCount<diesel::dsl::Limit<Q>>
where
    Q: diesel::query_dsl::methods::LimitDsl,
{
    CappedCount { rows: rows.limit(COUNT_CAP + 1) }
}

/// The query `capped_count` builds.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct CappedCount<Q> {
    rows: Q,
}

impl<Q> diesel::query_builder::Query for CappedCount<Q> {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for CappedCount<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.rows.walk_ast(out.reborrow())?;
        out.push_sql(") capped");
        Ok(())
    }
}

impl<Q, C> diesel::query_dsl::RunQueryDsl<C> for CappedCount<Q> {}

impl Total {
    /// Counts `rows` up to the cap, in the database.
    pub fn count<Q>(conn: &mut crate::db::DbConn, rows: Q) -> diesel::QueryResult<Total>
    where
        Q: diesel::query_dsl::methods::LimitDsl,
        CappedCount<diesel::dsl::Limit<Q>>: diesel::query_dsl::LoadQuery<'static, crate::db::DbConn, i64>,
    {
        use diesel::RunQueryDsl;
        Ok(Total::from_capped(capped_count(rows).get_result::<i64>(conn)?))
    }
}

/// One page of a keyset list, with the keys its links carry.
#[derive(Debug, Clone)]
pub struct Window<T> {
    pub rows: Vec<T>,
    pub total: Total,
    /// `?before=` for the page before this one, when there is one.
    pub newer: Option<String>,
    /// `?after=` for the page after this one, when there is one.
    pub older: Option<String>,
}

impl<T> Window<T> {
    /// Builds a page from up to `per_page + 1` rows read in the seek's direction (the extra row
    /// only says there is more).
    pub fn from_rows(
        mut rows: Vec<T>,
        per_page: usize,
        seek: &Seek,
        total: Total,
        key: impl Fn(&T) -> String,
    ) -> Window<T> {
        let more = rows.len() > per_page;
        rows.truncate(per_page);
        if seek.backwards() {
            rows.reverse();
        }
        Window::from_page(rows, more, seek, total, key)
    }

    /// Builds a page from its rows in the list's order, `more` saying whether rows lie beyond
    /// it in the direction the seek read.
    pub fn from_page(rows: Vec<T>, more: bool, seek: &Seek, total: Total, key: impl Fn(&T) -> String) -> Window<T> {
        let first_key = rows.first().map(&key);
        let last_key = rows.last().map(&key);
        let (has_newer, has_older) = match seek {
            Seek::First => (false, more),
            Seek::After(_) => (true, more),
            Seek::Before(_) => (more, true),
            Seek::Last => (more, false),
        };
        Window { newer: first_key.filter(|_| has_newer), older: last_key.filter(|_| has_older), rows, total }
    }

    /// True when this is not the first page.
    pub fn has_newer(&self) -> bool {
        self.newer.is_some()
    }
}

/// A key of a timestamp and an id: `2006-11-25T10:00:00.123456~1234`.
pub fn timestamp_key(at: chrono::NaiveDateTime, id: impl std::fmt::Display) -> String {
    format!("{}~{id}", at.format("%Y-%m-%dT%H:%M:%S%.6f"))
}

pub fn parse_timestamp_key(raw: &str) -> Option<(chrono::NaiveDateTime, i32)> {
    let (at, id) = raw.split_once('~')?;
    let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some((at, id.parse().ok()?))
}

/// A key of a date and an id: `2005-04-29~35`.
pub fn date_key(on: chrono::NaiveDate, id: impl std::fmt::Display) -> String {
    format!("{}~{id}", on.format("%Y-%m-%d"))
}

pub fn parse_date_key(raw: &str) -> Option<(chrono::NaiveDate, i32)> {
    let (on, id) = raw.split_once('~')?;
    let on = chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d").ok()?;
    Some((on, id.parse().ok()?))
}

/// A key of a text and an id (a reference, a status): `SH-001046~1046`. The text is the part
/// before the last `~`, so it may itself hold one.
pub fn text_key(text: &str, id: impl std::fmt::Display) -> String {
    format!("{text}~{id}")
}

pub fn parse_text_key(raw: &str) -> Option<(String, i32)> {
    let (text, id) = raw.rsplit_once('~')?;
    Some((text.to_string(), id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks a sorted list of keys (with ties broken by position) page by page, as the links
    /// would, and gives the rows met.
    fn walk(items: &[i32], per_page: usize, backwards: bool) -> Vec<i32> {
        // Rows are (value, position); the key is the position, as an id would be.
        let read = |seek: &Seek| -> Vec<usize> {
            let mut idx: Vec<usize> = (0..items.len()).collect();
            idx.sort_by_key(|&i| (items[i], i));
            let pos = |k: &str| idx.iter().position(|&i| i.to_string() == k).expect("key");
            match seek {
                Seek::First => idx.into_iter().take(per_page + 1).collect(),
                Seek::After(k) => idx[pos(k) + 1..].iter().copied().take(per_page + 1).collect(),
                Seek::Before(k) => idx[..pos(k)].iter().rev().copied().take(per_page + 1).collect(),
                Seek::Last => idx.iter().rev().copied().take(per_page + 1).collect(),
            }
        };
        let mut met = Vec::new();
        let mut seek = if backwards { Seek::Last } else { Seek::First };
        for _ in 0..items.len() + 2 {
            let w = Window::from_rows(read(&seek), per_page, &seek, Total::Exact(0), |i| i.to_string());
            if backwards {
                met.splice(0..0, w.rows.iter().map(|&i| items[i]));
                match w.newer {
                    Some(k) => seek = Seek::Before(k),
                    None => return met,
                }
            } else {
                met.extend(w.rows.iter().map(|&i| items[i]));
                match w.older {
                    Some(k) => seek = Seek::After(k),
                    None => return met,
                }
            }
        }
        panic!("the walk did not end");
    }

    #[test]
    fn walks_meet_every_row_once_both_ways_with_ties() {
        // A small deterministic generator: lists of 0..120 rows with many ties.
        let mut state: u64 = 7;
        for len in 0..120usize {
            let items: Vec<i32> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((state >> 33) % 5) as i32
                })
                .collect();
            let mut sorted = items.clone();
            sorted.sort();
            for per_page in [1, 3, 10, 50] {
                assert_eq!(walk(&items, per_page, false), sorted, "forwards, {len} rows, {per_page} a page");
                assert_eq!(walk(&items, per_page, true), sorted, "backwards, {len} rows, {per_page} a page");
            }
        }
    }

    #[test]
    fn keys_read_back() {
        let at = chrono::NaiveDate::from_ymd_opt(2006, 11, 25).unwrap().and_hms_micro_opt(10, 0, 0, 123456).unwrap();
        assert_eq!(parse_timestamp_key(&timestamp_key(at, 12)), Some((at, 12)));
        let on = chrono::NaiveDate::from_ymd_opt(2005, 4, 29).unwrap();
        assert_eq!(parse_date_key(&date_key(on, 35)), Some((on, 35)));
        assert_eq!(parse_text_key(&text_key("SH~1", 3)), Some(("SH~1".to_string(), 3)));
        assert_eq!(parse_date_key("2005-02-30~1"), None);
        assert_eq!(parse_timestamp_key("nonsense"), None);
    }

    #[test]
    fn old_page_links_land_on_the_first_page() {
        assert_eq!(Seek::from_params(None, None, None), Seek::First);
        assert_eq!(Seek::from_params(Some(""), None, Some("0")), Seek::First);
        assert_eq!(Seek::from_params(Some("k~1"), Some("j~2"), None), Seek::After("k~1".into()));
        assert_eq!(Seek::from_params(None, None, Some("1")), Seek::Last);
    }
}
