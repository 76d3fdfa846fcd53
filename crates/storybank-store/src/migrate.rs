//! Versioned schema migrations, tracked in SQLite's `user_version`. Each runs in its own
//! transaction, so a failed migration leaves the previous version intact.

use rusqlite::Connection;

use crate::StoreError;

/// The migrations, in order; the schema version is the number applied.
const MIGRATIONS: &[(&str, &str)] = &[("0001_stories", include_str!("migrations/0001_stories.sql"))];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found, known: SCHEMA_VERSION });
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let version = index as i64 + 1;
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.pragma_update(None, "user_version", version)?;
        transaction.commit()?;
        tracing::info!(migration = name, version, "applied schema migration");
    }
    Ok(())
}
