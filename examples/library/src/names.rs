//! What clients send to find resources: the names `shelves/<n>` and `shelves/<n>/books/<m>`
//! (`n`, `m` decimal, written as the server writes them) and page tokens.

use std::collections::BTreeMap;

use tonic::Status;

/// The page size when a list request asks for none.
const DEFAULT_PAGE_SIZE: usize = 10;
/// The most items one page holds.
const MAX_PAGE_SIZE: usize = 1000;

/// The name of shelf `id`.
pub(crate) fn shelf(id: u64) -> String {
    format!("shelves/{id}")
}

/// The name of book `book` on shelf `shelf`.
pub(crate) fn book(shelf: u64, book: u64) -> String {
    format!("shelves/{shelf}/books/{book}")
}

/// The shelf id of `name`, `shelves/<n>`.
pub(crate) fn parse_shelf(name: &str) -> Result<u64, Status> {
    match name.split('/').collect::<Vec<_>>()[..] {
        ["shelves", id] => id_of(id).ok_or_else(|| malformed(name, "shelves/<n>")),
        _ => Err(malformed(name, "shelves/<n>")),
    }
}

/// The shelf and book ids of `name`, `shelves/<n>/books/<m>`.
pub(crate) fn parse_book(name: &str) -> Result<(u64, u64), Status> {
    let pattern = "shelves/<n>/books/<m>";
    match name.split('/').collect::<Vec<_>>()[..] {
        ["shelves", shelf, "books", book] => id_of(shelf).zip(id_of(book)).ok_or_else(|| malformed(name, pattern)),
        _ => Err(malformed(name, pattern)),
    }
}

/// A decimal id as the server writes them (no sign, no leading zero).
fn id_of(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|id| id.to_string() == text)
}

fn malformed(name: &str, pattern: &str) -> Status {
    Status::invalid_argument(format!("{name:?} is not a name of the form {pattern}"))
}

/// One page of `items` (in id order) from `token` (empty: the first page) of at most `size`
/// items (0: the default), and the token of the next page (empty: this was the last).
pub(crate) fn page<T: Clone>(items: &BTreeMap<u64, T>, size: i32, token: &str) -> Result<(Vec<T>, String), Status> {
    let size = match usize::try_from(size) {
        Ok(0) => DEFAULT_PAGE_SIZE,
        Ok(size) => size.min(MAX_PAGE_SIZE),
        Err(_) => return Err(Status::invalid_argument(format!("page_size {size} is negative"))),
    };
    let start = match token {
        "" => 0,
        token => id_of(token).ok_or_else(|| Status::invalid_argument(format!("page_token {token:?} is not ours")))?,
    };
    let mut rest = items.range(start..);
    let page = rest.by_ref().take(size).map(|(_, item)| item.clone()).collect();
    let next = rest.next().map(|(id, _)| id.to_string()).unwrap_or_default();
    Ok((page, next))
}
