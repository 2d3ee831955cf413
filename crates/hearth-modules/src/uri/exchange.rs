//! One HTTP exchange for `uri`, run with curl on the target: the whole request (URL, method,
//! headers, credentials, body) travels in curl's config text on stdin, never in argv, so no
//! secret shows in a process list. Also the pure parsing of curl's answer (status line, headers,
//! redirects) and form encoding. It does not decide success: `uri` compares the status.

use super::super::get_url::fetch::{Request, curl_common, quoted};
use crate::module::ModuleError;
use hearth_transport::{Cmd, Transport};

/// What `uri` adds to a download request.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The HTTP method, upper case.
    pub method: String,
    /// The request body, already encoded.
    pub body: Option<String>,
    /// Follow redirects.
    pub follow: bool,
    /// Send basic credentials with the first request (otherwise only after a challenge).
    pub basic_first: bool,
    /// A file on the target whose mtime becomes `If-Modified-Since`.
    pub time_cond: Option<String>,
}

/// curl's config text for an exchange (pure). Errors: NUL bytes, line breaks in headers.
pub fn config(r: &Request, x: &Exchange) -> Result<String, String> {
    let values = r.headers.iter().flat_map(|(k, v)| [k, v]).chain(r.auth.iter().flat_map(|(u, p)| [u, p]));
    if values.into_iter().any(|v| v.contains(['\n', '\r'])) {
        return Err("headers and credentials may not contain line breaks".into());
    }
    if x.body.as_deref().is_some_and(|b| b.contains('\0')) || r.url.contains(['\0', '\n', '\r']) {
        return Err("the url and body may not contain NUL bytes or (url) line breaks".into());
    }
    let mut c = curl_common(r);
    c.push_str(&format!("url = {}\n", quoted(&r.url)));
    // A socket timeout, like Ansible's: give up when nothing arrives for `timeout` seconds.
    c.push_str(&format!("speed-limit = 1\nspeed-time = {}\n", r.timeout.max(1)));
    if x.follow {
        c.push_str("location\nmax-redirs = 10\n");
    }
    if r.auth.is_some() {
        c.push_str(if x.basic_first { "basic\n" } else { "anyauth\n" });
    }
    if let Some(f) = &x.time_cond {
        c.push_str(&format!("time-cond = {}\n", quoted(f)));
    }
    if let Some(b) = &x.body {
        c.push_str(&format!("data-binary = {}\n", quoted(b)));
    }
    // curl infers GET, or POST with a body; naming it otherwise would survive redirects.
    match (x.method.as_str(), x.body.is_some()) {
        ("GET", false) | ("POST", true) => {}
        ("HEAD", false) => c.push_str("head\n"),
        (m, _) => c.push_str(&format!("request = {m}\n")),
    }
    Ok(c)
}

/// Reads curl's config from stdin, runs it; prints `code redirects seconds effective-url`, the
/// header dump's size, the header dump and the body (in that order) on stdout.
const SCRIPT: &str = r#"umask 077
cfg=$(mktemp) && hdr=$(mktemp) && out=$(mktemp) || exit 3
cat > "$cfg"
meta=$(curl -K "$cfg" -D "$hdr" -o "$out" -w '%{http_code} %{num_redirects} %{time_total} %{url_effective}'); rc=$?
rm -f "$cfg"
printf '%s\n' "$meta"
wc -c < "$hdr"
cat "$hdr" "$out"
rm -f "$hdr" "$out"
exit $rc"#;

/// The answer to one exchange.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    /// The final status code; None when no response came (connection failure).
    pub status: Option<u16>,
    /// The final status line's reason phrase.
    pub reason: String,
    /// The final response's headers, in order (names as sent).
    pub headers: Vec<(String, String)>,
    /// The final URL after redirects.
    pub url: String,
    /// How many redirects were followed.
    pub redirects: u32,
    /// Seconds the exchange took.
    pub elapsed: f64,
    /// The body.
    pub body: Vec<u8>,
    /// curl's exit status and error text.
    pub rc: i32,
    /// curl's error text.
    pub error: String,
}

/// Runs the exchange on the target (curl must exist there).
pub fn run(host: &dyn Transport, r: &Request, x: &Exchange) -> Result<Response, ModuleError> {
    let cfg = config(r, x).map_err(ModuleError::msg)?;
    let mut cmd = Cmd::new(["/bin/sh", "-c", SCRIPT]);
    cmd.stdin = Some(cfg.into_bytes());
    let out = host.run(&cmd)?;
    let mut resp = parse(&out.stdout).unwrap_or_default();
    resp.rc = out.rc;
    resp.error = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if resp.url.is_empty() {
        resp.url = r.url.clone();
    }
    Ok(resp)
}

