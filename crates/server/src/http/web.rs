//! The browser client, embedded from `web/` so the binary runs from any directory (in
//! debug builds too: `build.rs` rebuilds when `web/` changes): `web/X` is served at
//! `/X`, a folder at its `index.html`; `/` leads to the console.

use super::error::ApiError;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Assets;

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/",
            axum::routing::get(|| async { Redirect::to("/console/") }),
        )
        // The client page, at the short address the invitation SMS carries (/d/91951413);
        // the page reads the meeting number from its own path.
        .route("/d", axum::routing::get(client_page))
        .route("/d/", axum::routing::get(client_page))
        .route("/d/{number}", axum::routing::get(client_page))
        // The participant's client: join, court rules, waiting room, hearing room. A
        // personal link (/join/91951413) fills in the meeting number.
        .route("/join", axum::routing::get(join_page))
        .route("/join/", axum::routing::get(join_page))
        .route("/join/{number}", axum::routing::get(join_page))
}

async fn client_page(uri: Uri, request_headers: HeaderMap) -> Response {
    page_or_file("/client/index.html", uri, request_headers).await
}

async fn join_page(uri: Uri, request_headers: HeaderMap) -> Response {
    page_or_file("/join/index.html", uri, request_headers).await
}

/// The page for `/x`, `/x/` and `/x/{meeting number}`; any other `/x/…` is a file of
/// the page's folder (its script, say), served as such.
async fn page_or_file(page: &'static str, uri: Uri, request_headers: HeaderMap) -> Response {
    let last = uri.path().rsplit('/').next().unwrap_or_default();
    if last.is_empty() || last.bytes().all(|b| b.is_ascii_digit()) || !uri.path()[1..].contains('/')
    {
        fallback(Uri::from_static(page), request_headers).await
    } else {
        fallback(uri, request_headers).await
    }
}

/// Serves an embedded file, or a clear 404 (a problem for API paths).
pub async fn fallback(uri: Uri, request_headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "接口不存在",
            format!("No API endpoint at /{path}"),
        )
        .into_response();
    }
    let file = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    match Assets::get(&file) {
        Some(content) => {
            let etag = format!("\"{}\"", hex::encode(content.metadata.sha256_hash()));
            let unchanged = request_headers
                .get(header::IF_NONE_MATCH)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
            if unchanged {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            let mime = mime_guess::from_path(&file).first_or_octet_stream();
            // Text is UTF-8 (Chinese labels); say so rather than leave browsers to guess.
            let content_type =
                if mime.type_() == mime_guess::mime::TEXT || mime.subtype() == "javascript" {
                    format!("{mime}; charset=utf-8")
                } else {
                    mime.to_string()
                };
            let mut response = content.data.into_response();
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            // Revalidate every time: the client is small and must never be stale after
            // an upgrade.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(etag) = HeaderValue::from_str(&etag) {
                headers.insert(header::ETAG, etag);
            }
            response
        }
        // A folder without its slash: /console → /console/.
        None if Assets::get(&format!("{path}/index.html")).is_some() => {
            Redirect::permanent(&format!("/{path}/")).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "404 页面不存在 / Not found",
        )
            .into_response(),
    }
}
