//! Downloading on the target with curl or wget (whichever exists): the tool's config text
//! (headers, credentials, timeouts, certificate checks) goes on stdin — into `curl -K -` or a
//! mode-0600 `WGETRC` file removed right after — so secrets never appear in a process list.
//! Also the pure parsing of `algo:digest` checksums and checksum files. Used by `get_url`,
//! `deb822_repository` (signing keys) and `apt` (`deb:` URLs). It does not decide idempotence.

use crate::module::ModuleError;
use hearth_transport::{Cmd, Transport};

/// A download tool found on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// curl.
    Curl,
    /// wget (GNU).
    Wget,
}

/// How to fetch a URL.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The URL.
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Seconds to wait for the connection.
    pub timeout: u64,
    /// Basic-auth user and password.
    pub auth: Option<(String, String)>,
    /// Verify TLS certificates.
    pub validate_certs: bool,
}

/// Which tool the target has (one probe); an error when neither exists.
pub fn probe_tool(host: &dyn Transport) -> Result<Tool, ModuleError> {
    let out = host.run(&Cmd::shell(
        "if command -v curl >/dev/null 2>&1; then echo curl; elif command -v wget >/dev/null 2>&1; then echo wget; fi",
    ))?;
    match String::from_utf8_lossy(&out.stdout).trim() {
        "curl" => Ok(Tool::Curl),
        "wget" => Ok(Tool::Wget),
        _ => {
            Err(ModuleError::msg("neither curl nor wget is installed on the host; one is needed to download"))
        }
    }
}

/// A curl config string: double-quoted, with `\\`, `"`, and line breaks/tabs escaped.
pub fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '\\' => q.push_str("\\\\"),
            '"' => q.push_str("\\\""),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// curl config lines every request shares: quiet errors, timeout, TLS check, headers, basic auth.
pub fn curl_common(r: &Request) -> String {
    let mut c = String::from("silent\nshow-error\n");
    c.push_str(&format!("connect-timeout = {}\n", r.timeout.max(1)));
    if !r.validate_certs {
        c.push_str("insecure\n");
    }
    for (k, v) in &r.headers {
        c.push_str(&format!("header = {}\n", quoted(&format!("{k}: {v}"))));
    }
    if let Some((u, p)) = &r.auth {
        c.push_str(&format!("user = {}\n", quoted(&format!("{u}:{p}"))));
    }
    c
}

/// The tool's configuration text for a request (pure; newlines in values are rejected).
pub fn config(tool: Tool, r: &Request) -> Result<String, String> {
    let mut values: Vec<&str> = r.headers.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]).collect();
    if let Some((u, p)) = &r.auth {
        values.extend([u.as_str(), p.as_str()]);
    }
    if values.iter().any(|v| v.contains(['\n', '\r'])) {
        return Err("headers and credentials may not contain line breaks".into());
    }
    let mut c = String::new();
    match tool {
        Tool::Curl => {
            c.push_str(&curl_common(r));
            c.push_str("location\nfail\n");
        }
        Tool::Wget => {
            c.push_str(&format!("timeout = {}\ntries = 1\n", r.timeout.max(1)));
            if !r.validate_certs {
                c.push_str("check_certificate = off\n");
            }
            for (k, v) in &r.headers {
                c.push_str(&format!("header = {k}: {v}\n"));
            }
            if let Some((u, p)) = &r.auth {
                c.push_str(&format!("user = {u}\npassword = {p}\nauth_no_challenge = on\n"));
            }
        }
    }
    Ok(c)
}

/// Fetches `$2` with tool `$1` into `$3` ("-" = stdout), config on stdin; prints the HTTP status
/// code last on stderr as `hearth-status=N`.
const FETCH: &str = r#"tool=$1 url=$2 out=$3
umask 077
cfg=$(mktemp) || exit 3
cat > "$cfg"
dst=$out
[ "$out" = - ] && dst=$(mktemp)
if [ "$tool" = curl ]; then
  code=$(curl -K "$cfg" -w '%{http_code}' -o "$dst" -- "$url"); rc=$?
else
  err=$(mktemp)
  WGETRC="$cfg" wget -q -S -O "$dst" -- "$url" 2>"$err"; rc=$?
  code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$err" | tail -n 1)
  grep -v '^  ' "$err" >&2; rm -f "$err"
fi
rm -f "$cfg"
if [ "$out" = - ]; then cat "$dst"; rm -f "$dst"; fi
echo "hearth-status=$code" >&2
exit $rc"#;

/// What a download left: exit status, stdout (the body when `out` is "-"), status code, errors.
pub struct Fetched {
    /// The tool's exit status.
    pub rc: i32,
    /// The body when fetched to stdout.
    pub body: Vec<u8>,
    /// The HTTP status code, when known.
    pub status: Option<u16>,
    /// The tool's error text.
    pub error: String,
}

