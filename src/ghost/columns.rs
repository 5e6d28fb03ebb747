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
