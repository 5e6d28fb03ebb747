//! Unit tests of the HTML report: escaping, the cap message, an empty report, the extras.

use super::*;
use crate::cell::Problem;
use crate::ghost::columns::CellKind;
use crate::rewrite::report::{ColumnReport, Totals};
use crate::rewrite::rows::{ChangedRows, UrlPair};

const EVIL: &str = r#"</style><script>alert("x")</script>'"&amp;<img src=x onerror=alert(1)>"#;

fn report() -> Report {
    Report {
        schema: 1,
        command: "rewrite",
        dry_run: true,
        database: "/srv/ghost/content/data/ghost.db".into(),
        engine: crate::db::Engine::Sqlite,
        from: "https://blog.example.com/content/images/".into(),
        to: "https://cdn.example.com/content/images/".into(),
        site_url: Some("https://blog.example.com".into()),
        run_id: None,
        totals: Totals::default(),
        columns: Vec::new(),
        problems: Vec::new(),
        unknown_columns: Vec::new(),
        unresolved_ghost_url: 0,
        absolute_to: None,
        absolute_instead: Vec::new(),
        outside_subdir: 0,
        skipped_unsafe: 0,
        settings_changed: false,
        warnings: Vec::new(),
        timings: Default::default(),
        changed_rows: Some(ChangedRows::default()),
    }
}

fn row(table: &str, id: &str, old: &str, new: &str) -> ChangedRow {
    ChangedRow {
        table: table.into(),
        id: id.into(),
        post_slug: None,
        post_title: None,
        name: None,
        urls: vec![UrlPair {
            old: old.into(),
            new: new.into(),
            columns: vec!["html".into()],
            occurrences: 1,
        }],
    }
}

/// The page without its `<head>` (our own style and script).
fn body(page: &str) -> &str {
    &page[page.find("<body>").expect("a body")..]
}

