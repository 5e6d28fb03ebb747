//! `redirects`: each format proven against the thing that runs it. The CloudFront Function runs
//! under node with CloudFront's event shape (in a bare `vm` context: no require, no process);
//! the nginx snippet is included in a real nginx on loopback and asked over plain HTTP; the
//! Ghost file is checked against Ghost's own rules (its validation, its regex building and its
//! path/query rewriting, transcribed from Ghost 5.130.6) run under node. Bad flags exit 2.

use crate::common::{bin, json, run, sqlite_copy, stderr, stdout};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CDN: &str = "https://cdn.example.com/assets/content/";

/// The generated rules for `args` (stdout), exit 0 asserted.
fn generate(args: &[&str]) -> String {
    let mut all = vec!["redirects", "--cdn-url", CDN];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// A tool the test needs, or None (with `SKIPPED <test>: ...` printed) when it is missing
/// outside CI; under CI a missing tool fails the test (`.ci/run` installs them).
fn tool(path: &str, probe: &[&str], hint: &str) -> Option<PathBuf> {
    let ok = Command::new(path)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(PathBuf::from(path));
    }
    if std::env::var_os("CI").is_some() {
        panic!("{path} is missing under CI ({hint})");
    }
    crate::tools::say(&format!(
        "SKIPPED {}: no {path} ({hint})",
        std::thread::current().name().unwrap_or("a test")
    ));
    None
}

fn node() -> Option<PathBuf> {
    tool(
        "/usr/bin/node",
        &["--version"],
        "Debian: apt-get install nodejs",
    )
}

/// Runs `script` under node with `input` on stdin; returns stdout, asserting exit 0.
fn node_run(node: &Path, dir: &Path, script: &str, input: &str) -> String {
    let path = dir.join("harness.js");
    std::fs::write(&path, script).unwrap();
    let mut child = Command::new(node)
        .arg(&path)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "node: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Loads the function file in a fresh `vm` context (no require, process, Buffer: what
/// cloudfront-js-2.0 lacks too) and calls `handler` with each event read from stdin.
const CLOUDFRONT_HARNESS: &str = r#"
const vm = require('vm');
const fs = require('fs');
const code = fs.readFileSync('function.js', 'utf8');
const ctx = vm.createContext({});
vm.runInContext(code, ctx, {filename: 'function.js'});
if (typeof ctx.handler !== 'function') { throw new Error('no handler(event)'); }
const events = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = events.map(e => JSON.parse(JSON.stringify(ctx.handler(e))));
process.stdout.write(JSON.stringify(out));
"#;

/// A viewer-request event as CloudFront passes it (lowercase header names).
fn event(host: &str, uri: &str, qs: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "version": "1.0",
        "context": {"distributionDomainName": "d111111abcdef8.cloudfront.net",
                    "distributionId": "EDFDVBD6EXAMPLE", "eventType": "viewer-request",
                    "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},
        "viewer": {"ip": "198.51.100.11"},
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": qs,
            "headers": {"host": {"value": host}, "accept": {"value": "image/webp,*/*"}},
            "cookies": {}
        }
    })
}

