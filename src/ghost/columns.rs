//! The catalogue of Ghost's URL-bearing columns (Ghost 3 to 6), from `ghost-url-fields.md`.
//! A column listed here but absent from the live schema is skipped quietly; the live schema is
//! the authority on what exists.

use serde::Serialize;

/// What a column holds; decides whether a changed value must pass the JSON proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellKind {
    /// One URL.
    Url,
    /// An HTML fragment.
    Html,
    /// Plain text that may contain URLs.
    Text,
    /// A lexical JSON document.
    Lexical,
    /// A mobiledoc JSON document.
    Mobiledoc,
    /// A value that may be JSON (settings, theme settings, email source): proven when it parses.
    MaybeJson,
}

impl CellKind {
    /// Documents that must parse as JSON before and after a rewrite.
    pub fn is_json_document(self) -> bool {
        matches!(self, CellKind::Lexical | CellKind::Mobiledoc)
    }
}

use CellKind::*;

/// (table, column, kind) for every column Ghost stores URLs in.
pub const COLUMNS: &[(&str, &str, CellKind)] = &[
    // content
    ("posts", "feature_image", Url),
    ("posts", "mobiledoc", Mobiledoc),
    ("posts", "lexical", Lexical),
    ("posts", "html", Html),
    ("posts", "plaintext", Text),
    ("posts", "custom_excerpt", Html),
    ("posts", "codeinjection_head", Html),
    ("posts", "codeinjection_foot", Html),
    ("posts", "canonical_url", Url),
    // Ghost 1.x/2.x kept these on posts; 3.0 moved them to posts_meta.
    ("posts", "og_image", Url),
    ("posts", "twitter_image", Url),
    ("posts_meta", "og_image", Url),
    ("posts_meta", "twitter_image", Url),
    ("posts_meta", "feature_image_caption", Html),
    ("posts_meta", "feature_image_alt", Text),
    ("post_revisions", "lexical", Lexical),
    ("post_revisions", "feature_image", Url),
    ("post_revisions", "feature_image_caption", Html),
    ("post_revisions", "custom_excerpt", Text),
    ("mobiledoc_revisions", "mobiledoc", Mobiledoc),
    ("snippets", "mobiledoc", Mobiledoc),
    ("snippets", "lexical", Lexical),
    // site, people, taxonomy
    ("tags", "feature_image", Url),
    ("tags", "og_image", Url),
    ("tags", "twitter_image", Url),
    ("tags", "codeinjection_head", Html),
    ("tags", "codeinjection_foot", Html),
    ("tags", "canonical_url", Url),
    ("tags", "description", Text),
    ("users", "profile_image", Url),
    ("users", "cover_image", Url),
    ("users", "website", Url),
    ("users", "bio", Text),
    ("users", "location", Text),
    ("settings", "value", MaybeJson),
    ("custom_theme_settings", "value", MaybeJson),
    ("collections", "feature_image", Url),
    ("collections", "description", Text),
    ("newsletters", "header_image", Url),
    ("newsletters", "footer_content", Html),
    ("integrations", "icon_image", Url),
    ("products", "welcome_page_url", Url),
    ("products", "description", Text),
    ("offers", "portal_description", Text),
    // email
    ("emails", "html", Html),
    ("emails", "plaintext", Text),
    ("emails", "source", MaybeJson),
    ("email_design_settings", "header_image", Url),
    ("email_design_settings", "footer_content", Html),
    ("welcome_email_automated_emails", "lexical", Lexical),
    ("automation_action_revisions", "email_lexical", Lexical),
    // links, recommendations, mentions
    ("recommendations", "url", Url),
    ("recommendations", "featured_image", Url),
    ("recommendations", "favicon", Url),
    ("recommendations", "description", Text),
    ("mentions", "source", Url),
    ("mentions", "source_featured_image", Url),
    ("mentions", "source_favicon", Url),
    ("mentions", "target", Url),
    ("mentions", "payload", MaybeJson),
    ("redirects", "to", Url),
    ("comments", "html", Html),
    // Ghost 3.x apps
    ("app_settings", "value", MaybeJson),
    ("app_fields", "value", MaybeJson),
];

/// The catalogue's kind for a column, if it lists it.
pub fn kind_of(table: &str, column: &str) -> Option<CellKind> {
    COLUMNS
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
        .map(|(_, _, k)| *k)
}

/// Tables that belong to ghost-migrate itself and are never rewritten.
pub fn is_own_table(table: &str) -> bool {
    table.starts_with("ghost_migrate_")
}

/// The column whose value decides, per row, how Ghost treats a URL column of this table
/// (`settings.key`, `custom_theme_settings.type`).
pub fn context_column(table: &str) -> Option<&'static str> {
    match table {
        "settings" => Some("key"),
        "custom_theme_settings" => Some("type"),
        _ => None,
    }
}

/// Settings keys whose value Ghost's settings model expands on read (`models/settings.js`
/// `parse()`, 4.48.9 to 6.65.0).
const EXPANDED_SETTINGS: &[&str] = &[
    "logo",
    "cover_image",
    "icon",
    "og_image",
    "twitter_image",
    "portal_button_icon",
    "pintura_js_url",
    "pintura_css_url",
];

/// Whether Ghost turns `__GHOST_URL__` back into a URL when it reads this cell, so the portable
/// form may be written there. Read from Ghost's model layer (each model's `parse()` calling
/// url-utils `transformReadyToAbsolute`) at 4.48.9, 5.130.6 and 6.65.0: the table with file and line for each column is in
/// docs/ghost-url-expansion.md. `context` is the row's `context_column` value; `major` the Ghost major
/// version from the `migrations` table (Ghost 3 and older know no `__GHOST_URL__` at all).
/// Lexical and mobiledoc are expanded as whole strings, so every key inside them is.
pub fn expands_ghost_url(
    table: &str,
    column: &str,
    context: Option<&str>,
    major: Option<u32>,
) -> bool {
    if major.is_some_and(|m| m < 4) {
        return false;
    }
    match (table, column) {
        (
            "posts",
            "feature_image" | "mobiledoc" | "lexical" | "html" | "plaintext" | "custom_excerpt"
            | "codeinjection_head" | "codeinjection_foot" | "canonical_url",
        ) => true,
        ("posts_meta", "og_image" | "twitter_image") => true,
        ("snippets", "mobiledoc" | "lexical") => true,
        (
            "tags",
            "feature_image" | "og_image" | "twitter_image" | "codeinjection_head"
            | "codeinjection_foot" | "canonical_url",
        ) => true,
        ("users", "profile_image" | "cover_image") => true,
        ("settings", "value") => context.is_some_and(|k| EXPANDED_SETTINGS.contains(&k)),
        ("custom_theme_settings", "value") => context == Some("image"),
        ("collections", "feature_image") => true,
        ("newsletters", "header_image") => true,
        ("welcome_email_automated_emails", "lexical") => true,
        ("automation_action_revisions", "email_lexical") => true,
        ("redirects", "to") => true,
        _ => false,
    }
}
