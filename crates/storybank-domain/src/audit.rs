//! The audit trail's vocabulary: who did what, when, to which object. An entry never holds story
//! text: its detail is built from codes, ids and numbers only (see [`AuditEvent`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::vocab::vocabulary;

vocabulary!(
    /// What happened. The codes are stable: they are stored and exported.
    AuditAction, "audit action", {
        /// A person logged in.
        LogIn => "log_in",
        /// A log-in was refused (wrong name or password, or a disabled account). Tries refused by
        /// the rate limiter are not recorded, so a flood of them cannot flood the trail.
        LogInFailed => "log_in_failed",
        /// A person logged out.
        LogOut => "log_out",
        /// Someone read a story whose consent keeps it inside the curation team (or that has none).
        ViewInternal => "view_internal",
        /// A story's consent was recorded, changed or removed.
        ConsentChanged => "consent_changed",
        /// A redaction was applied to a story.
        Redaction => "redaction",
        /// A story moved through curation (not withdrawal: that has its own code).
        StatusChanged => "status_changed",
        /// A story was withdrawn.
        Withdrawn => "withdrawn",
        /// A story was erased.
        Erased => "erased",
        /// An insight pack version was published.
        PackPublished => "pack_published",
        /// An insight pack was exported.
        PackExported => "pack_exported",
        /// An API token was created.
        TokenCreated => "token_created",
        /// An API token was revoked.
        TokenRevoked => "token_revoked",
        /// An account was created.
        UserAdded => "user_added",
        /// An account's roles changed.
        RolesChanged => "roles_changed",
        /// An account was disabled or enabled.
        UserDisabled => "user_disabled",
        /// An account's password was set.
        PasswordChanged => "password_changed",
        /// A backup was made.
        Backup => "backup",
        /// The archive was restored from a backup.
        Restore => "restore",
    }
);

impl AuditAction {
    /// What a person reads, e.g. "Logged in".
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::LogIn => "Logged in",
            AuditAction::LogInFailed => "Log-in refused",
            AuditAction::LogOut => "Logged out",
            AuditAction::ViewInternal => "Viewed an internal story",
            AuditAction::ConsentChanged => "Changed consent",
            AuditAction::Redaction => "Redacted",
            AuditAction::StatusChanged => "Changed status",
            AuditAction::Withdrawn => "Withdrew a story",
            AuditAction::Erased => "Erased a story",
            AuditAction::PackPublished => "Published a pack",
            AuditAction::PackExported => "Exported a pack",
            AuditAction::TokenCreated => "Created an API token",
            AuditAction::TokenRevoked => "Revoked an API token",
            AuditAction::UserAdded => "Added an account",
            AuditAction::RolesChanged => "Changed roles",
            AuditAction::UserDisabled => "Disabled or enabled an account",
            AuditAction::PasswordChanged => "Set a password",
            AuditAction::Backup => "Made a backup",
            AuditAction::Restore => "Restored a backup",
        }
    }
}

/// One thing to record: the action, the object it concerns (a story, pack, account or token id)
/// and a short detail made of codes and numbers (e.g. `internal -> public`, `version 2 as csv`).
///
/// The detail is built by the archive from typed values, never from what a person typed into a
/// story, so the log can be shown to admins and exported without disclosing any story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// What happened.
    pub action: AuditAction,
    /// The object's id, if any.
    pub object: Option<String>,
    /// Codes and numbers only.
    pub detail: String,
}

impl AuditEvent {
    /// An event about `object`.
    pub fn new(action: AuditAction, object: impl ToString, detail: impl Into<String>) -> Self {
        Self { action, object: Some(object.to_string()), detail: detail.into() }
    }

    /// Who an entry names: the account, or for entries without one, the command line (or, for a
    /// refused log-in, nobody logged in).
    pub fn actor_label(action: AuditAction, actor: Option<&str>) -> String {
        match (actor, action) {
            (Some(name), _) => name.to_owned(),
            (None, AuditAction::LogInFailed) => "(not logged in)".to_owned(),
            (None, _) => "(command line)".to_owned(),
        }
    }

    /// An event about no particular object.
    pub fn general(action: AuditAction, detail: impl Into<String>) -> Self {
        Self { action, object: None, detail: detail.into() }
    }
}

/// One stored entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its position in the log (1, 2, ...).
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: an account's name, or `None` for the command line.
    pub actor: Option<String>,
    /// What.
    pub action: AuditAction,
    /// To what.
    pub object: Option<String>,
    /// Codes and numbers.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_codes_are_distinct() {
        let mut codes = std::collections::BTreeSet::new();
        for &action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()).unwrap(), action);
            assert!(codes.insert(action.as_str()), "{action} twice");
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
        assert!(AuditAction::parse("drop table").is_err());
    }
}
