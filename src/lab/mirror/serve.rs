//! The mirror's HTTP server: a std::net listener thread serving files under a root, one thread
//! per connection, keep-alive, GET and HEAD. Every request is logged (`GET /path`) so tests can
//! count downloads. Paths under `/private/` need the header `X-Hearth-Token: letmein` and paths
//! under `/auth/` basic auth `hearth:s3cret` (the get_url tests use them). It is a lab fixture:
//! no TLS, no ranges, no directory listings, and it lives as long as the process that started it.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;

use crate::lab::LabError;

/// Request lines seen (`GET /path`), shared by every listener of one mirror.
pub type RequestLog = Arc<Mutex<Vec<String>>>;

/// Starts serving `root` on `bind` (any free port); returns the base URL `http://bind:port`.
pub fn serve(bind: &str, root: PathBuf, requests: RequestLog) -> Result<String, LabError> {
    let listener = TcpListener::bind((bind, 0))
        .map_err(|e| LabError::Spawn { command: format!("the package mirror on {bind}"), source: e })?;
    let port = listener
        .local_addr()
        .map_err(|e| LabError::Spawn { command: format!("the package mirror on {bind}"), source: e })?
        .port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (root, requests) = (root.clone(), requests.clone());
            std::thread::spawn(move || {
                let _ = handle(stream, &root, &requests);
            });
        }
    });
    Ok(format!("http://{bind}:{port}"))
}

/// One request's head: method, decoded path, headers.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads a request head; `None` at the end of the connection.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/");
    let path = percent_decode(target.split('?').next().unwrap_or("/"));
    Ok(Some(Request { method, path, headers }))
}

/// Status and body for a request (access rules, then the file under `root`).
fn respond(req: &Request, root: &Path) -> (&'static str, Vec<u8>) {
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("hearth:s3cret"));
    if req.path.split('/').any(|s| s == "..") {
        ("403 Forbidden", Vec::new())
    } else if req.path.starts_with("/private/") && req.header("X-Hearth-Token") != Some("letmein") {
        ("403 Forbidden", b"missing token\n".to_vec())
    } else if req.path.starts_with("/auth/") && req.header("Authorization") != Some(basic.as_str()) {
        ("401 Unauthorized", b"auth required\n".to_vec())
    } else {
        match fs::read(root.join(req.path.trim_start_matches('/'))) {
            Ok(b) => ("200 OK", b),
            Err(_) => ("404 Not Found", b"not found\n".to_vec()),
        }
    }
}

fn handle(mut stream: TcpStream, root: &Path, requests: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    while let Some(req) = read_request(&mut reader)? {
        if let Ok(mut log) = requests.lock() {
            log.push(format!("{} {}", req.method, req.path));
        }
        let close = req.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let (status, body) = respond(&req, root);
        let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
        if status.starts_with("401") {
            head.push_str("WWW-Authenticate: Basic realm=\"hearth\"\r\n");
        }
        head.push_str(if close { "Connection: close\r\n\r\n" } else { "\r\n" });
        stream.write_all(head.as_bytes())?;
        if req.method != "HEAD" {
            stream.write_all(&body)?;
        }
        if close {
            return Ok(());
        }
    }
    Ok(())
}

/// `%2b` → `+` (apt escapes `+` and `~` in pool file names); a stray `%` stays.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded_and_stray_percents_kept() {
        assert_eq!(percent_decode("/pool/runc_1.1.5%2bds1-1%7e1.deb"), "/pool/runc_1.1.5+ds1-1~1.deb");
        assert_eq!(percent_decode("/a%zz%2"), "/a%zz%2");
    }

    fn req(path: &str, headers: &[(&str, &str)]) -> Request {
        let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Request { method: "GET".into(), path: path.into(), headers }
    }

    #[test]
    fn access_rules_come_before_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("private")).unwrap();
        std::fs::write(dir.path().join("private/f"), "secret").unwrap();
        std::fs::write(dir.path().join("f"), "open").unwrap();
        assert_eq!(respond(&req("/f", &[]), dir.path()), ("200 OK", b"open".to_vec()));
        assert_eq!(respond(&req("/../etc/passwd", &[]), dir.path()).0, "403 Forbidden");
        assert_eq!(respond(&req("/private/f", &[]), dir.path()).0, "403 Forbidden");
        let ok = respond(&req("/private/f", &[("x-hearth-token", "letmein")]), dir.path());
        assert_eq!(ok, ("200 OK", b"secret".to_vec()));
        assert_eq!(respond(&req("/auth/f", &[]), dir.path()).0, "401 Unauthorized");
        assert_eq!(respond(&req("/nope", &[]), dir.path()).0, "404 Not Found");
    }

    #[test]
    fn request_heads_are_parsed_with_their_headers() {
        let text = "GET /dists/x%2by?q=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        let r = read_request(&mut text.as_bytes()).unwrap().unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/dists/x+y"));
        assert_eq!(r.header("connection"), Some("close"));
        assert!(read_request(&mut "".as_bytes()).unwrap().is_none());
    }
}
