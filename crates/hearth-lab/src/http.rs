//! A tiny HTTP/1.1 server for lab fixtures: the package mirror and the tests' doubles (GitLab's
//! REST API). One thread per connection, keep-alive, request bodies by Content-Length; the
//! handler sees a parsed request and returns status, headers and body. Not a general server: no
//! TLS, no chunked request bodies, and it lives as long as the process that started it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// One request as the handler sees it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Path without the query, as sent (percent-escapes kept; see [`percent_decode`]).
    pub path: String,
    /// The query string (without `?`).
    pub query: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<String> {
        form_pairs(&self.query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// What the handler answers.
pub struct HttpResponse {
    /// Status line after the version, e.g. `200 OK`.
    pub status: &'static str,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body (not sent for HEAD).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a body and no extra headers.
    pub fn new(status: &'static str, body: impl Into<Vec<u8>>) -> HttpResponse {
        HttpResponse { status, headers: Vec::new(), body: body.into() }
    }

    /// A JSON response.
    pub fn json(status: &'static str, v: &serde_json::Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
        }
    }
}

/// The handler: called once per request, from the connection's thread.
pub type Handler = Arc<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>;

/// Serves on `bind` (any free port); returns the base URL `http://bind:port`.
pub fn serve(bind: &str, handler: Handler) -> std::io::Result<String> {
    let listener = TcpListener::bind((bind, 0))?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || {
                let _ = connection(stream, &handler);
            });
        }
    });
    Ok(format!("http://{bind}:{port}"))
}

fn connection(mut stream: TcpStream, handler: &Handler) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    while let Some(mut req) = read_head(&mut reader)? {
        if req.header("Expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let len: usize = req.header("Content-Length").and_then(|l| l.parse().ok()).unwrap_or(0);
        req.body = vec![0; len];
        reader.read_exact(&mut req.body)?;
        let close = req.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let resp = handler(&req);
        let mut head = format!("HTTP/1.1 {}\r\nContent-Length: {}\r\n", resp.status, resp.body.len());
        for (k, v) in &resp.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(if close { "Connection: close\r\n\r\n" } else { "\r\n" });
        stream.write_all(head.as_bytes())?;
        if req.method != "HEAD" {
            stream.write_all(&resp.body)?;
        }
        if close {
            return Ok(());
        }
    }
    Ok(())
}

/// Reads a request line and headers; `None` at the end of the connection.
fn read_head(reader: &mut impl BufRead) -> std::io::Result<Option<HttpRequest>> {
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
    let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(HttpRequest { method, path: path.into(), query: query.into(), headers, body: Vec::new() }))
}

/// Decodes `a=1&b=x+y` (a form body or a query) into pairs.
pub fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// `%2b` → `+` in a path (apt escapes `+` and `~` in pool file names); a stray `%` stays.
pub fn percent_decode(s: &str) -> String {
    decode(s, false)
}

/// Percent-decoding; in forms `+` is a space too.
fn decode(s: &str, plus_is_space: bool) -> String {
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
            (b'+', _) if plus_is_space => {
                out.push(b' ');
                i += 1;
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

    #[test]
    fn forms_decode_plus_as_space() {
        assert_eq!(
            form_pairs("a=x+y&b=%41&c"),
            [("a".into(), "x y".into()), ("b".into(), "A".into()), ("c".into(), String::new())]
        );
    }

    #[test]
    fn serves_a_handler_with_keep_alive_and_bodies() {
        let h: Handler = Arc::new(|r: &HttpRequest| {
            HttpResponse::new(
                "200 OK",
                format!("{} {} {}", r.method, r.path, String::from_utf8_lossy(&r.body)),
            )
        });
        let url = serve("127.0.0.1", h).unwrap();
        let addr = url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"POST /x?q=1 HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.ends_with("POST /x hi"), "{out}");
    }
}