#[test]
fn values_from_the_database_render_as_text() {
    let mut r = report();
    r.database = EVIL.into();
    r.warnings.push(EVIL.into());
    r.problems.push(Problem {
        table: "posts".into(),
        column: "lexical".into(),
        id: EVIL.into(),
        reason: EVIL.into(),
        slug: Some(EVIL.into()),
    });
    let mut x = row(
        "posts",
        "1",
        &format!("https://blog.example.com/content/images/a\"b'<c>{EVIL}.jpg"),
        "https://cdn.example.com/content/images/a\"b'<c>.jpg",
    );
    x.post_title = Some(EVIL.into());
    x.post_slug = Some(EVIL.into());
    r.changed_rows.as_mut().unwrap().rows.push(x);
    r.columns.push(ColumnReport {
        table: EVIL.into(),
        column: EVIL.into(),
        kind: CellKind::Html,
        rows_scanned: 1,
        rows_changed: 1,
        occurrences: 1,
        forms: Default::default(),
        samples: Vec::new(),
    });
    let page = html(&r, &HtmlExtra::default());
    // One style and one script element, both ours, in the head; nothing from the values.
    assert_eq!(page.matches("<style").count(), 1, "{page}");
    assert_eq!(page.matches("</style>").count(), 1);
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("</script>").count(), 1);
    let b = body(&page);
    assert!(!b.contains("<script"));
    assert!(!b.contains("<img src=x"));
    assert!(!b.contains("<c>"));
    assert!(b.contains(
        "&lt;/style&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;amp;"
    ));
    // An attribute value cannot be left: every quote inside one is escaped.
    assert!(b.contains(r#"src="https://blog.example.com/content/images/a&quot;b&#39;&lt;c&gt;"#));
    // The title shows in the page title escaped, too.
    let title = &page[page.find("<title>").unwrap()..page.find("</title>").unwrap()];
    assert!(!title.contains("<script") && title.contains("&lt;/style&gt;"));
}

#[test]
fn esc_escapes_the_five_characters() {
    assert_eq!(
        esc(r#"<a href="x" title='y'>&</a>"#),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    );
    assert_eq!(esc("plain é ✓"), "plain é ✓");
}

#[test]
fn rows_past_the_cap_are_announced_with_their_number() {
    let mut r = report();
    let list = r.changed_rows.as_mut().unwrap();
    list.rows.push(row(
        "posts",
        "1",
        "https://blog.example.com/content/images/a.jpg",
        "https://cdn.example.com/content/images/a.jpg",
    ));
    list.not_listed = 12_345;
    let page = html(&r, &HtmlExtra::default());
    assert!(
        page.contains("12,345 changed row(s) are <strong>not listed</strong>"),
        "{page}"
    );
    assert!(page.contains("at most 10,000 rows and 2 MiB of URL text"));
    assert!(page.contains("(1 listed)"));

    r.changed_rows.as_mut().unwrap().not_listed = 0;
    let page = html(&r, &HtmlExtra::default());
    assert!(!page.contains("not listed"));
    assert!(page.contains("All 1 changed row(s)"));
}

#[test]
fn an_empty_report_is_a_whole_page() {
    let r = report();
    let page = html(&r, &HtmlExtra::default());
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("No problems and no warnings."));
    assert!(page.contains("Nothing was left alone."));
    assert!(page.contains("All 0 changed row(s)"));
    assert!(!page.contains("id=\"runbook\"") && !page.contains("id=\"verify\""));
    // Nothing is loaded from anywhere: no link, no external script, no font.
    for bad in ["<link", "src=\"http", "@import", "url(http", "<iframe"] {
        assert!(!page.contains(bad), "{bad}");
    }
    // Without the row list (a report built without it), the samples stand in.
    let mut r = report();
    r.changed_rows = None;
    assert!(html(&r, &HtmlExtra::default()).contains("made without the row list"));
}

#[test]
fn the_csp_pins_the_inline_style_and_script() {
    let page = html(&report(), &HtmlExtra::default());
    assert!(page.contains(&format!("style-src 'sha256-{}'", sha256_b64(CSS))));
    assert!(page.contains(&format!("script-src 'sha256-{}'", sha256_b64(JS))));
    assert!(page.contains(&format!("<style>{CSS}</style><script>{JS}</script>")));
}

#[test]
fn images_are_resolved_for_display_only() {
    let site = Some("https://example.com/blog");
    for (url, want) in [
        (
            "https://cdn.example/a.jpg",
            Some("https://cdn.example/a.jpg"),
        ),
        (
            "__GHOST_URL__/content/images/a.jpg",
            Some("https://example.com/blog/content/images/a.jpg"),
        ),
        (
            "/blog/content/images/a.jpg",
            Some("https://example.com/blog/content/images/a.jpg"),
        ),
        (
            "//example.com/blog/content/images/a.jpg",
            Some("https://example.com/blog/content/images/a.jpg"),
        ),
        ("javascript:alert(1)", None),
        ("content/images/a.jpg", None),
    ] {
        assert_eq!(display_src(url, site).as_deref(), want, "{url}");
    }
    assert_eq!(display_src("/content/images/a.jpg", None), None);
    assert_eq!(
        display_src("//h/a.jpg", Some("http://x")).as_deref(),
        Some("http://h/a.jpg")
    );
    assert!(is_image("https://x/a.JPG?v=1") && !is_image("https://x/a.mp4"));
    // Not an image, or not resolvable: a placeholder instead of an <img>.
    let mut r = report();
    r.site_url = None;
    r.changed_rows.as_mut().unwrap().rows.push(row(
        "posts",
        "1",
        "/content/images/a.jpg",
        "https://cdn.example.com/content/media/v.mp4",
    ));
    let page = html(&r, &HtmlExtra::default());
    assert!(page.contains("no site URL to resolve it against"));
    assert!(page.contains("not an image"));
    assert!(!body(&page).contains("<img"));
}

#[test]
fn the_plan_and_verify_sections_show_when_given() {
    let v = VerifyReport {
        schema: 1,
        command: "verify",
        database: "db".into(),
        bucket: "bucket".into(),
        prefix: "content/images/".into(),
        matched: "https://cdn.example.com/content/images/".into(),
        references: 10,
        distinct_keys: 9,
        present: 8,
        missing: vec![crate::verify::Missing {
            key: "content/images/<b>.jpg".into(),
            class: MissingClass::NotSynced,
            local_file: Some("/content/images/b.jpg".into()),
            referenced_by: Vec::new(),
        }],
        missing_size_variants: 0,
        http_checked: 0,
        http_problems: Vec::new(),
        orphans: None,
        elapsed_ms: 1,
    };
    let extra = HtmlExtra {
        plan: Some(vec![("snapshot".into(), "rds:<snap>".into())]),
        verify: Some(&v),
    };
    let page = html(&report(), &extra);
    assert!(page.contains(r#"id="runbook""#) && page.contains("rds:&lt;snap&gt;"));
    assert!(page.contains(r#"id="verify""#) && page.contains("content/images/&lt;b&gt;.jpg"));
    assert!(page.contains("1 missing object(s)"));
}

#[test]
fn long_tables_are_folded_and_only_the_first_folds_are_open() {
    let mut r = report();
    let list = r.changed_rows.as_mut().unwrap();
    // 1,200 posts with one URL pair each: folds of 500 pairs, the first two open.
    for i in 0..1200 {
        list.rows.push(row(
            "posts",
            &i.to_string(),
            &format!("https://blog.example.com/content/images/{i}.jpg"),
            &format!("https://cdn.example.com/content/images/{i}.jpg"),
        ));
    }
    // A small table stays open whatever came before it.
    list.rows.push(row(
        "settings",
        "s1",
        "https://blog.example.com/content/images/logo.png",
        "https://cdn.example.com/content/images/logo.png",
    ));
    let page = html(&r, &HtmlExtra::default());
    assert!(page.contains(
        r#"<details class="group" open><summary>posts &middot; rows 1-500 of 1,200</summary>"#
    ));
    assert!(page.contains(
        r#"<details class="group" open><summary>posts &middot; rows 501-1,000 of 1,200</summary>"#
    ));
    assert!(page.contains(
        r#"<details class="group"><summary>posts &middot; rows 1,001-1,200 of 1,200</summary>"#
    ));
    assert!(
        page.contains(
            r#"<details class="group" open><summary>settings &middot; 1 row(s)</summary>"#
        )
    );
    assert_eq!(page.matches("<article class=\"row\">").count(), 1201);
}
