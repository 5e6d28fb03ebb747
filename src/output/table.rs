//! Human rendering of reports: aligned tables (comfy-table), counts first, sample diffs after.

use super::Output;
use crate::journal::Run;
use crate::journal::rollback::RollbackReport;
use crate::rewrite::report::Report;
use crate::url::Form;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use console::Style;

fn table(out: &Output, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if !out.color() {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(|h| Cell::new(*h)));
    t
}

/// A sample on one terminal line: line breaks and tabs inside it shown as `\n`, `\r`, `\t`.
fn one_line(s: &str) -> String {
    s.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

fn num(n: u64) -> Cell {
    Cell::new(n).set_alignment(CellAlignment::Right)
}

/// The rewrite report: per column, then forms, samples, problems and warnings.
pub fn print_rewrite(out: &Output, r: &Report) {
    let what = format!("{} -> {}\ndatabase: {}", r.from, r.to, r.database);
    out.println(&match r.dry_run {
        true => format!("Dry run: nothing was written.\n{what}"),
        false => format!("Rewrite applied.\n{what}"),
    });
    let mut header = vec![
        "table.column",
        "rows scanned",
        "rows changing",
        "occurrences",
    ];
    header.extend(Form::ALL.iter().map(|f| f.label()));
    let mut t = table(out, &header);
    for c in r.columns.iter().filter(|c| c.rows_changed > 0) {
        let mut row = vec![
            Cell::new(format!("{}.{}", c.table, c.column)),
            num(c.rows_scanned),
            num(c.rows_changed),
            num(c.occurrences),
        ];
        row.extend(Form::ALL.iter().map(|f| num(c.forms.get(*f))));
        t.add_row(row);
    }
    let mut total = vec![
        Cell::new("total (rows counted once)"),
        Cell::new(""),
        num(r.totals.rows_changed),
        num(r.totals.occurrences),
    ];
    total.extend(Form::ALL.iter().map(|f| num(r.totals.forms.get(*f))));
    t.add_row(total);
    out.println(&t.to_string());
    let red = Style::new().red();
    let green = Style::new().green();
    for c in r.columns.iter().filter(|c| !c.samples.is_empty()) {
        out.println(&format!("\n{}.{}:", c.table, c.column));
        for s in &c.samples {
            out.println(&format!("  id {}", s.id));
            let (before, after) = (one_line(&s.before), one_line(&s.after));
            out.println(&format!("    - {}", out.style(red.clone(), &before)));
            out.println(&format!("    + {}", out.style(green.clone(), &after)));
        }
        let more = c.rows_changed.saturating_sub(c.samples.len() as u64);
        if more > 0 {
            out.println(&format!(
                "  ... and {more} more row(s) (--samples N shows more)"
            ));
        }
    }
    if !r.problems.is_empty() {
        out.println(&format!(
            "\n{} cell(s) cannot be rewritten{}:",
            r.problems.len(),
            if r.skipped_unsafe > 0 {
                " (left as they are)"
            } else {
                ""
            }
        ));
        for p in &r.problems {
            out.println(&format!("  {p}"));
        }
    }
    for w in &r.warnings {
        out.warn(w);
    }
    if let Some(id) = &r.run_id {
        out.println(&format!(
            "\nrun {id}: {} occurrence(s) in {} row(s). Undo with: ghost-migrate rollback {id}",
            r.totals.occurrences, r.totals.rows_changed
        ));
    } else if r.totals.cells_changed == 0 {
        out.println("\nNothing to change.");
    }
}

/// `runs`: one line per run.
pub fn print_runs(out: &Output, runs: &[Run]) {
    if runs.is_empty() {
        out.println("No runs recorded in this database.");
        return;
    }
    let mut t = table(
        out,
        &[
            "run",
            "kind",
            "status",
            "started",
            "from -> to",
            "rows",
            "occurrences",
            "rolled back by",
        ],
    );
    for r in runs {
        t.add_row(vec![
            Cell::new(&r.id),
            Cell::new(match &r.rolls_back {
                Some(x) => format!("{} of {x}", r.kind),
                None => r.kind.clone(),
            }),
            Cell::new(&r.status),
            Cell::new(&r.started_at),
            Cell::new(format!(
                "{} -> {}",
                r.from.as_deref().unwrap_or("-"),
                r.to.as_deref().unwrap_or("-")
            )),
            num(r.rows_changed),
            num(r.occurrences),
            Cell::new(r.rolled_back_by.as_deref().unwrap_or("")),
        ]);
    }
    out.println(&t.to_string());
}

/// `runs show`: one run with its per-column counts.
pub fn print_run(out: &Output, r: &Run) {
    out.println(&format!(
        "run {}\n  kind: {}{}\n  status: {}\n  started: {}\n  finished: {}\n  tool: ghost-migrate {}\n  from: {}\n  to: {}\n  rows changed: {}\n  cells changed: {}\n  occurrences: {}\n  rolled back by: {}",
        r.id,
        r.kind,
        r.rolls_back.as_ref().map(|x| format!(" of {x}")).unwrap_or_default(),
        r.status,
        r.started_at,
        r.finished_at.as_deref().unwrap_or("-"),
        r.tool_version,
        r.from.as_deref().unwrap_or("-"),
        r.to.as_deref().unwrap_or("-"),
        r.rows_changed,
        r.cells_changed,
        r.occurrences,
        r.rolled_back_by.as_deref().unwrap_or("-"),
    ));
    if let Some(serde_json::Value::Array(cols)) = &r.counts {
        let mut t = table(out, &["table.column", "rows changed", "occurrences"]);
        for c in cols {
            let g = |k: &str| c.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            t.add_row(vec![
                Cell::new(format!(
                    "{}.{}",
                    c.get("table").and_then(|v| v.as_str()).unwrap_or("?"),
                    c.get("column").and_then(|v| v.as_str()).unwrap_or("?")
                )),
                num(g("rows_changed")),
                num(g("occurrences")),
            ]);
        }
        out.println(&t.to_string());
    }
}

/// The rollback report: restored cells and conflicts.
pub fn print_rollback(out: &Output, r: &RollbackReport) {
    let head = if r.dry_run {
        format!("Dry run of rolling back {}: nothing was written.", r.run_id)
    } else {
        format!("Rolled back {}.", r.run_id)
    };
    out.println(&head);
    out.println(&format!(
        "  cells to restore: {}\n  conflicts: {}",
        r.restorable,
        r.conflicts.len()
    ));
    if !r.conflicts.is_empty() {
        let mut t = table(out, &["table.column", "id", "post", "why"]);
        for c in &r.conflicts {
            t.add_row(vec![
                Cell::new(format!("{}.{}", c.table, c.column)),
                Cell::new(&c.id),
                Cell::new(c.post.as_deref().unwrap_or("")),
                Cell::new(&c.reason),
            ]);
        }
        out.println(&t.to_string());
    }
    if let Some(id) = &r.new_run_id {
        out.println(&format!(
            "rollback recorded as run {id} (it can itself be rolled back: ghost-migrate rollback {id})"
        ));
    }
    if r.settings_changed && !r.dry_run {
        out.warn("settings changed: restart Ghost so it reloads its settings cache");
    }
}

fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

/// Lines of per-file actions shown before "... and N more".
const MAX_LINES: usize = 50;

/// The sync-images summary: totals, then actions (dry run) and failures by path.
pub fn print_sync(out: &Output, r: &crate::sync::report::SyncReport) {
    let t = &r.totals;
    let title = if r.dry_run {
        "Dry run: nothing was uploaded or deleted."
    } else if r.interrupted {
        "Interrupted: no new uploads were started; finished uploads are kept (run again to resume)."
    } else {
        "Sync done."
    };
    out.println(&format!(
        "{title}\n{} -> s3://{}/{}",
        r.content_dir, r.bucket, r.prefix
    ));
    let mut tb = table(out, &["", "files", "bytes"]);
    let verb = |dry: &str, done: &str| {
        if r.dry_run {
            dry.to_string()
        } else {
            done.to_string()
        }
    };
    tb.add_row(vec![
        Cell::new("local files"),
        num(t.local_files),
        Cell::new(human_bytes(t.local_bytes)),
    ]);
    tb.add_row(vec![
        Cell::new("identical in bucket (skipped)"),
        num(t.identical),
        Cell::new(""),
    ]);
    if r.dry_run {
        tb.add_row(vec![
            Cell::new(verb("to upload", "")),
            num(t.to_upload),
            Cell::new(human_bytes(t.to_upload_bytes)),
        ]);
    } else {
        tb.add_row(vec![
            Cell::new("uploaded"),
            num(t.uploaded),
            Cell::new(human_bytes(t.uploaded_bytes)),
        ]);
    }
    tb.add_row(vec![
        Cell::new(verb("to delete", "deleted")),
        num(if r.dry_run { t.to_delete } else { t.deleted }),
        Cell::new(""),
    ]);
    if t.only_in_bucket > 0 {
        tb.add_row(vec![
            Cell::new("only in bucket (kept; --delete removes)"),
            num(t.only_in_bucket),
            Cell::new(""),
        ]);
    }
    tb.add_row(vec![Cell::new("failed"), num(t.failed), Cell::new("")]);
    out.println(&tb.to_string());
    if r.dry_run && !r.uploads.is_empty() {
        let mut a = table(out, &["would upload", "reason", "size"]);
        for u in r.uploads.iter().take(MAX_LINES) {
            a.add_row(vec![
                Cell::new(&u.key),
                Cell::new(u.reason.label()),
                Cell::new(human_bytes(u.size)),
            ]);
        }
        out.println(&a.to_string());
        if r.uploads.len() > MAX_LINES {
            out.println(&format!(
                "... and {} more (--json lists all)",
                r.uploads.len() - MAX_LINES
            ));
        }
    }
    if !r.deletes.is_empty() {
        let head = if r.dry_run { "would delete" } else { "deleted" };
        for k in r.deletes.iter().take(MAX_LINES) {
            out.println(&format!("{head}: {k}"));
        }
        if r.deletes.len() > MAX_LINES {
            out.println(&format!(
                "... and {} more (--json lists all)",
                r.deletes.len() - MAX_LINES
            ));
        }
    }
    for w in &r.warnings {
        out.warn(&format!("{}: {}", w.path, w.reason));
    }
    for f in &r.failures {
        out.error(&format!("{}: {}", f.path, f.reason), None);
    }
    if let Some(v) = &r.variants {
        print_variants(out, v, r.dry_run);
    }
    out.notice(&format!(
        "{} hashed, {} verified by ETag, {:.1} s",
        t.hashed,
        t.verified,
        r.elapsed_ms as f64 / 1000.0
    ));
}

/// The snapshot summary.
pub fn print_snapshot(out: &Output, r: &crate::snapshot::SnapshotReport) {
    let mut t = table(out, &["snapshot", ""]);
    t.add_row(vec![Cell::new("id"), Cell::new(&r.snapshot_id)]);
    t.add_row(vec![
        Cell::new("of"),
        Cell::new(format!("{} {}", r.source.kind(), r.source.id())),
    ]);
    t.add_row(vec![
        Cell::new("arn"),
        Cell::new(r.arn.as_deref().unwrap_or("-")),
    ]);
    t.add_row(vec![Cell::new("status"), Cell::new(&r.status)]);
    if let Some(g) = r.allocated_storage_gib {
        t.add_row(vec![
            Cell::new("size"),
            Cell::new(format!("{g} GiB allocated")),
        ]);
    }
    t.add_row(vec![
        Cell::new("time"),
        Cell::new(format!("{:.1} s", r.elapsed_ms as f64 / 1000.0)),
    ]);
    if let Some(j) = &r.journal_run_id {
        t.add_row(vec![
            Cell::new("journal"),
            Cell::new(format!("recorded as run {j}")),
        ]);
    }
    out.println(&t.to_string());
}

/// The snapshots ghost-migrate made of a cluster or instance.
pub fn print_snapshots(
    out: &Output,
    src: &crate::snapshot::Source,
    items: &[crate::snapshot::SnapshotListItem],
) {
    if items.is_empty() {
        out.println(&format!(
            "No snapshots made by ghost-migrate of {}.",
            src.id()
        ));
        return;
    }
    let mut t = table(out, &["snapshot", "status", "created", "progress", "size"]);
    for i in items {
        t.add_row(vec![
            Cell::new(&i.snapshot_id),
            Cell::new(&i.status),
            Cell::new(i.created.as_deref().unwrap_or("-")),
            Cell::new(i.percent_progress.map_or("-".into(), |p| format!("{p}%"))),
            Cell::new(
                i.allocated_storage_gib
                    .map_or("-".into(), |g| format!("{g} GiB")),
            ),
        ]);
    }
    out.println(&t.to_string());
}

/// The scan inventory: groups by host and root, forms, columns, then suggested rewrites.
pub fn print_scan(out: &Output, inv: &crate::inventory::Inventory) {
    out.println(&format!(
        "URLs in {} (site: {})",
        inv.database,
        inv.site_url
            .as_deref()
            .unwrap_or("unknown; pass --site-url")
    ));
    let mut header = vec!["host", "path root", "occurrences"];
    header.extend(Form::ALL.iter().map(|f| f.label()));
    header.push("examples");
    let mut t = table(out, &header);
    for g in &inv.groups {
        let mut row = vec![Cell::new(&g.host), Cell::new(&g.root), num(g.occurrences)];
        row.extend(Form::ALL.iter().map(|f| num(g.forms.get(*f))));
        row.push(Cell::new(g.examples.join(", ")));
        t.add_row(row);
    }
    out.println(&t.to_string());
    out.println("Per column (URLs of every host above):");
    let mut header = vec!["table.column", "rows", "occurrences"];
    header.extend(Form::ALL.iter().map(|f| f.label()));
    let mut c = table(out, &header);
    for col in &inv.columns {
        let mut row = vec![
            Cell::new(format!("{}.{}", col.table, col.column)),
            num(col.rows),
            num(col.occurrences),
        ];
        row.extend(Form::ALL.iter().map(|f| num(col.forms.get(*f))));
        c.add_row(row);
    }
    out.println(&c.to_string());
    if !inv.suggestions.is_empty() {
        out.println(
            "Suggested next steps (add the --db or --ghost-config this scan used; through cargo, `cargo run --release --` for `ghost-migrate`):",
        );
        for s in &inv.suggestions {
            out.println(&format!("  {s}"));
        }
    }
    for w in &inv.warnings {
        out.warn(w);
    }
}

/// The verify result: counts, then missing objects by key with the posts that use them.
pub fn print_verify(out: &Output, r: &crate::verify::VerifyReport) {
    use crate::verify::MissingClass;
    out.println(&format!(
        "Checked {} references ({} distinct objects) matching {} against s3://{}/{}",
        r.references, r.distinct_keys, r.matched, r.bucket, r.prefix
    ));
    out.println(&format!(
        "present: {}   missing: {} ({} size variants)",
        r.present,
        r.missing.len(),
        r.missing_size_variants
    ));
    if !r.missing.is_empty() {
        let mut t = table(out, &["missing key", "why / fix", "referenced by"]);
        for m in &r.missing {
            let why = match m.class {
                MissingClass::NotSynced => "local file exists: run sync-images",
                MissingClass::Gone => {
                    "no local file: the image is gone (restore it or edit the post)"
                }
                MissingClass::SizeVariant => {
                    "size variant Ghost makes on request: sync-images --variants makes and uploads it"
                }
            };
            let refs: Vec<String> = m
                .referenced_by
                .iter()
                .map(|r| match (&r.post.slug, &r.post.status) {
                    (Some(slug), Some(st)) => format!(
                        "{} \"{}\" ({st}) {}.{}",
                        slug,
                        r.post.title.as_deref().unwrap_or(""),
                        r.place.table,
                        r.place.column
                    ),
                    _ => format!("{}#{} {}", r.place.table, r.place.id, r.place.column),
                })
                .collect();
            t.add_row(vec![
                Cell::new(&m.key),
                Cell::new(why),
                Cell::new(refs.join("\n")),
            ]);
        }
        out.println(&t.to_string());
    }
    if r.http_checked > 0 {
        out.println(&format!(
            "HTTP: {} URLs checked, {} not 200",
            r.http_checked,
            r.http_problems.len()
        ));
        for p in &r.http_problems {
            let what = match (p.status, &p.error) {
                (Some(s), _) => s.to_string(),
                (None, Some(e)) => e.clone(),
                _ => "?".into(),
            };
            out.println(&format!("  {what}  {}", p.url));
        }
    }
    if let Some(o) = &r.orphans {
        out.println(&format!(
            "orphans (nothing references them; read-only, nothing deleted): {} objects ({}) in the bucket, {} local files ({})",
            o.bucket.len(),
            human_bytes(o.bucket_bytes),
            o.local.len(),
            human_bytes(o.local_bytes)
        ));
        for k in o.bucket.iter().take(MAX_LINES) {
            out.println(&format!("  orphan object: {k}"));
        }
        for k in o.local.iter().take(MAX_LINES) {
            out.println(&format!("  orphan file: {k}"));
        }
        if o.bucket.len() > MAX_LINES || o.local.len() > MAX_LINES {
            out.println("  ... more in --json");
        }
    }
}

/// The `--variants` part of the sync summary.
fn print_variants(out: &Output, v: &crate::variants::run::VariantReport, dry_run: bool) {
    use crate::variants::run::How;
    let theme = match (&v.theme, v.theme_sizes.is_empty()) {
        (Some(t), false) => format!("theme {t}: {}", v.theme_sizes.join(", ")),
        (Some(t), true) => format!("theme {t}: no sizes read"),
        (None, _) => "no active theme".into(),
    };
    out.println(&format!("\nResponsive variants ({}; {theme}):", v.source));
    let count = |h: How| v.made.iter().filter(|m| m.how == Some(h)).count() as u64;
    let mut tb = table(out, &["variants", "count"]);
    tb.add_row(vec![
        Cell::new("wanted: named by stored URLs"),
        num(v.referenced),
    ]);
    tb.add_row(vec![
        Cell::new("wanted: theme sizes of referenced images"),
        num(v.from_theme),
    ]);
    tb.add_row(vec![
        Cell::new("wanted: the site icon's w256h256 (Ghost's favicon link)"),
        num(v.internal),
    ]);
    tb.add_row(vec![Cell::new("already in the bucket"), num(v.in_bucket)]);
    if dry_run {
        tb.add_row(vec![
            Cell::new("in Ghost's local size/ files (the sync uploads them)"),
            num(v.synced_from_local),
        ]);
        tb.add_row(vec![
            Cell::new("to make and upload"),
            num(v.made.len() as u64),
        ]);
    } else {
        tb.add_row(vec![
            Cell::new("uploaded from Ghost's local size/ files"),
            num(count(How::LocalFile)),
        ]);
        tb.add_row(vec![Cell::new("resized here"), num(count(How::Resized))]);
        tb.add_row(vec![
            Cell::new("the original's bytes (Ghost serves the original)"),
            num(count(How::Original)),
        ]);
        tb.add_row(vec![
            Cell::new("made by the running Ghost"),
            num(count(How::Ghost)),
        ]);
    }
    tb.add_row(vec![
        Cell::new("could not be made"),
        num(v.failed.len() as u64),
    ]);
    out.println(&tb.to_string());
    if dry_run {
        for m in v.made.iter().take(MAX_LINES) {
            out.println(&format!(
                "would make: {} ({})",
                m.key,
                m.note.as_deref().unwrap_or("")
            ));
        }
        if v.made.len() > MAX_LINES {
            out.println(&format!(
                "... and {} more (--json lists all)",
                v.made.len() - MAX_LINES
            ));
        }
    }
    for w in &v.warnings {
        out.warn(&format!("{}: {}", w.path, w.reason));
    }
    for f in &v.failed {
        out.error(&format!("variant {}: {}", f.path, f.reason), None);
    }
}

/// `redirects`: the rules themselves on stdout (notes on stderr), or, with `--out`, what was
/// written and for which hosts.
pub fn print_redirects(out: &Output, r: &crate::redirects::RedirectsReport) {
    let Some(file) = &r.out else {
        out.write_raw(r.text.as_bytes());
        for n in &r.notes {
            out.notice(&format!("note: {n}"));
        }
        return;
    };
    out.println(&format!(
        "Wrote {file}: {}, /content/images|media|files/ -> {}",
        r.format.label(),
        r.cdn_url
    ));
    if !r.hosts.is_empty() {
        let mut t = table(out, &["old host", "paths", "found in"]);
        for h in &r.hosts {
            t.add_row(vec![
                Cell::new(&h.host),
                Cell::new(format!("{}(images|media|files)/", h.prefix)),
                Cell::new(h.found_in()),
            ]);
        }
        out.println(&t.to_string());
    }
    for n in &r.notes {
        out.println(&format!("note: {n}"));
    }
}

/// `plan`: the plan file's text on stdout (without --out), the reasons and findings on stderr
/// as notices when it was written to a file.
pub fn print_plan(out: &Output, r: &crate::plan::PlanReport) {
    match &r.written_to {
        None => out.write_raw(r.text.as_bytes()),
        Some(p) => {
            out.println(&format!("Plan written to {p} (strategy: {}).", r.strategy));
            for why in &r.reasons {
                out.println(&format!("  - {why}"));
            }
            for f in &r.findings {
                out.println(&format!("  {}: {}", f.severity.to_uppercase(), f.message));
            }
            out.println(&format!("Review it, then: ghost-migrate run {p}"));
        }
    }
}

/// `run`: one line per step, then what changed, the rollback commands and the snapshot.
pub fn print_runbook(out: &Output, r: &crate::runbook::RunbookReport) {
    out.println("");
    let head = match (&r.runbook_id, r.dry_run) {
        (_, true) => format!("Dry run of {}: nothing was run.", r.plan),
        (Some(id), false) => format!("Run {id} of {}:", r.plan),
        (None, false) => format!("{}:", r.plan),
    };
    out.println(&head);
    let mut t = table(out, &["step", "status", "detail"]);
    for s in &r.steps {
        t.add_row(vec![
            Cell::new(s.step.name()),
            Cell::new(&s.status),
            Cell::new(step_detail(&s.detail)),
        ]);
    }
    out.println(&t.to_string());
    if let Some(s) = &r.snapshot {
        out.println(&format!("snapshot: {s}"));
    }
    for c in &r.rollback {
        out.println(&format!("undo: {c}"));
    }
}

/// A step's detail in a few words.
fn step_detail(d: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    for k in ["backup", "snapshot_id", "mode", "note", "command", "by"] {
        if let Some(v) = d.get(k).and_then(|v| v.as_str()) {
            parts.push(format!("{k}: {v}"));
            break;
        }
    }
    if let Some(t) = d.get("totals") {
        let n = |k: &str| t.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
        if t.get("uploaded").is_some() {
            parts.push(format!(
                "{} uploaded, {} unchanged",
                n("uploaded"),
                n("skipped")
            ));
        }
    }
    if let Some(ps) = d.get("passes").and_then(|v| v.as_array()) {
        for p in ps {
            let n = |k: &str| p.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
            parts.push(format!(
                "{} -> {}: {} occurrence(s) in {} row(s)",
                p.get("from").and_then(|v| v.as_str()).unwrap_or(""),
                p.get("to").and_then(|v| v.as_str()).unwrap_or(""),
                n("occurrences"),
                n("rows_changed")
            ));
        }
    }
    if let Some(m) = d.get("missing").and_then(|v| v.as_array()) {
        parts.push(format!("{} missing", m.len()));
    }
    if let Some(e) = d.get("error").and_then(|v| v.as_str()) {
        parts.push(e.to_string());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sample_stays_on_one_line() {
        assert_eq!(
            super::one_line("a.jpg 600w,\n\tb.jpg\r"),
            "a.jpg 600w,\\n\\tb.jpg\\r"
        );
    }
}