#[test]
fn cloudfront_function_redirects_old_content_paths_under_node() {
    let Some(node) = node() else { return };
    let f = generate(&[
        "--format",
        "cloudfront-function",
        "--host",
        "old.example.com",
        "--host",
        "https://Example.com/my.blog/",
    ]);
    assert!(f.contains("function handler(event) {"), "{f}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("function.js"), &f).unwrap();
    let none = serde_json::json!({});
    let redirected = [
        (
            event("old.example.com", "/content/images/2024/01/a.jpg", none.clone()),
            "https://cdn.example.com/assets/content/images/2024/01/a.jpg",
        ),
        // Host header case and port do not matter; size/format variants and percent-encoded
        // bytes keep their tail; the query string is rebuilt, repeated names included.
        (
            event(
                "OLD.Example.COM:443",
                "/content/images/size/w600/format/webp/2024/a%20b%C3%A9.jpg",
                serde_json::json!({
                    "v": {"value": "1"},
                    "w": {"value": "2", "multiValue": [{"value": "2"}, {"value": "3"}]}
                }),
            ),
            "https://cdn.example.com/assets/content/images/size/w600/format/webp/2024/a%20b%C3%A9.jpg?v=1&w=2&w=3",
        ),
        (
            event("old.example.com", "/content/media/2024/v.mp4", none.clone()),
            "https://cdn.example.com/assets/content/media/2024/v.mp4",
        ),
        // The site in a subdirectory: its content roots hang under /my.blog/.
        (
            event("example.com", "/my.blog/content/files/2024/doc.pdf", none.clone()),
            "https://cdn.example.com/assets/content/files/2024/doc.pdf",
        ),
    ];
    let passed = [
        event("other.example.com", "/content/images/a.jpg", none.clone()),
        event("old.example.com.evil.test", "/content/images/a.jpg", none.clone()),
        event("old.example.com", "/content/themes/casper/x.css", none.clone()),
        event("old.example.com", "/content/images/", none.clone()),
        event("old.example.com", "/ghost/api/admin/site/", none.clone()),
        event("old.example.com", "/2024/01/a-post/", none.clone()),
        // The subdirectory site: not outside its subdirectory, and the dot is literal.
        event("example.com", "/content/images/a.jpg", none.clone()),
        event("example.com", "/myxblog/content/images/a.jpg", none.clone()),
    ];
    let mut events: Vec<serde_json::Value> = redirected.iter().map(|(e, _)| e.clone()).collect();
    events.extend(passed.iter().cloned());
    let out = node_run(
        &node,
        dir.path(),
        CLOUDFRONT_HARNESS,
        &serde_json::to_string(&events).unwrap(),
    );
    let results: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    for (i, (e, want)) in redirected.iter().enumerate() {
        let r = &results[i];
        assert_eq!(r["statusCode"], 301, "{e}: {r}");
        assert_eq!(r["headers"]["location"]["value"], *want, "{e}: {r}");
    }
    for (i, e) in passed.iter().enumerate() {
        let r = &results[redirected.len() + i];
        assert_eq!(*r, e["request"], "must pass through unchanged: {e}");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.0 request with the request target sent byte for byte; returns (status, headers
/// with lowercased names, body).
fn http_get(port: u16, host: &str, target: &str) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {raw:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// nginx in the foreground, killed (by its own pid) when dropped.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn nginx_snippet_answers_301_with_the_cdn_location() {
    let Some(nginx) = tool(
        "/usr/sbin/nginx",
        &["-v"],
        "Debian: apt-get install nginx-light",
    ) else {
        return;
    };
    let snippet = generate(&[
        "--format",
        "nginx",
        "--host",
        "old.example.com",
        "--host",
        "https://example.com/my.blog/",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ghost-cdn-redirects.conf"), &snippet).unwrap();
    let port = free_port();
    // An old host's server block as an operator has it: Ghost (here a 200 stand-in) behind
    // location /, and the local image directory served by its own ^~ location, which the
    // snippet's server-level rule must win over.
    let conf = format!(
        r#"worker_processes 1;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name old.example.com example.com;
        include {d}/ghost-cdn-redirects.conf;
        location ^~ /content/images/ {{ return 200 "local image\n"; }}
        location / {{ return 200 "ghost\n"; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name other.example.com;
        location / {{ return 200 "other\n"; }}
    }}
}}
"#,
        d = d.display()
    );
    let conf_path = d.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let t = Command::new(&nginx)
        .arg("-p")
        .arg(d)
        .arg("-e")
        .arg(d.join("error.log"))
        .arg("-c")
        .arg(&conf_path)
        .arg("-t")
        .output()
        .unwrap();
    assert!(
        t.status.success(),
        "nginx -t: {}\n{snippet}",
        String::from_utf8_lossy(&t.stderr)
    );
    let _server = Nginx(
        Command::new(&nginx)
            .arg("-p")
            .arg(d)
            .arg("-e")
            .arg(d.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nginx did not listen on {port}: {}",
            std::fs::read_to_string(d.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let cdn = "https://cdn.example.com/assets/content/";
    for (host, target, want) in [
        (
            "old.example.com",
            "/content/images/2024/01/a.jpg".to_string(),
            format!("{cdn}images/2024/01/a.jpg"),
        ),
        // Bytes as sent: size/format variants, percent escapes, the query string.
        (
            "old.example.com",
            "/content/images/size/w600/format/webp/2024/a%20b%C3%A9.jpg?v=1&w=2&w=3".into(),
            format!("{cdn}images/size/w600/format/webp/2024/a%20b%C3%A9.jpg?v=1&w=2&w=3"),
        ),
        (
            "old.example.com",
            "/content/media/2024/v.mp4".into(),
            format!("{cdn}media/2024/v.mp4"),
        ),
        (
            "example.com",
            "/my.blog/content/files/2024/doc.pdf?download".into(),
            format!("{cdn}files/2024/doc.pdf?download"),
        ),
    ] {
        let (status, h, body) = http_get(port, host, &target);
        assert_eq!(status, 301, "{host}{target}: {h:?} {body}");
        assert_eq!(header(&h, "location"), Some(want.as_str()), "{host}{target}");
    }
    for (host, target, want) in [
        ("old.example.com", "/content/images/", "local image\n"),
        ("old.example.com", "/content/images/?x=1", "local image\n"),
        ("old.example.com", "/content/themes/casper/x.css", "ghost\n"),
        ("old.example.com", "/2024/01/a-post/", "ghost\n"),
        // The dot in the subdirectory is literal.
        ("example.com", "/myxblog/content/images/a.jpg", "ghost\n"),
        // A server block that does not include the snippet is left alone.
        ("other.example.com", "/content/images/a.jpg", "other\n"),
    ] {
        let (status, h, body) = http_get(port, host, target);
        assert_eq!((status, body.as_str()), (200, want), "{host}{target}: {h:?}");
    }
}
