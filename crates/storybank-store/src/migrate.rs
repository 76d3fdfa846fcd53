//! Versioned schema migrations, tracked in SQLite's `user_version`. Each runs in its own
//! immediate (write-locked) transaction that re-reads the version first, so two processes opening
//! a new data directory at once apply each migration exactly once, and a failed migration leaves
//! the previous version intact.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The migrations, in order; the schema version is the number applied.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_stories", include_str!("migrations/0001_stories.sql")),
    ("0002_accounts_curation", include_str!("migrations/0002_accounts_curation.sql")),
    ("0003_packs", include_str!("migrations/0003_packs.sql")),
    ("0004_api_tokens", include_str!("migrations/0004_api_tokens.sql")),
    ("0005_erasures_audit", include_str!("migrations/0005_erasures_audit.sql")),
    ("0006_redactions", include_str!("migrations/0006_redactions.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn version(connection: &Connection) -> Result<i64, StoreError> {
    Ok(connection.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Brings the database up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    loop {
        let found = version(connection)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew { found, known: SCHEMA_VERSION });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = version(&transaction)?;
        if current == found {
            let (name, sql) = MIGRATIONS[usize::try_from(current).unwrap_or(0)];
            transaction.execute_batch(sql)?;
            transaction.pragma_update(None, "user_version", current + 1)?;
            transaction.commit()?;
            tracing::info!(migration = name, version = current + 1, "applied schema migration");
        }
    }
}
