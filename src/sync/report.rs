//! Report data of `sync-images`: totals, every action with its reason, failures by path.

use crate::sync::walk::Skipped;
use serde::Serialize;

/// Why a file is (or would be) uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No object with this key.
    New,
    /// The object's size differs.
    SizeDiffers,
    /// Same size, different MD5/ETag.
    ContentDiffers,
    /// The object's ETag is not reproducible (SSE-KMS, another tool's part size).
    EtagUnverifiable,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::New => "new",
            Reason::SizeDiffers => "size differs",
            Reason::ContentDiffers => "content differs",
            Reason::EtagUnverifiable => "etag unverifiable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub key: String,
    pub size: u64,
    pub reason: Reason,
    /// Set once done: uploaded, or failed (see `failures`).
    pub done: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncTotals {
    pub local_files: u64,
    pub local_bytes: u64,
    pub bucket_objects: u64,
    pub identical: u64,
    pub to_upload: u64,
    pub to_upload_bytes: u64,
    pub uploaded: u64,
    pub uploaded_bytes: u64,
    /// Uploads whose returned ETag matched the local MD5.
    pub verified: u64,
    pub to_delete: u64,
    pub deleted: u64,
    /// Bucket objects with no local file, left alone (no --delete).
    pub only_in_bucket: u64,
    pub failed: u64,
    pub ignored_junk: u64,
    /// Files hashed in this run (the rest came from the hash cache or needed no hash).
    pub hashed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub schema: u32,
    pub command: &'static str,
    pub dry_run: bool,
    pub bucket: String,
    pub prefix: String,
    pub content_dir: String,
    pub interrupted: bool,
    pub totals: SyncTotals,
    pub uploads: Vec<Upload>,
    pub deletes: Vec<String>,
    pub failures: Vec<Skipped>,
    pub warnings: Vec<Skipped>,
    /// `--variants`: the responsive variants made and uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variants: Option<crate::variants::run::VariantReport>,
    pub elapsed_ms: u64,
}
