//! Real S3 API servers on loopback for the tests: moto (`moto_server`, also the RDS API) and
//! SeaweedFS (`weed mini`, which verifies Content-MD5), from the tests' own venv (`tools.rs`). One server of each kind is shared by the
//! tests running at the same time and stopped (its whole process group) when the last of them
//! drops its handle; a watchdog in the group stops it too if the test process dies.
//! A tiny HTTP/1.1 client reads objects back without going through the code under test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Moto,
    Seaweed,
}

pub struct Server {
    pub endpoint: String,
    child: Child,
    watchdog: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Signal exactly the processes we started (never a process group).
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

static MOTO: Mutex<Weak<Server>> = Mutex::new(Weak::new());
static SEAWEED: Mutex<Weak<Server>> = Mutex::new(Weak::new());

fn free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn pick_base(span: u16, grpc: bool) -> u16 {
    // Different for every call: two servers started by one process must not draw the same ports.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let seed = nanos
        ^ ((std::process::id() as u64) << 32)
        ^ CALLS
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    loop {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let base = 20000 + ((x >> 33) % 20000) as u16;
        let ok = (0..span).all(|i| free(base + i) && (!grpc || free(base + i + 10000)));
        if ok {
            return base;
        }
    }
}

/// Starts a server of `kind`, on other ports again (up to three times) when the one started
/// exits: a port that was free when picked may have been taken before the server bound it.
fn start(kind: Kind) -> Server {
    for attempt in 1.. {
        match start_once(kind) {
            Ok(s) => return s,
            Err(e) if attempt < 3 => eprintln!("{e}; trying other ports"),
            Err(e) => panic!("{e}"),
        }
    }
    unreachable!()
}

fn start_once(kind: Kind) -> Result<Server, String> {
    let dir = tempfile::tempdir().unwrap();
    let (port, args): (u16, Vec<String>) = match kind {
        Kind::Moto => {
            let p = pick_base(1, false);
            (
                p,
                vec![
                    crate::tools::server_bin("moto_server")
                        .display()
                        .to_string(),
                    "-H".into(),
                    "127.0.0.1".into(),
                    "-p".into(),
                    p.to_string(),
                ],
            )
        }
        Kind::Seaweed => {
            let b = pick_base(5, true);
            (
                b + 3,
                vec![
                    crate::tools::server_bin("weed").display().to_string(),
                    "mini".into(),
                    format!("-dir={}", dir.path().display()),
                    "-ip=127.0.0.1".into(),
                    "-ip.bind=127.0.0.1".into(),
                    format!("-master.port={b}"),
                    format!("-volume.port={}", b + 1),
                    format!("-filer.port={}", b + 2),
                    format!("-s3.port={}", b + 3),
                    format!("-admin.port={}", b + 4),
                    "-admin.ui=false".into(),
                    "-webdav=false".into(),
                    "-s3.port.iceberg=0".into(),
                    "-s3.port.lance=0".into(),
                ],
            )
        }
    };
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    // SeaweedFS turns S3 authentication on when it finds AWS credentials in its environment
    // (a developer's shell may export them); the tests' servers run open.
    let child = Command::new(&args[0])
        .args(&args[1..])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", args[0]));
    // Stops the server (SIGKILL: weed mini ignores SIGTERM) if this test process dies without
    // dropping the handle.
    let watchdog = Command::new("sh")
        .args([
            "-c",
            &format!(
                "while kill -0 {me} 2>/dev/null && kill -0 {srv} 2>/dev/null; do sleep 1; done; kill -9 {srv} 2>/dev/null",
                me = std::process::id(),
                srv = child.id()
            ),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start watchdog");
    let endpoint = format!("http://127.0.0.1:{port}");
    // Generous: on a loaded 2-core machine SeaweedFS's filer took over a minute to accept the
    // first bucket (seen while other builds ran).
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut server = Server {
        endpoint,
        child,
        watchdog,
        _dir: dir,
    };
    let mut last = String::from("no probe yet");
    let log =
        |s: &Server| std::fs::read_to_string(s._dir.path().join("server.log")).unwrap_or_default();
    loop {
        // SeaweedFS answers before its filer is ready; a bucket PUT proves it is. Whatever
        // answered, it must be our process that is still running.
        let answered = match http("GET", &format!("{}/", server.endpoint), &[]) {
            Ok(_) if kind == Kind::Moto => true,
            Ok((status, _, _)) if status < 500 => match try_bucket(&server.endpoint) {
                Ok(()) => true,
                Err(e) => {
                    last = e;
                    false
                }
            },
            Ok((status, _, _)) => {
                last = format!("GET / answered {status}");
                false
            }
            Err(e) => {
                last = format!("GET /: {e}");
                false
            }
        };
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!(
                "{kind:?} exited ({status}) on {}:\n{}",
                server.endpoint,
                log(&server)
            ));
        }
        if answered {
            return Ok(server);
        }
        if Instant::now() > deadline {
            panic!(
                "{kind:?} did not start on {} (last probe: {last}):\n{}",
                server.endpoint,
                log(&server)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A bucket PUT on `endpoint`: Ok when created, else what the server answered.
fn try_bucket(endpoint: &str) -> Result<(), String> {
    let b = format!("probe-{}", std::process::id());
    match http("PUT", &format!("{endpoint}/{b}"), &[]) {
        Ok((200, _, _)) => Ok(()),
        Ok((status, _, body)) => Err(format!(
            "bucket PUT answered {status}: {}",
            String::from_utf8_lossy(&body)
        )),
        Err(e) => Err(format!("bucket PUT: {e}")),
    }
}

/// The shared server of `kind`, started if none runs. Panics when it cannot be installed or
/// started (so a missing server fails the suite instead of skipping it).
pub fn server(kind: Kind) -> Arc<Server> {
    let slot = match kind {
        Kind::Moto => &MOTO,
        Kind::Seaweed => &SEAWEED,
    };
    let mut g = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = g.upgrade() {
        return s;
    }
    // One start at a time in this process: each picks ports and binds them before the next.
    static STARTING: Mutex<()> = Mutex::new(());
    let _one = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    let s = Arc::new(start(kind));
    *g = Arc::downgrade(&s);
    s
}

static BUCKETS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A new, uniquely named bucket on the server.
pub fn bucket(s: &Server) -> String {
    let n = BUCKETS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let name = format!("gm-test-{}-{n}", std::process::id());
    let (st, _, body) = http("PUT", &format!("{}/{name}", s.endpoint), &[]).unwrap();
    assert!(
        st == 200,
        "create bucket {name}: {st} {}",
        String::from_utf8_lossy(&body)
    );
    name
}

/// Percent-encodes a key for a URL path (keeps '/').
pub fn enc(key: &str) -> String {
    let mut o = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// A minimal HTTP/1.1 request: (status, lowercase headers, body).
#[allow(clippy::type_complexity)]
pub fn http(
    method: &str,
    url: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    request(method, url, &[], "s3", body)
}

/// [`http`] with extra headers, signed (in form only) for `service` (moto routes by it).
#[allow(clippy::type_complexity)]
pub fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    service: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        // moto refuses some anonymous calls; it does not check signatures, so any
        // well-formed SigV4 header passes. SeaweedFS without IAM ignores it.
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    // Read the head, then exactly Content-Length bytes (or chunks, or to EOF): some servers
    // keep the connection open despite "Connection: close".
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "connection closed before the header end",
            ));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let clen: Option<usize> = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok());
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    if method == "HEAD" || status == 204 || status == 304 {
        body.clear();
    } else if let Some(n) = clen {
        while body.len() < n {
            let r = s.read(&mut buf)?;
            if r == 0 {
                break;
            }
            body.extend_from_slice(&buf[..r]);
        }
        body.truncate(n);
    } else if chunked {
        while !body.ends_with(b"0\r\n\r\n") {
            let r = s.read(&mut buf)?;
            if r == 0 {
                break;
            }
            body.extend_from_slice(&buf[..r]);
        }
        body = dechunk(&body);
    } else {
        s.read_to_end(&mut body)?;
    }
    Ok((status, headers, body))
}

fn dechunk(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(e) = b[i..].windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let line = String::from_utf8_lossy(&b[i..i + e]).to_string();
        let n = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        i += e + 2;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[i..(i + n).min(b.len())]);
        i += n + 2;
    }
    out
}

