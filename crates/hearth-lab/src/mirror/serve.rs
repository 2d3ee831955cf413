//! The mirror's files over `lab::http`: one handler serving the files under a root, GET and
//! HEAD. Every request is logged (`GET /path`) so tests can count downloads. Paths under
//! `/private/` need the header `X-Hearth-Token: letmein` and paths under `/auth/` basic auth
//! `hearth:s3cret` (the get_url tests use them). A lab fixture: no ranges, no directory listings.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;

use crate::error::LabError;
use crate::http::{self, HttpRequest, HttpResponse};

/// Request lines seen (`GET /path`), shared by every listener of one mirror.
pub type RequestLog = Arc<Mutex<Vec<String>>>;

/// Starts serving `root` on `bind` (any free port); returns the base URL `http://bind:port`.
pub fn serve(bind: &str, root: PathBuf, requests: RequestLog) -> Result<String, LabError> {
    let handler = Arc::new(move |req: &HttpRequest| {
        let path = http::percent_decode(&req.path);
        if let Ok(mut log) = requests.lock() {
            log.push(format!("{} {path}", req.method));
        }
        respond(req, &path, &root)
    });
    http::serve(bind, handler)
        .map_err(|e| LabError::Spawn { command: format!("the package mirror on {bind}"), source: e })
}

/// The answer to a request for the decoded `path`: access rules, then the file under `root`.
fn respond(req: &HttpRequest, path: &str, root: &Path) -> HttpResponse {
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("hearth:s3cret"));
    if path.split('/').any(|s| s == "..") {
        HttpResponse::new("403 Forbidden", Vec::new())
    } else if path.starts_with("/private/") && req.header("X-Hearth-Token") != Some("letmein") {
        HttpResponse::new("403 Forbidden", "missing token\n")
    } else if path.starts_with("/auth/") && req.header("Authorization") != Some(basic.as_str()) {
        let mut r = HttpResponse::new("401 Unauthorized", "auth required\n");
        r.headers.push(("WWW-Authenticate".into(), "Basic realm=\"hearth\"".into()));
        r
    } else {
        match fs::read(root.join(path.trim_start_matches('/'))) {
            Ok(b) => HttpResponse::new("200 OK", b),
            Err(_) => HttpResponse::new("404 Not Found", "not found\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        HttpRequest { method: "GET".into(), path: path.into(), query: String::new(), headers, body: vec![] }
    }

    fn status_and_body(path: &str, headers: &[(&str, &str)], root: &Path) -> (&'static str, Vec<u8>) {
        let r = respond(&req(path, headers), path, root);
        (r.status, r.body)
    }

    #[test]
    fn access_rules_come_before_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("private")).unwrap();
        std::fs::write(dir.path().join("private/f"), "secret").unwrap();
        std::fs::write(dir.path().join("f"), "open").unwrap();
        assert_eq!(status_and_body("/f", &[], dir.path()), ("200 OK", b"open".to_vec()));
        assert_eq!(status_and_body("/../etc/passwd", &[], dir.path()).0, "403 Forbidden");
        assert_eq!(status_and_body("/private/f", &[], dir.path()).0, "403 Forbidden");
        let ok = status_and_body("/private/f", &[("x-hearth-token", "letmein")], dir.path());
        assert_eq!(ok, ("200 OK", b"secret".to_vec()));
        assert_eq!(status_and_body("/auth/f", &[], dir.path()).0, "401 Unauthorized");
        assert_eq!(status_and_body("/nope", &[], dir.path()).0, "404 Not Found");
    }
}