/// Parses the script's stdout (pure); None when it is cut short.
pub fn parse(out: &[u8]) -> Option<Response> {
    let (meta, rest) = split_line(out)?;
    let (size, rest) = split_line(rest)?;
    let size: usize = size.trim().parse().ok()?;
    let (dump, body) = (rest.get(..size)?, rest.get(size..)?);
    let mut m = meta.splitn(4, ' ');
    let code: u16 = m.next()?.parse().ok()?;
    let redirects = m.next()?.parse().unwrap_or(0);
    let elapsed = m.next()?.replace(',', ".").parse().unwrap_or(0.0);
    let url = m.next().unwrap_or("").to_string();
    let (reason, headers) = last_block(&String::from_utf8_lossy(dump));
    let status = (code != 0).then_some(code);
    Some(Response {
        status,
        reason,
        headers,
        url,
        redirects,
        elapsed,
        body: body.to_vec(),
        rc: 0,
        error: String::new(),
    })
}

fn split_line(b: &[u8]) -> Option<(String, &[u8])> {
    let i = b.iter().position(|&c| c == b'\n')?;
    Some((String::from_utf8_lossy(&b[..i]).into_owned(), &b[i + 1..]))
}

/// The reason phrase and headers of the last response in a header dump (redirects and
/// `100 Continue` come first).
pub fn last_block(dump: &str) -> (String, Vec<(String, String)>) {
    let mut reason = String::new();
    let mut headers = Vec::new();
    for line in dump.lines().map(|l| l.trim_end_matches('\r')) {
        if line.starts_with("HTTP/") {
            reason = line.splitn(3, ' ').nth(2).unwrap_or("").trim().to_string();
            headers.clear();
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (reason, headers)
}

/// `application/x-www-form-urlencoded` escaping of one key or value (Python's `quote_plus`).
pub fn form_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keeps_everything_off_argv() {
        let r = Request {
            url: "http://h/api".into(),
            headers: vec![("PRIVATE-TOKEN".into(), "glpat-x".into())],
            timeout: 30,
            auth: None,
            validate_certs: true,
        };
        let x = Exchange { method: "POST".into(), body: Some("{\"a\":\n1}".into()), ..Exchange::default() };
        let c = config(&r, &x).unwrap();
        assert!(c.contains("url = \"http://h/api\"\n"), "{c}");
        assert!(c.contains("header = \"PRIVATE-TOKEN: glpat-x\"\n"));
        assert!(c.contains("data-binary = \"{\\\"a\\\":\\n1}\"\n"));
        assert!(!c.contains("request =") && !c.contains("location") && !c.contains("fail"));
        let put = Exchange { method: "PUT".into(), follow: true, ..Exchange::default() };
        let c = config(&r, &put).unwrap();
        assert!(c.contains("request = PUT\n") && c.contains("location\n"));
        let head = Exchange { method: "HEAD".into(), ..Exchange::default() };
        assert!(config(&r, &head).unwrap().contains("head\n"));
        let nul = Exchange { method: "POST".into(), body: Some("a\0b".into()), ..Exchange::default() };
        assert!(config(&r, &nul).is_err());
    }

    #[test]
    fn parses_the_last_response() {
        let dump = "HTTP/1.1 302 Found\r\nLocation: /b\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\n\r\n";
        let out = format!("200 1 0,012 http://h/b\n{}\n{dump}{{\"k\":1}}", dump.len());
        let r = parse(out.as_bytes()).unwrap();
        assert_eq!(
            (r.status, r.reason.as_str(), r.redirects, r.url.as_str()),
            (Some(200), "OK", 1, "http://h/b")
        );
        assert_eq!(r.headers[0], ("Content-Type".into(), "application/json".into()));
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.body, b"{\"k\":1}");
        assert!((r.elapsed - 0.012).abs() < 1e-9);
        let refused = parse(b"000 0 0.001 http://h/\n0\n").unwrap();
        assert_eq!(refused.status, None);
        assert!(parse(b"200 0 0 u\n99\nshort").is_none());
    }

    #[test]
    fn form_escaping() {
        assert_eq!(form_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }
}
