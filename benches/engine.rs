//! Throughput of the pure rewrite engine (matcher + JSON rewrite + JSON proof), issue 17's
//! "Speed must not regress": every document goes through `rewrite_cell` exactly as the rewrite
//! command plans one cell, for html, lexical and mobiledoc columns.
//!
//! The content is generated here, deterministically (a seeded splitmix64), in the shapes
//! `bench/gen.py` writes at database scale: posts of 5-20 KB with 5-30 images of the site
//! `http://127.0.0.1:2368` in every stored form (`__GHOST_URL__`, absolute http and https,
//! protocol-relative, root-relative, Ghost's `size/w600/` variants), 15% of image URLs on
//! near-miss or unrelated hosts, 20% of JSON documents with `\/` slashes, external links and
//! Unsplash images in every post.
//!
//! Groups (throughput in bytes of stored text):
//! - `no_match`: posts without any URL of the site (the engine must find nothing),
//! - `match`: posts with 5-30 site images (every document changes),
//! - `realistic`: 10% of posts without site URLs, as in `bench/gen.py`.
//!
//! Each group has `html`, `lexical`, `mobiledoc` and `mix` (per post: its html plus its
//! lexical, or for one post in five its mobiledoc). Run: `cargo bench --bench engine`.
//! Under `cargo test --all-targets` (no `--bench`) the corpora are tiny and every benchmark
//! runs once, as a smoke test.

use criterion::{
    BatchSize, Criterion, PlottingBackend, Throughput, criterion_group, criterion_main,
};
use ghost_migrate::cell::{ColumnMeta, rewrite_cell};
use ghost_migrate::ghost::columns::CellKind;
use ghost_migrate::url::{MatchOptions, Prefix, Site, UrlMap};
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

const SITE: &str = "http://127.0.0.1:2368";
const FROM: &str = "http://127.0.0.1:2368/content/images/";
const TO: &str = "https://cdn.example.com/content/images/";
const SEED: u64 = 42;

/// The stored forms of the site's image prefix (as `bench/gen.py`).
const FORMS: &[&str] = &[
    "__GHOST_URL__/content/images/",
    "http://127.0.0.1:2368/content/images/",
    "https://127.0.0.1:2368/content/images/",
    "//127.0.0.1:2368/content/images/",
    "/content/images/",
];
/// Near misses and unrelated hosts: never rewritten (as `bench/gen.py`).
const NEAR: &[&str] = &[
    "http://127.0.0.1:2368.evil.net/content/images/",
    "http://127.0.0.1:23680/content/images/",
    "http://127.0.0.1:2368/content/images-archive/",
    "https://images.unsplash.com/photo-",
    "http://127.0.0.1:2368/content/media/",
];
const SIZES: &[&str] = &[
    "",
    "",
    "size/w600/",
    "size/w1000/",
    "size/w600/format/webp/",
];
const WORDS: &[&str] = &[
    "ghost",
    "blog",
    "image",
    "cdn",
    "bucket",
    "migrate",
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "it’s",
    "“quoted”",
    "—",
    "café",
];
const LINKS: &[&str] = &[
    "https://ghost.org/docs/",
    "https://en.wikipedia.org/wiki/Content_delivery_network",
    "https://github.com/TryGhost/Ghost",
    "__GHOST_URL__/tag/getting-started/",
    "__GHOST_URL__/welcome/",
];

/// splitmix64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.range(0, xs.len() - 1)]
    }
    fn text(&mut self, n: usize) -> String {
        let mut s = String::new();
        for k in 0..n {
            if k > 0 {
                s.push(' ');
            }
            s.push_str(self.pick(WORDS));
        }
        s
    }
}

/// One image of a post: its URL (as stored) and the URL's parts for `srcset`.
struct Image {
    base: &'static str,
    size: &'static str,
    path: String,
    alt: String,
    caption: String,
}

