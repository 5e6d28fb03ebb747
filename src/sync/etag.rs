//! S3 ETags computed locally, the "identical?" verdict, and the local hash cache.
//!
//! A single-part object's ETag is the MD5 of its bytes; a multipart one is the MD5 of the
//! parts' MD5s followed by `-N`, so it depends on the part size: we always upload with
//! [`PART_SIZE`] (the AWS CLI's and s3sync's 8 MiB) and compute the same here. The cache keeps
//! each file's ETag with its size, mtime, ctime, inode and device: any write, even one that
//! restores the old mtime, changes ctime, so a cached hash is reused only for untouched bytes.

use md5::{Digest, Md5};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Part size for multipart uploads and multipart ETags; files above it are uploaded in parts.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;

/// Whether a bucket object holds the local file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Differs,
    /// The ETag is not an MD5 we can reproduce (SSE-KMS, another part size): upload to be sure.
    Unknown,
}

/// Number of parts a file of `size` bytes is uploaded in (1 = single PUT).
pub fn parts(size: u64) -> u64 {
    if size <= PART_SIZE {
        1
    } else {
        size.div_ceil(PART_SIZE)
    }
}

/// MD5 of `len` bytes of `path` from `offset` (an error if the file is shorter).
pub fn md5_range(path: &Path, offset: u64, len: u64) -> std::io::Result<[u8; 16]> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut h = Md5::new();
    // A pooled buffer: hashing thousands of files allocates nothing per file.
    let mut buf = super::body::take();
    let mut left = len;
    let r = loop {
        if left == 0 {
            break Ok(());
        }
        let want = left.min(buf.len() as u64) as usize;
        match f.read(&mut buf[..want]) {
            Ok(0) => {
                break Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was read",
                ));
            }
            Ok(n) => {
                h.update(&buf[..n]);
                left -= n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    super::body::give(buf);
    r.map(|()| h.finalize().into())
}

/// The ETag S3 will give this file of `size` bytes when we upload it (no quotes): the MD5 of
/// the bytes, or the MD5 of the [`PART_SIZE`] parts' MD5s followed by `-N`.
pub fn local_etag(path: &Path, size: u64) -> std::io::Result<String> {
    let n = parts(size);
    if n == 1 {
        return Ok(hex::encode(md5_range(path, 0, size)?));
    }
    let mut outer = Md5::new();
    for i in 0..n {
        let offset = i * PART_SIZE;
        outer.update(md5_range(path, offset, PART_SIZE.min(size - offset))?);
    }
    Ok(format!("{}-{n}", hex::encode(outer.finalize())))
}

/// Compares a bucket ETag (quotes allowed) with the local one.
pub fn verdict(remote: &str, local: &str) -> Verdict {
    let r = remote.trim_matches('"').to_ascii_lowercase();
    if r == local {
        return Verdict::Same;
    }
    let is_md5 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match (r.split_once('-'), local.split_once('-')) {
        (None, None) if is_md5(&r) => Verdict::Differs,
        (Some((h, n)), Some((_, m))) if is_md5(h) && n == m => Verdict::Differs,
        _ => Verdict::Unknown,
    }
}

type Stamp = (u64, (i64, i64, u64, u64));

/// rel path -> (size, stamp) -> ETag, loaded from and saved to one file per content directory.
#[derive(Debug, Default)]
pub struct HashCache {
    path: Option<PathBuf>,
    old: HashMap<String, (Stamp, String)>,
    new: HashMap<String, (Stamp, String)>,
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("GHOST_MIGRATE_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("ghost-migrate"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("ghost-migrate"))
}

impl HashCache {
    /// Opens the cache of `root` (empty when `fresh`, unreadable or absent).
    pub fn open(root: &Path, fresh: bool) -> HashCache {
        let canon = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let id = crate::journal::sha256_hex(&canon.to_string_lossy());
        let path = cache_dir().map(|d| d.join(format!("etags-{}.tsv", &id[..16])));
        let mut old = HashMap::new();
        if let (false, Some(p)) = (fresh, &path)
            && let Ok(text) = std::fs::read_to_string(p)
        {
            for line in text.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() != 7 {
                    continue;
                }
                let parsed = (|| {
                    Some((
                        (
                            f[1].parse().ok()?,
                            (
                                f[2].parse().ok()?,
                                f[3].parse().ok()?,
                                f[4].parse().ok()?,
                                f[5].parse().ok()?,
                            ),
                        ),
                        f[6].to_string(),
                    ))
                })();
                if let Some(v) = parsed {
                    old.insert(unescape(f[0]), v);
                }
            }
        }
        HashCache {
            path,
            old,
            new: HashMap::new(),
        }
    }

