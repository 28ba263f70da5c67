//! The shared parts of the `/stats` and `/daily` pages: their style sheet and their script for
//! data requests (which sends the API token), spliced into each page once, so each page is still
//! one self-contained HTML document and neither copies the other.
//!
//! Owns the splicing only; each page's content is in `assets/<page>/index.html`.

use std::sync::OnceLock;

/// The style sheet both pages use, in place of `/*PAGE_STYLE*/`.
const PAGE_STYLE: &str = include_str!("../../assets/pages/style.css");

/// The script both pages use, in place of `/*PAGE_API*/`.
const PAGE_API: &str = include_str!("../../assets/pages/api.js");

/// `page` with the shared style and script spliced in, computed once into `cell`.
pub fn assembled(cell: &'static OnceLock<String>, page: &str) -> &'static str {
    cell.get_or_init(|| {
        page.replace("/*PAGE_STYLE*/", PAGE_STYLE)
            .replace("/*PAGE_API*/", PAGE_API)
    })
}