impl Image {
    fn url(&self) -> String {
        format!("{}{}{}", self.base, self.size, self.path)
    }
    fn srcset(&self) -> String {
        [600, 1000, 1600, 2400]
            .iter()
            .map(|w| format!("{}size/w{w}/{} {w}w", self.base, self.path))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What one post holds: its site images (5-30, or none) and its target size.
struct Post {
    images: Vec<Image>,
    target: usize,
}

fn post(r: &mut Rng, i: usize, with_urls: bool) -> Post {
    let n = if with_urls { r.range(5, 30) } else { 0 };
    let images = (0..n)
        .map(|k| {
            let base = if r.chance(0.85) {
                r.pick(FORMS)
            } else {
                r.pick(NEAR)
            };
            Image {
                base,
                size: r.pick(SIZES),
                path: format!("2024/{:02}/img-{i}-{k}.jpg", (k % 12) + 1),
                alt: r.text(3),
                caption: r.text(5),
            }
        })
        .collect();
    Post {
        images,
        target: r.range(5_000, 20_000),
    }
}

fn unsplash(r: &mut Rng) -> String {
    format!(
        "https://images.unsplash.com/photo-{}?crop=entropy&cs=tinysrgb&fit=max&fm=jpg&w=2000",
        r.next() % 10_000_000_000
    )
}

/// A JSON string literal (quotes included), escaped as `JSON.stringify` does.
fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An HTML card's source: hand-written markup with newlines and attributes in quotes.
fn html_card(img: &Image) -> String {
    format!(
        "<div class=\"gallery\">\n  <a href=\"{u}\">\n    <img src=\"{u}\" srcset=\"{s}\" alt=\"{a}\">\n  </a>\n</div>",
        u = img.url(),
        s = img.srcset(),
        a = img.alt
    )
}

fn html_doc(r: &mut Rng, p: &Post) -> String {
    let mut h = String::new();
    let paragraph = |r: &mut Rng, h: &mut String| {
        if r.chance(0.2) {
            let _ = write!(
                h,
                "<p>{} <a href=\"{}\">{}</a> {}</p>",
                r.text(20),
                r.pick(LINKS),
                r.text(3),
                r.text(20)
            );
        } else if r.chance(0.1) {
            let _ = write!(h, "<h2 id=\"{}\">{}</h2>", r.text(1), r.text(4));
        } else {
            let _ = write!(h, "<p>{}</p>", r.text(30));
        }
    };
    for img in &p.images {
        paragraph(r, &mut h);
        if r.chance(0.1) {
            // A link to the full-size image.
            let _ = write!(h, "<p><a href=\"{}\">{}</a></p>", img.url(), img.alt);
        } else {
            let _ = write!(
                h,
                "<figure class=\"kg-card kg-image-card kg-card-hascaption\"><img src=\"{}\" class=\"kg-image\" alt=\"{}\" loading=\"lazy\" width=\"2000\" height=\"1333\" srcset=\"{}\" sizes=\"(min-width: 720px) 720px\"><figcaption><span style=\"white-space: pre-wrap;\">{}</span></figcaption></figure>",
                img.url(),
                img.alt,
                img.srcset(),
                img.caption
            );
        }
    }
    if r.chance(0.5) {
        let _ = write!(
            h,
            "<figure class=\"kg-card kg-image-card\"><img src=\"{}\" class=\"kg-image\" alt=\"\" loading=\"lazy\" width=\"2000\" height=\"1333\"></figure>",
            unsplash(r)
        );
    }
    while h.len() < p.target {
        paragraph(r, &mut h);
    }
    h
}

fn lex_text(r: &mut Rng, n: usize) -> String {
    format!(
        "{{\"detail\":0,\"format\":0,\"mode\":\"normal\",\"style\":\"\",\"text\":{},\"type\":\"extended-text\",\"version\":1}}",
        js(&r.text(n))
    )
}

fn lex_block(kind: &str, children: &[String], extra: &str) -> String {
    format!(
        "{{\"children\":[{}],\"direction\":\"ltr\",\"format\":\"\",\"indent\":0,\"type\":\"{kind}\",\"version\":1{extra}}}",
        children.join(",")
    )
}

fn lex_link(r: &mut Rng, url: &str) -> String {
    let t = lex_text(r, 3);
    lex_block(
        "link",
        &[t],
        &format!(
            ",\"rel\":\"noreferrer\",\"target\":null,\"title\":null,\"url\":{}",
            js(url)
        ),
    )
}

fn lex_paragraph(r: &mut Rng) -> String {
    if r.chance(0.2) {
        let link = r.pick(LINKS);
        let parts = [lex_text(r, 20), lex_link(r, link), lex_text(r, 20)];
        lex_block("paragraph", &parts, "")
    } else if r.chance(0.1) {
        let t = lex_text(r, 4);
        lex_block("extended-heading", &[t], ",\"tag\":\"h2\"")
    } else {
        let t = lex_text(r, 30);
        lex_block("paragraph", &[t], "")
    }
}

fn lex_image(src: &str, alt: &str, caption: &str) -> String {
    format!(
        "{{\"type\":\"image\",\"version\":1,\"src\":{},\"width\":2000,\"height\":1333,\"title\":\"\",\"alt\":{},\"caption\":{},\"cardWidth\":\"regular\",\"href\":\"\"}}",
        js(src),
        js(alt),
        js(&format!(
            "<span style=\"white-space: pre-wrap;\">{caption}</span>"
        ))
    )
}

fn lexical_doc(r: &mut Rng, p: &Post) -> String {
    let mut nodes = Vec::new();
    let mut len = 0;
    let push = |nodes: &mut Vec<String>, len: &mut usize, n: String| {
        *len += n.len() + 1;
        nodes.push(n);
    };
    for img in &p.images {
        let para = lex_paragraph(r);
        push(&mut nodes, &mut len, para);
        let x = r.range(0, 99);
        let node = if x < 70 {
            lex_image(&img.url(), &img.alt, &img.caption)
        } else if x < 85 {
            format!(
                "{{\"type\":\"html\",\"version\":1,\"html\":{},\"visibility\":{{\"web\":{{\"nonMember\":true,\"memberSegment\":\"status:free,status:-free\"}},\"email\":{{\"memberSegment\":\"status:free,status:-free\"}}}}}}",
                js(&html_card(img))
            )
        } else {
            let link = lex_link(r, &img.url());
            lex_block("paragraph", &[lex_text(r, 10), link], "")
        };
        push(&mut nodes, &mut len, node);
    }
    if r.chance(0.5) {
        let u = unsplash(r);
        push(&mut nodes, &mut len, lex_image(&u, "", "Photo by Unsplash"));
    }
    let head = "{\"root\":{\"children\":[";
    let tail =
        "],\"direction\":\"ltr\",\"format\":\"\",\"indent\":0,\"type\":\"root\",\"version\":1}}";
    while head.len() + len + tail.len() < p.target {
        let para = lex_paragraph(r);
        push(&mut nodes, &mut len, para);
    }
    let doc = format!("{head}{}{tail}", nodes.join(","));
    if r.chance(0.2) {
        // Some clients escape slashes.
        doc.replace('/', "\\/")
    } else {
        doc
    }
}

/// A mobiledoc being built: cards, markups and sections.
#[derive(Default)]
struct Mobiledoc {
    cards: Vec<String>,
    markups: Vec<String>,
    sections: Vec<String>,
    len: usize,
}

impl Mobiledoc {
    fn section(&mut self, s: String) {
        self.len += s.len() + 1;
        self.sections.push(s);
    }
    fn card(&mut self, c: String) {
        self.len += c.len() + 8;
        self.sections.push(format!("[10,{}]", self.cards.len()));
        self.cards.push(c);
    }
    /// A paragraph, with a link to `url` in its middle when given.
    fn paragraph(&mut self, r: &mut Rng, url: Option<&str>) {
        let s = match url {
            Some(u) => {
                let m = self.markups.len();
                let markup = format!("[\"a\",[\"href\",{}]]", js(u));
                self.len += markup.len() + 1;
                self.markups.push(markup);
                format!(
                    "[1,\"p\",[[0,[],0,{}],[0,[{m}],1,{}],[0,[],0,{}]]]",
                    js(&r.text(20)),
                    js(&r.text(3)),
                    js(&r.text(20))
                )
            }
            None if r.chance(0.1) => format!("[1,\"h2\",[[0,[],0,{}]]]", js(&r.text(4))),
            None => format!("[1,\"p\",[[0,[],0,{}]]]", js(&r.text(30))),
        };
        self.section(s);
    }
    fn finish(&self) -> String {
        format!(
            "{{\"version\":\"0.3.1\",\"ghostVersion\":\"4.0\",\"atoms\":[],\"cards\":[{}],\"markups\":[{}],\"sections\":[{}]}}",
            self.cards.join(","),
            self.markups.join(","),
            self.sections.join(",")
        )
    }
    fn size(&self) -> usize {
        100 + self.len
    }
}

fn mobiledoc_doc(r: &mut Rng, p: &Post) -> String {
    let mut m = Mobiledoc::default();
    let para = |r: &mut Rng, m: &mut Mobiledoc| {
        let link = r.chance(0.2).then(|| r.pick(LINKS));
        m.paragraph(r, link);
    };
    for img in &p.images {
        para(r, &mut m);
        let x = r.range(0, 99);
        if x < 70 {
            m.card(format!(
                "[\"image\",{{\"src\":{},\"width\":2000,\"height\":1333,\"caption\":{},\"alt\":{}}}]",
                js(&img.url()),
                js(&img.caption),
                js(&img.alt)
            ));
        } else if x < 80 {
            m.card(format!("[\"html\",{{\"html\":{}}}]", js(&html_card(img))));
        } else if x < 90 {
            let md = format!(
                "## {}\n\n{}\n\n![{}]({})\n\n{}",
                r.text(4),
                r.text(25),
                img.alt,
                img.url(),
                r.text(25)
            );
            m.card(format!("[\"markdown\",{{\"markdown\":{}}}]", js(&md)));
        } else {
            m.paragraph(r, Some(&img.url()));
        }
    }
    if r.chance(0.5) {
        let u = unsplash(r);
        m.card(format!(
            "[\"image\",{{\"src\":{},\"caption\":\"Photo by Unsplash\"}}]",
            js(&u)
        ));
    }
    while m.size() < p.target {
        para(r, &mut m);
    }
    let doc = m.finish();
    if r.chance(0.2) {
        doc.replace('/', "\\/")
    } else {
        doc
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Lexical,
    Mobiledoc,
}

impl Kind {
    fn cell(self) -> CellKind {
        match self {
            Kind::Html => CellKind::Html,
            Kind::Lexical => CellKind::Lexical,
            Kind::Mobiledoc => CellKind::Mobiledoc,
        }
    }
    fn column(self) -> &'static str {
        match self {
            Kind::Html => "html",
            Kind::Lexical => "lexical",
            Kind::Mobiledoc => "mobiledoc",
        }
    }
}

/// Post `i`'s document of one kind. `with_urls`: None draws it (90% of posts have site images).
fn doc(kind: Kind, i: usize, with_urls: Option<bool>) -> String {
    let mut r = Rng::new(SEED ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let with_urls = with_urls.unwrap_or_else(|| !r.chance(0.1));
    let salt = match kind {
        Kind::Html => 1,
        Kind::Lexical => 2,
        Kind::Mobiledoc => 3,
    };
    let mut r = Rng::new(r.next() ^ salt);
    let p = post(&mut r, i, with_urls);
    match kind {
        Kind::Html => html_doc(&mut r, &p),
        Kind::Lexical => lexical_doc(&mut r, &p),
        Kind::Mobiledoc => mobiledoc_doc(&mut r, &p),
    }
}

/// Cells to plan: (kind, stored value).
type Corpus = Vec<(Kind, String)>;

fn corpus(kinds: Option<Kind>, posts: usize, with_urls: Option<bool>) -> Corpus {
    let mut out = Vec::new();
    for i in 0..posts {
        match kinds {
            Some(k) => out.push((k, doc(k, i, with_urls))),
            None => {
                out.push((Kind::Html, doc(Kind::Html, i, with_urls)));
                // Ghost 5+ posts store lexical; posts from older Ghost keep mobiledoc.
                let json = if i % 5 == 4 {
                    Kind::Mobiledoc
                } else {
                    Kind::Lexical
                };
                out.push((json, doc(json, i, with_urls)));
            }
        }
    }
    out
}

fn site_map() -> UrlMap {
    let site = Site::parse(SITE).expect("site URL");
    let sp = Prefix::Absolute {
        scheme: None,
        host: site.host.clone(),
        port: site.port,
        path: site.subdir.clone(),
    };
    UrlMap::new(
        Prefix::parse("--from", FROM, Some(&sp)).expect("--from"),
        Prefix::parse("--to", TO, Some(&sp)).expect("--to"),
        Some(&site),
        &MatchOptions::default(),
    )
    .expect("map")
}

fn metas() -> [ColumnMeta; 3] {
    [Kind::Html, Kind::Lexical, Kind::Mobiledoc].map(|k| ColumnMeta {
        name: k.column().to_string(),
        kind: k.cell(),
        limit: None,
    })
}

fn meta(metas: &[ColumnMeta; 3], k: Kind) -> &ColumnMeta {
    match k {
        Kind::Html => &metas[0],
        Kind::Lexical => &metas[1],
        Kind::Mobiledoc => &metas[2],
    }
}

/// Plans every cell; returns (changed, refused) counts.
fn plan_all(map: &UrlMap, metas: &[ColumnMeta; 3], cells: Corpus) -> (usize, usize) {
    let (mut changed, mut refused) = (0, 0);
    for (k, v) in cells {
        match rewrite_cell(map, "posts", meta(metas, k), "bench", v) {
            Ok(Some(c)) => {
                changed += 1;
                black_box(c);
            }
            Ok(None) => {}
            Err(p) => {
                refused += 1;
                black_box(p);
            }
        }
    }
    (changed, refused)
}

fn engine(c: &mut Criterion) {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let posts = if bench_mode { 48 } else { 3 };
    let map = site_map();
    let metas = metas();
    let kinds = [
        ("html", Some(Kind::Html)),
        ("lexical", Some(Kind::Lexical)),
        ("mobiledoc", Some(Kind::Mobiledoc)),
        ("mix", None),
    ];
    for (group, with_urls, id_kinds) in [
        ("no_match", Some(false), &kinds[..]),
        ("match", Some(true), &kinds[..]),
        ("realistic", None, &kinds[3..]),
    ] {
        let mut g = c.benchmark_group(group);
        for &(name, kind) in id_kinds {
            let cells = corpus(kind, posts, with_urls);
            let bytes: usize = cells.iter().map(|(_, v)| v.len()).sum();
            for (k, v) in &cells {
                if *k != Kind::Html {
                    serde_json::from_str::<serde_json::Value>(v).expect("generated JSON parses");
                }
            }
            let (changed, refused) = plan_all(&map, &metas, cells.clone());
            eprintln!(
                "{group}/{name}: {} cells, {bytes} bytes (mean {} B), {changed} changed, {refused} refused",
                cells.len(),
                bytes / cells.len()
            );
            match with_urls {
                Some(false) => assert_eq!((changed, refused), (0, 0), "{group}/{name}"),
                Some(true) => assert!(changed > 0, "{group}/{name}: nothing changed"),
                None => {}
            }
            g.throughput(Throughput::Bytes(bytes as u64));
            g.bench_function(name, |b| {
                b.iter_batched(
                    || cells.clone(),
                    |cells| plan_all(&map, &metas, cells),
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .plotting_backend(PlottingBackend::None)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = engine
}
criterion_main!(benches);
