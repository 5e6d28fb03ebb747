//! Journalled old values of `MIN_LEN` bytes and more are stored compressed, in MySQL's
//! `COMPRESS()` format: the uncompressed length as 4 little-endian bytes, then a zlib stream.
//! A journal row is then a quarter of the cell it saves, and on MySQL
//! `UNCOMPRESS(old_zlib)` reads it back in plain SQL.

use flate2::read::ZlibDecoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::io::Read;

pub const MIN_LEN: usize = 1024;

thread_local! {
    /// One deflate state per thread, reset between values: a new one costs more to set up
    /// (its window and tables are allocated and zeroed) than a 2 KB value costs to compress.
    static DEFLATE: std::cell::RefCell<Compress> =
        std::cell::RefCell::new(Compress::new(Compression::fast(), true));
}

/// The compressed form of `old`, or None when it is short enough to store as text.
pub fn compress(old: &str) -> Option<Vec<u8>> {
    if old.len() < MIN_LEN {
        return None;
    }
    let len = u32::try_from(old.len()).ok()?;
    DEFLATE.with_borrow_mut(|z| {
        z.reset();
        let mut out = Vec::with_capacity(old.len() / 3 + 64);
        out.extend_from_slice(&len.to_le_bytes());
        let input = old.as_bytes();
        loop {
            let read = z.total_in() as usize;
            match z.compress_vec(&input[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(out),
                Ok(_) => out.reserve(out.capacity().max(4096)),
                Err(_) => return None,
            }
        }
    })
}

/// Why a stored compressed value cannot be read back.
#[derive(Debug, thiserror::Error)]
pub enum Damaged {
    #[error("a compressed old value is shorter than its length header")]
    Short,
    #[error("a compressed old value does not decompress ({0})")]
    Inflate(std::io::Error),
    #[error("a compressed old value holds {got} bytes, its header says {want}")]
    Length { got: usize, want: usize },
    #[error("a compressed old value is not UTF-8")]
    NotUtf8,
}

/// The text `compress` stored.
pub fn uncompress(b: &[u8]) -> Result<String, Damaged> {
    let Some((len, z)) = b.split_first_chunk::<4>() else {
        return Err(Damaged::Short);
    };
    let len = u32::from_le_bytes(*len) as usize;
    let mut out = Vec::with_capacity(len);
    ZlibDecoder::new(z)
        .read_to_end(&mut out)
        .map_err(Damaged::Inflate)?;
    if out.len() != len {
        return Err(Damaged::Length {
            got: out.len(),
            want: len,
        });
    }
    String::from_utf8(out).map_err(|_| Damaged::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_damage() {
        assert_eq!(compress("short"), None);
        let text = "<p>Ghost é</p>".repeat(200);
        let z = compress(&text).unwrap();
        assert!(z.len() < text.len() / 4);
        assert_eq!(&z[..4], &(text.len() as u32).to_le_bytes());
        assert_eq!(uncompress(&z).unwrap(), text);
        // The reused state starts afresh for each value, whatever its size.
        let big: String = (0..200_000u32)
            .map(|i| char::from(b'a' + (i * 7919 % 26) as u8))
            .collect();
        assert_eq!(uncompress(&compress(&big).unwrap()).unwrap(), big);
        assert_eq!(uncompress(&compress(&text).unwrap()).unwrap(), text);
        let mut bad = z.clone();
        let n = bad.len();
        bad[n - 3] ^= 0xff;
        assert!(uncompress(&bad).is_err());
        assert!(uncompress(&z[..2]).is_err());
        let mut wrong_len = z;
        wrong_len[0] ^= 1;
        assert!(uncompress(&wrong_len).is_err());
    }
}
