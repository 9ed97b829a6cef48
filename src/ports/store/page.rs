//! Pagination of list queries, with upstream's rules (api.md §1.0): `page` below 1 means 1, and
//! `per_page` below 1 or above 50 means 50, so no caller can ask for more than 50 rows.

use std::future::Future;

use crate::ports::store::StoreError;

/// One page of a list: which page (from 1) and how many rows per page (1..=50).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    page: i64,
    per_page: i64,
}

impl Page {
    /// Most rows a page holds, and the default page size.
    pub const MAX_PER_PAGE: i64 = 50;

    /// A page from raw query values, clamped as upstream does.
    pub fn new(page: i64, per_page: i64) -> Self {
        let per_page =
            if (1..=Self::MAX_PER_PAGE).contains(&per_page) { per_page } else { Self::MAX_PER_PAGE };
        Self { page: page.max(1), per_page }
    }

    /// The page number, from 1.
    pub fn page(self) -> i64 {
        self.page
    }

    /// Rows per page, 1..=50.
    pub fn per_page(self) -> i64 {
        self.per_page
    }

    /// SQL `LIMIT`.
    pub fn limit(self) -> i64 {
        self.per_page
    }

    /// SQL `OFFSET`; saturates for absurd page numbers (found by schemathesis: `page=5e18`
    /// overflowed), which then read an empty page.
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

impl Default for Page {
    /// The first page of 50.
    fn default() -> Self {
        Self::new(1, Self::MAX_PER_PAGE)
    }
}

/// Every row of a paged listing, fetched page by page until a short page ends it.
///
/// # Errors
/// The first failing page's error.
pub async fn every_page<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let mut all = Vec::new();
    for n in 1.. {
        let rows = fetch(Page::new(n, Page::MAX_PER_PAGE)).await?;
        let last = rows.len() < Page::MAX_PER_PAGE as usize;
        all.extend(rows);
        if last {
            break;
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_clamped_like_upstream() {
        assert_eq!(Page::new(0, 0), Page::new(1, 50));
        assert_eq!(Page::new(-3, 500).per_page(), 50);
        assert_eq!(Page::new(-3, 500).page(), 1);
        assert_eq!(Page::new(2, 51).per_page(), 50);
    }

    #[test]
    fn limit_and_offset_follow_page_and_size() {
        let p = Page::new(3, 20);
        assert_eq!((p.limit(), p.offset()), (20, 40));
        assert_eq!(Page::default().offset(), 0);
        assert_eq!(Page::new(i64::MAX, 50).offset(), i64::MAX);
    }
}
