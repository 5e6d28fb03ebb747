//! Local variant resizing throughput: every JPEG/PNG/WebP under a directory resized to a width
//! with ghost-migrate's resizer (decode, orientation, Lanczos3, encode), one at a time on one
//! thread, as `bench/resize.sh` times ImageMagick on the same files.
//! Usage: cargo run --release --example resize -- DIR WIDTH

use ghost_migrate::variants::Dim;
use ghost_migrate::variants::resize::resize;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("DIR");
    let width: u32 = args.next().expect("WIDTH").parse().expect("a width");
    let mut files: Vec<_> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("jpg" | "jpeg" | "png" | "webp")
            )
        })
        .collect();
    files.sort();
    let started = Instant::now();
    let (mut n, mut bytes_in) = (0u64, 0u64);
    for p in &files {
        let b = std::fs::read(p).expect("read");
        bytes_in += b.len() as u64;
        let ext = format!(".{}", p.extension().unwrap().to_str().unwrap());
        let dim = Dim {
            width: Some(width),
            height: None,
        };
        match resize(&b, &ext, dim, None) {
            Ok(_) => n += 1,
            Err(e) => eprintln!("{}: {e}", p.display()),
        }
    }
    let s = started.elapsed().as_secs_f64();
    println!(
        "ghost-migrate\t{n}\t{s:.3}\t{:.1}\t{:.1}",
        n as f64 / s,
        bytes_in as f64 / 1e6 / s
    );
}
