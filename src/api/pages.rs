//! The shared parts of the pages: the `/stats` and `/daily` pages' style sheet and their script
//! for data requests (which sends the API token), and the viewer's and player's script that
//! passes the token on in what they load, spliced into each page once, so each page is still one
//! self-contained HTML document and none copies another.
//!
//! Owns the splicing only; each page's content is in `assets/<page>/index.html`.

use std::sync::OnceLock;

/// The style sheet both pages use, in place of `/*PAGE_STYLE*/`.
const PAGE_STYLE: &str = include_str!("../../assets/pages/style.css");

/// The script both pages use, in place of `/*PAGE_API*/`.
const PAGE_API: &str = include_str!("../../assets/pages/api.js");

/// The script the viewer and player use, in place of `/*PAGE_TOKEN*/`.
const PAGE_TOKEN: &str = include_str!("../../assets/pages/token.js");

/// `page` with the shared style and scripts spliced in, computed once into `cell`.
pub fn assembled(cell: &'static OnceLock<String>, page: &str) -> &'static str {
    cell.get_or_init(|| {
        page.replace("/*PAGE_STYLE*/", PAGE_STYLE)
            .replace("/*PAGE_API*/", PAGE_API)
            .replace("/*PAGE_TOKEN*/", PAGE_TOKEN)
    })
}
