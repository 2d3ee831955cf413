//! Unit tests of `uri`'s pure parts: status lists, body encoding, redirects, result fields.

use super::*;
use serde_json::json;

#[test]
fn status_code_forms() {
    assert_eq!(status_codes(None).unwrap(), vec![200]);
    assert_eq!(status_codes(Some(&json!(201))).unwrap(), vec![201]);
    assert_eq!(status_codes(Some(&json!("200, 201"))).unwrap(), vec![200, 201]);
    assert_eq!(status_codes(Some(&json!([200, "404"]))).unwrap(), vec![200, 404]);
    assert!(status_codes(Some(&json!(["ok"]))).is_err());
}

#[test]
fn bodies() {
    let (b, ct) = encode_body(Some(&json!({"a": [1, "x"]})), "json").unwrap();
    assert_eq!((b.as_deref(), ct), (Some("{\"a\":[1,\"x\"]}"), Some("application/json")));
    let (b, _) = encode_body(Some(&json!("{\"pre\": 1}")), "json").unwrap();
    assert_eq!(b.as_deref(), Some("{\"pre\": 1}"));
    let (b, ct) = encode_body(Some(&json!({"k": "a b", "t": ["x", "y"]})), "form-urlencoded").unwrap();
    assert_eq!((b.as_deref(), ct), (Some("k=a+b&t=x&t=y"), Some("application/x-www-form-urlencoded")));
    assert_eq!(encode_body(None, "json").unwrap(), (None, None));
    assert!(encode_body(Some(&json!("x")), "form-multipart").unwrap_err().contains("not supported"));
    assert!(encode_body(Some(&json!("x")), "yaml").unwrap_err().contains("must be one of"));
}

#[test]
fn redirect_policy() {
    assert!(follows(None, "GET").unwrap());
    assert!(!follows(None, "POST").unwrap());
    assert!(follows(Some(&json!("all")), "POST").unwrap());
    assert!(!follows(Some(&json!(false)), "GET").unwrap());
    assert!(follows(Some(&json!("sometimes")), "GET").is_err());
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    Response {
        status: Some(status),
        reason: "Unauthorized".into(),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        url: "http://h/b".into(),
        redirects: 1,
        elapsed: 1.7,
        body: body.as_bytes().to_vec(),
        ..Response::default()
    }
}

#[test]
fn fields_like_ansible() {
    let h = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "8"), ("X-Req-Id", "1")];
    let r = result_fields("http://h/a", &response(200, &h, "{\"k\": 1}"), false);
    assert_eq!(r["status"], json!(200));
    assert_eq!(r["msg"], json!("OK (8 bytes)"));
    assert_eq!(r["json"], json!({"k": 1}));
    assert_eq!(r["content_type"], json!("application/json; charset=utf-8"));
    assert_eq!(r["x_req_id"], json!("1"));
    assert_eq!((r["redirected"].clone(), r["url"].clone()), (json!(true), json!("http://h/b")));
    assert_eq!(r["elapsed"], json!(1));
    assert!(r.get("content").is_none());
    let r = result_fields("http://h/a", &response(401, &[("Content-Type", "text/plain")], "no"), true);
    assert_eq!(r["msg"], json!("HTTP Error 401: Unauthorized"));
    assert_eq!((r["url"].clone(), r["redirected"].clone()), (json!("http://h/a"), json!(false)));
    assert_eq!(r["content"], json!("no"));
    assert!(r.get("json").is_none());
    let refused = Response { error: "curl: (7) Failed to connect to h port 1".into(), ..Response::default() };
    let r = result_fields("http://h/a", &refused, false);
    assert_eq!(
        (r["status"].clone(), r["msg"].clone()),
        (json!(-1), json!("Connection failure: Failed to connect to h port 1"))
    );
}

#[test]
fn json_types_and_locations() {
    assert!(is_json_type("application/problem+json") && is_json_type("text/javascript"));
    assert!(!is_json_type("text/html"));
    assert_eq!(join_url("http://h:8/a/b?q", "c"), "http://h:8/a/c");
    assert_eq!(join_url("http://h:8/a/b", "/x"), "http://h:8/x");
    assert_eq!(join_url("http://h/a", "https://o/p"), "https://o/p");
}
