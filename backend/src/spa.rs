use std::path::Path;

use tower_http::services::{ServeDir, ServeFile};

/// The built portal: static files (pre-compressed variants preferred when present), and
/// `index.html` for any other path so client-side routes survive a reload.
pub fn service(dist: &Path) -> ServeDir<ServeFile> {
    ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(ServeFile::new(dist.join("index.html")))
}