/// Downloads to `out` on the target (a path, or "-" for the body on stdout).
pub fn fetch(host: &dyn Transport, tool: Tool, r: &Request, out: &str) -> Result<Fetched, ModuleError> {
    let cfg = config(tool, r).map_err(ModuleError::msg)?;
    let name = match tool {
        Tool::Curl => "curl",
        Tool::Wget => "wget",
    };
    let mut cmd = Cmd::new(["/bin/sh", "-c", FETCH, "sh", name, r.url.as_str(), out]);
    cmd.stdin = Some(cfg.into_bytes());
    let res = host.run(&cmd)?;
    let stderr = String::from_utf8_lossy(&res.stderr);
    let status = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("hearth-status="))
        .and_then(|c| c.trim().parse().ok());
    let error = stderr.lines().filter(|l| !l.starts_with("hearth-status=")).collect::<Vec<_>>().join("\n");
    Ok(Fetched { rc: res.rc, body: res.stdout, status, error: error.trim().to_string() })
}

/// Fetches a small document (a key, a checksum file) to memory; an error unless it worked.
pub fn fetch_text(host: &dyn Transport, tool: Tool, r: &Request) -> Result<Vec<u8>, ModuleError> {
    let f = fetch(host, tool, r, "-")?;
    if f.rc != 0 || f.status.is_some_and(|s| s >= 400) {
        return Err(ModuleError::msg(failure_msg(&r.url, &f)));
    }
    Ok(f.body)
}

/// Ansible's wording for a failed request.
pub fn failure_msg(url: &str, f: &Fetched) -> String {
    match f.status {
        Some(s) if s >= 400 => format!("Request failed: HTTP Error {s} ({url})"),
        _ => format!("Request failed: {} ({url})", if f.error.is_empty() { "no response" } else { &f.error }),
    }
}

/// Digest algorithms `checksum` accepts, with the coreutils tool that computes each.
pub const ALGORITHMS: &[(&str, &str)] = &[
    ("md5", "md5sum"),
    ("sha1", "sha1sum"),
    ("sha224", "sha224sum"),
    ("sha256", "sha256sum"),
    ("sha384", "sha384sum"),
    ("sha512", "sha512sum"),
];

/// Splits `algo:digest-or-url` and checks the algorithm.
pub fn parse_checksum(s: &str) -> Result<(String, String), String> {
    let (algo, value) = s.split_once(':').ok_or_else(|| {
        format!("The checksum parameter has to be in format <algorithm>:<checksum>, got {s}")
    })?;
    let algo = algo.trim().to_ascii_lowercase();
    if !ALGORITHMS.iter().any(|(a, _)| *a == algo) {
        let known: Vec<&str> = ALGORITHMS.iter().map(|(a, _)| *a).collect();
        return Err(format!("unsupported checksum algorithm {algo}; use one of {}", known.join(", ")));
    }
    Ok((algo, value.trim().to_string()))
}

/// Finds the digest for `filename` in a checksum file (`digest  name`, `digest *name`, or a
/// lone digest), like Ansible's get_url.
pub fn digest_from_file(text: &str, filename: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    for l in &lines {
        let mut parts = l.splitn(2, char::is_whitespace);
        let (Some(d), Some(name)) = (parts.next(), parts.next()) else { continue };
        let name = name.trim().trim_start_matches('*').trim_start_matches("./");
        if name == filename {
            return Some(d.to_ascii_lowercase());
        }
    }
    match lines.as_slice() {
        [one] if !one.contains(char::is_whitespace) => Some(one.to_ascii_lowercase()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_config_keeps_secrets_quoted() {
        let r = Request {
            url: "u".into(),
            headers: vec![("X-Token".into(), "a\"b".into())],
            timeout: 5,
            auth: Some(("me".into(), "p:w".into())),
            validate_certs: false,
        };
        let c = config(Tool::Curl, &r).unwrap();
        assert!(c.contains("header = \"X-Token: a\\\"b\"\n"), "{c}");
        assert!(c.contains("user = \"me:p:w\"\n") && c.contains("insecure\n") && c.contains("fail\n"));
        let w = config(Tool::Wget, &r).unwrap();
        assert!(w.contains("header = X-Token: a\"b\n") && w.contains("password = p:w\n"));
        assert!(w.contains("check_certificate = off"));
        let bad = Request { headers: vec![("A".into(), "x\ny".into())], ..r };
        assert!(config(Tool::Curl, &bad).is_err());
    }

    #[test]
    fn checksums() {
        assert_eq!(parse_checksum("SHA256:abc").unwrap(), ("sha256".into(), "abc".into()));
        assert_eq!(parse_checksum("sha256:http://x/SUMS").unwrap().1, "http://x/SUMS");
        assert!(parse_checksum("crc32:1").unwrap_err().contains("unsupported"));
        assert!(parse_checksum("abc").is_err());
        let sums = "aaa  other.tar\nBBB *file.tar\nccc  ./x\n";
        assert_eq!(digest_from_file(sums, "file.tar").as_deref(), Some("bbb"));
        assert_eq!(digest_from_file(sums, "x").as_deref(), Some("ccc"));
        assert_eq!(digest_from_file(sums, "nope"), None);
        assert_eq!(digest_from_file("deadbeef\n", "any").as_deref(), Some("deadbeef"));
    }
}