    /// The cached ETag when the file is untouched since it was hashed.
    pub fn get(&self, rel: &str, stamp: Stamp) -> Option<String> {
        self.old
            .get(rel)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, e)| e.clone())
    }

    pub fn put(&mut self, rel: &str, stamp: Stamp, etag: String) {
        self.new.insert(rel.to_string(), (stamp, etag));
    }

    /// Writes the entries of this run (atomically); errors only cost speed next time.
    pub fn save(&self) {
        let Some(p) = &self.path else { return };
        let mut text = String::with_capacity(self.new.len() * 96);
        for (rel, ((size, (m, c, i, d)), e)) in &self.new {
            text.push_str(&format!(
                "{}\t{size}\t{m}\t{c}\t{i}\t{d}\t{e}\n",
                escape(rel)
            ));
        }
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, p);
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_single_and_multipart() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("a");
        std::fs::write(&small, b"hello").unwrap();
        assert_eq!(
            local_etag(&small, 5).unwrap(),
            "5d41402abc4b2a76b9719d911017c592"
        );
        // 2.5 parts: MD5 of the three part MD5s, "-3".
        let big = dir.path().join("b");
        let data: Vec<u8> = (0..(PART_SIZE * 5 / 2)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, &data).unwrap();
        let mut outer = Md5::new();
        for chunk in data.chunks(PART_SIZE as usize) {
            outer.update(Md5::digest(chunk));
        }
        let want = format!("{}-3", hex::encode(outer.finalize()));
        assert_eq!(local_etag(&big, data.len() as u64).unwrap(), want);
        // Exactly one part size is a single PUT.
        assert_eq!(parts(PART_SIZE), 1);
        assert_eq!(parts(PART_SIZE + 1), 2);
    }

    #[test]
    fn verdicts() {
        let m = "5d41402abc4b2a76b9719d911017c592";
        assert_eq!(verdict(&format!("\"{m}\""), m), Verdict::Same);
        assert_eq!(
            verdict("\"00000000000000000000000000000000\"", m),
            Verdict::Differs
        );
        // Another tool's part size: can't tell.
        assert_eq!(
            verdict("\"00000000000000000000000000000000-4\"", &format!("{m}-3")),
            Verdict::Unknown
        );
        assert_eq!(
            verdict("\"00000000000000000000000000000000-3\"", &format!("{m}-3")),
            Verdict::Differs
        );
        // SSE-KMS style opaque ETag.
        assert_eq!(verdict("\"abc\"", m), Verdict::Unknown);
    }

    #[test]
    fn cache_roundtrip_and_invalidation() {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: tests in this module are the only users of this variable.
        unsafe { std::env::set_var("GHOST_MIGRATE_CACHE_DIR", dir.path()) };
        let root = dir.path().join("content");
        std::fs::create_dir_all(&root).unwrap();
        let mut c = HashCache::open(&root, false);
        let st = (5, (1, 2, 3, 4));
        c.put("images/a\tb.jpg", st, "x".into());
        c.save();
        let c2 = HashCache::open(&root, false);
        assert_eq!(c2.get("images/a\tb.jpg", st), Some("x".into()));
        assert_eq!(c2.get("images/a\tb.jpg", (5, (1, 9, 3, 4))), None);
        assert_eq!(
            HashCache::open(&root, true).get("images/a\tb.jpg", st),
            None
        );
    }
}
