//! The tests' HTTP doubles run on the lab's small HTTP/1.1 server (`hearth::lab::http`), the
//! same one the package mirror uses; this only adapts its errors to test panics.

pub use hearth::lab::http::{HttpRequest, HttpResponse, form_pairs};

/// Serves `handler` on `bind` (any port); returns the base URL `http://bind:port`.
pub fn serve(bind: &str, handler: hearth::lab::http::Handler) -> String {
    hearth::lab::http::serve(bind, handler).expect("bind a test HTTP server")
}