/// GET an object: (status, header lookup, body).
pub fn get_object(s: &Server, bucket: &str, key: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    http("GET", &format!("{}/{bucket}/{}", s.endpoint, enc(key)), &[]).unwrap()
}

pub fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Every key in the bucket (ListObjectsV2 pages parsed crudely from the XML).
pub fn keys(s: &Server, bucket: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{}/{bucket}?list-type=2", s.endpoint);
        if let Some(t) = &token {
            url.push_str(&format!("&continuation-token={}", enc(t)));
        }
        let (st, _, body) = http("GET", &url, &[]).unwrap();
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&body));
        let xml = String::from_utf8_lossy(&body).to_string();
        for part in xml.split("<Key>").skip(1) {
            let k = part.split("</Key>").next().unwrap();
            all.push(unxml(k));
        }
        token = xml
            .split("<NextContinuationToken>")
            .nth(1)
            .and_then(|p| p.split("</NextContinuationToken>").next())
            .map(unxml);
        if token.is_none() {
            break;
        }
    }
    all.sort();
    all
}

fn unxml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// Deletes one object directly (to simulate a missing image).
pub fn delete_object(s: &Server, bucket: &str, key: &str) {
    let (st, _, _) = http(
        "DELETE",
        &format!("{}/{bucket}/{}", s.endpoint, enc(key)),
        &[],
    )
    .unwrap();
    assert!(st == 204 || st == 200, "delete {key}: {st}");
}
