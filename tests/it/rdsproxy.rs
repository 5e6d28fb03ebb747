//! A loopback HTTP proxy between ghost-migrate and moto's RDS API. moto marks every snapshot
//! `available` at once; the proxy rewrites the Describe*Snapshots answers so a snapshot reads
//! `creating` with rising PercentProgress for a while, or ends `failed`, or disappears.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `creating` until this long after the first Describe, then moto's answer.
    Slow(Duration),
    /// `creating`, then `failed` after this long.
    Fail(Duration),
    /// `creating`, then "not found" after this long.
    Vanish(Duration),
}

pub struct Proxy {
    pub endpoint: String,
    /// When the first Describe*Snapshots call passed through.
    pub first_describe: Arc<Mutex<Option<Instant>>>,
}

/// Reads one HTTP message (head + Content-Length body); None at EOF.
fn read_message(r: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line).ok()?;
        if n == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn with_headers(head: &str, len: usize) -> String {
    let mut out = String::new();
    for l in head.lines() {
        let k = l
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if k == "content-length" || k == "connection" || k == "transfer-encoding" {
            continue;
        }
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {len}\r\nConnection: close\r\n\r\n"
    ));
    out
}

fn rewrite(body: &str, status: &str, pct: u32) -> String {
    let re_status = regex::Regex::new(r"<Status>[^<]*</Status>").unwrap();
    let re_pct = regex::Regex::new(r"<PercentProgress>[^<]*</PercentProgress>").unwrap();
    let b = re_pct.replace_all(body, "");
    re_status
        .replace_all(
            &b,
            format!("<Status>{status}</Status><PercentProgress>{pct}</PercentProgress>").as_str(),
        )
        .into_owned()
}

fn handle(client: TcpStream, upstream: String, mode: Mode, first: Arc<Mutex<Option<Instant>>>) {
    let mut w = client.try_clone().unwrap();
    let mut r = BufReader::new(client);
    // One request per connection: the answer announces Connection: close.
    if let Some((head, body)) = read_message(&mut r) {
        let text = String::from_utf8_lossy(&body).to_string();
        let describe = text.contains("Action=DescribeDBClusterSnapshots")
            || text.contains("Action=DescribeDBSnapshots");
        let by_id = text.contains("SnapshotIdentifier=");
        // Forward to moto on a fresh connection.
        let mut up = TcpStream::connect(&upstream).unwrap();
        up.write_all(with_headers(&head, body.len()).as_bytes())
            .unwrap();
        up.write_all(&body).unwrap();
        let mut ur = BufReader::new(up);
        let Some((rhead, rbody)) = read_message(&mut ur) else {
            return;
        };
        let mut rhead = rhead;
        let mut rbody = rbody;
        if describe && by_id {
            let t0 = *first.lock().unwrap().get_or_insert_with(Instant::now);
            let el = t0.elapsed();
            let s = String::from_utf8_lossy(&rbody).to_string();
            let (limit, end) = match mode {
                Mode::Slow(d) => (d, None),
                Mode::Fail(d) => (d, Some("failed")),
                Mode::Vanish(d) => (d, Some("vanish")),
            };
            let pct = ((el.as_secs_f64() / limit.as_secs_f64()) * 100.0).min(99.0) as u32;
            if el < limit {
                rbody = rewrite(&s, "creating", pct).into_bytes();
            } else if end == Some("failed") {
                rbody = rewrite(&s, "failed", pct).into_bytes();
            } else if end == Some("vanish") {
                let code = if text.contains("DescribeDBClusterSnapshots") {
                    "DBClusterSnapshotNotFoundFault"
                } else {
                    "DBSnapshotNotFound"
                };
                rbody = format!(
                    "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>snapshot not found</Message></Error><RequestId>x</RequestId></ErrorResponse>"
                )
                .into_bytes();
                rhead = rhead.replacen(" 200 OK", " 404 Not Found", 1);
            }
        }
        let _ = w
            .write_all(with_headers(&rhead, rbody.len()).as_bytes())
            .and_then(|_| w.write_all(&rbody));
    }
}

pub fn start(upstream_endpoint: &str, mode: Mode) -> Proxy {
    let upstream = upstream_endpoint
        .strip_prefix("http://")
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", l.local_addr().unwrap());
    let first = Arc::new(Mutex::new(None));
    let f = first.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let (u, f) = (upstream.clone(), f.clone());
            std::thread::spawn(move || handle(c, u, mode, f));
        }
    });
    Proxy {
        endpoint,
        first_describe: first,
    }
}
