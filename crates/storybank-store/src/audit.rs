//! The audit trail: an append-only table (triggers refuse updates and deletions).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use storybank_domain::{AuditAction, AuditEntry, AuditEvent};

use crate::rows::Columns;
use crate::stories::timestamp;
use crate::{Store, StoreError};

/// Which entries to read: all filters are optional and combine with AND; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only this account's entries (`Some("")`: the command line's).
    pub actor: Option<String>,
    /// Only entries about this object id.
    pub object: Option<String>,
    /// Only entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only entries older than this sequence number (for paging back).
    pub before_seq: Option<i64>,
    /// At most this many (0: no limit).
    pub limit: usize,
}

pub(crate) fn append(
    connection: &Connection,
    actor: Option<&str>,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO audit_log (at, actor, action, object, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![timestamp(Utc::now()), actor, event.action.as_str(), event.object, event.detail])?;
    Ok(())
}

impl Store {
    /// Appends to the audit trail. `actor` is an account's name (`None`: the command line).
    pub fn audit(&self, actor: Option<&str>, event: &AuditEvent) -> Result<(), StoreError> {
        append(&self.connection, actor, event)
    }

    /// Reads the audit trail, newest first.
    pub fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql =
            String::from("SELECT seq, at, actor, action, object, detail FROM audit_log WHERE 1 = 1");
        let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        let mut conditions: Vec<(&str, Box<dyn rusqlite::ToSql>)> = Vec::new();
        if let Some(action) = filter.action {
            conditions.push(("action =", Box::new(action.as_str())));
        }
        match filter.actor.as_deref() {
            Some("") => sql.push_str(" AND actor IS NULL"),
            Some(actor) => conditions.push(("actor =", Box::new(actor.to_owned()))),
            None => {}
        }
        if let Some(object) = &filter.object {
            conditions.push(("object =", Box::new(object.clone())));
        }
        if let Some(since) = filter.since {
            conditions.push(("at >=", Box::new(timestamp(since))));
        }
        if let Some(until) = filter.until {
            conditions.push(("at <", Box::new(timestamp(until))));
        }
        if let Some(seq) = filter.before_seq {
            conditions.push(("seq <", Box::new(seq)));
        }
        for (clause, value) in conditions {
            values.push(value);
            sql.push_str(&format!(" AND {clause} ?{}", values.len()));
        }
        sql.push_str(" ORDER BY seq DESC");
        if filter.limit > 0 {
            sql.push_str(&format!(" LIMIT {}", filter.limit));
        }
        let mut statement = self.connection.prepare(&sql)?;
        let rows =
            statement.query_map(rusqlite::params_from_iter(values.iter().map(|v| v.as_ref())), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, at, actor, action, object, detail) = row?;
            let id = format!("audit entry {seq}");
            let columns = Columns { id: &id };
            entries.push(AuditEntry {
                seq,
                at: columns.time("at", &at)?,
                actor,
                action: columns.parse("action", &action, AuditAction::parse)?,
                object,
                detail,
            });
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_is_append_only_and_filters_combine() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.audit(Some("cara"), &AuditEvent::new(AuditAction::LogIn, "u1", "")).unwrap();
        store.audit(None, &AuditEvent::new(AuditAction::Erased, "s1", "2 packs")).unwrap();
        store.audit(Some("cara"), &AuditEvent::new(AuditAction::Erased, "s2", "0 packs")).unwrap();
        let all = store.audit_entries(&AuditFilter::default()).unwrap();
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2, 1]);
        let cases: Vec<(AuditFilter, Vec<i64>)> = vec![
            (AuditFilter { action: Some(AuditAction::Erased), ..Default::default() }, vec![3, 2]),
            (AuditFilter { actor: Some("cara".into()), ..Default::default() }, vec![3, 1]),
            (AuditFilter { actor: Some(String::new()), ..Default::default() }, vec![2]),
            (
                AuditFilter {
                    action: Some(AuditAction::Erased),
                    actor: Some("cara".into()),
                    ..Default::default()
                },
                vec![3],
            ),
            (AuditFilter { object: Some("s1".into()), ..Default::default() }, vec![2]),
            (AuditFilter { before_seq: Some(3), limit: 1, ..Default::default() }, vec![2]),
            (AuditFilter { until: Some(all[2].at), ..Default::default() }, vec![]),
        ];
        for (filter, expected) in cases {
            let seqs: Vec<i64> = store.audit_entries(&filter).unwrap().iter().map(|e| e.seq).collect();
            assert_eq!(seqs, expected, "{filter:?}");
        }
        for sql in ["UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"] {
            let err = store.connection.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(store.audit_entries(&AuditFilter::default()).unwrap().len(), 3);
    }
}
