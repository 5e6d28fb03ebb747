//! The rewrite report as a markdown document (`rewrite --report FILE.md`).

use crate::rewrite::report::Report;

/// The report as Markdown (for `--report FILE.md`).
pub fn markdown(r: &Report) -> String {
    use crate::url::Form;
    let mut s = format!(
        "# ghost-migrate rewrite {}\n\n- from: `{}`\n- to: `{}`\n- database: `{}`\n- run: {}\n\n",
        if r.dry_run { "(dry run)" } else { "(applied)" },
        r.from,
        r.to,
        r.database,
        r.run_id.as_deref().unwrap_or("-")
    );
    s.push_str("| table.column | rows scanned | rows changing | occurrences |");
    for f in Form::ALL {
        s.push_str(&format!(" {} |", f.label()));
    }
    s.push_str("\n|---|---:|---:|---:|");
    s.push_str(&"---:|".repeat(Form::ALL.len()));
    s.push('\n');
    for c in r.columns.iter().filter(|c| c.rows_changed > 0) {
        s.push_str(&format!(
            "| `{}.{}` | {} | {} | {} |",
            c.table, c.column, c.rows_scanned, c.rows_changed, c.occurrences
        ));
        for f in Form::ALL {
            s.push_str(&format!(" {} |", c.forms.get(f)));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "\n**Total:** {} occurrence(s) in {} row(s), {} cell(s).\n",
        r.totals.occurrences, r.totals.rows_changed, r.totals.cells_changed
    ));
    for c in r.columns.iter().filter(|c| !c.samples.is_empty()) {
        s.push_str(&format!("\n## `{}.{}`\n\n", c.table, c.column));
        for x in &c.samples {
            s.push_str(&format!(
                "- id `{}`\n  ```diff\n  - {}\n  + {}\n  ```\n",
                x.id, x.before, x.after
            ));
        }
    }
    if !r.problems.is_empty() {
        s.push_str("\n## Cells that cannot be rewritten\n\n");
        for p in &r.problems {
            s.push_str(&format!(
                "- `{}.{}` id `{}`: {}\n",
                p.table, p.column, p.id, p.reason
            ));
        }
    }
    if !r.warnings.is_empty() {
        s.push_str("\n## Warnings\n\n");
        for w in &r.warnings {
            s.push_str(&format!("- {w}\n"));
        }
    }
    s
}
