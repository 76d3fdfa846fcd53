//! Accounts and sessions.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use storybank_domain::{Roles, User, UserId, UserName};

use crate::rows::Columns;
use crate::stories::timestamp;
use crate::{Store, StoreError};

/// A live session as the store keeps it.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    /// Whose session.
    pub user: User,
    /// The session's anti-forgery token, which every form it posts must carry.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "u.id, u.name, u.roles, u.disabled";

fn read_user(row: &Row<'_>) -> rusqlite::Result<(String, String, String, bool)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn parse_user((id, name, roles, disabled): (String, String, String, bool)) -> Result<User, StoreError> {
    let columns = Columns { id: &id };
    Ok(User {
        id: columns.parse("user id", &id, UserId::parse)?,
        name: columns.parse("user name", &name, UserName::parse)?,
        roles: columns.parse("roles", &roles, Roles::parse)?,
        disabled,
    })
}

impl Store {
    /// Adds an account. Returns false (and changes nothing) when the name is taken.
    pub fn insert_user(&mut self, user: &User, password_hash: &str) -> Result<bool, StoreError> {
        let inserted = self
            .connection
            .prepare_cached(
                "INSERT INTO users (id, name, password_hash, roles, disabled, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![
                user.id.to_string(),
                user.name.as_str(),
                password_hash,
                user.roles.to_list(),
                user.disabled,
                timestamp(Utc::now())
            ])?;
        Ok(inserted == 1)
    }

    /// The account with this name and its password hash.
    pub fn user_by_name(&self, name: &UserName) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.name = ?1");
        let row = self
            .connection
            .prepare_cached(&sql)?
            .query_row([name.as_str()], |row| Ok((read_user(row)?, row.get::<_, String>(4)?)))
            .optional()?;
        row.map(|(user, hash)| Ok((parse_user(user)?, hash))).transpose()
    }

    /// The account with this id.
    pub fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1");
        let row = self.connection.prepare_cached(&sql)?.query_row([id.to_string()], read_user).optional()?;
        row.map(parse_user).transpose()
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name");
        let mut statement = self.connection.prepare_cached(&sql)?;
        let rows = statement.query_map([], read_user)?;
        rows.map(|row| parse_user(row?)).collect()
    }

    /// Changes an account's roles. Returns false when there is no such account.
    pub fn set_roles(&mut self, id: UserId, roles: &Roles) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached("UPDATE users SET roles = ?2 WHERE id = ?1")?
            .execute(params![id.to_string(), roles.to_list()])?;
        Ok(changed == 1)
    }

    /// Disables (or re-enables) an account; disabling ends all its sessions in the same
    /// transaction. Returns false when there is no such account.
    pub fn set_disabled(&mut self, id: UserId, disabled: bool) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let changed = transaction
            .prepare_cached("UPDATE users SET disabled = ?2 WHERE id = ?1")?
            .execute(params![id.to_string(), disabled])?;
        if disabled {
            transaction
                .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
                .execute([id.to_string()])?;
        }
        transaction.commit()?;
        Ok(changed == 1)
    }

    /// Replaces an account's password hash and ends its sessions.
    pub fn set_password_hash(&mut self, id: UserId, password_hash: &str) -> Result<bool, StoreError> {
        let transaction = self.connection.transaction()?;
        let changed = transaction
            .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
            .execute(params![id.to_string(), password_hash])?;
        transaction.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?.execute([id.to_string()])?;
        transaction.commit()?;
        Ok(changed == 1)
    }

    /// Records a new session.
    pub fn insert_session(
        &mut self,
        token_hash: &str,
        user: UserId,
        csrf: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![token_hash, user.to_string(), csrf, timestamp(Utc::now()), timestamp(expires_at)])?;
        Ok(())
    }

    /// The live session with this token hash: not expired, of an account that is not disabled.
    pub fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
        );
        let row = self
            .connection
            .prepare_cached(&sql)?
            .query_row(params![token_hash, timestamp(now)], |row| {
                Ok((read_user(row)?, row.get::<_, String>(4)?, row.get::<_, String>(5)?))
            })
            .optional()?;
        row.map(|(user, csrf, expires_at)| {
            let user = parse_user(user)?;
            let expires_at = Columns { id: "session" }.time("expires_at", &expires_at)?;
            Ok(SessionRecord { user, csrf, expires_at })
        })
        .transpose()
    }

    /// Ends a session.
    pub fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
            .execute([token_hash])?;
        Ok(())
    }

    /// Forgets sessions that have ended.
    pub fn delete_expired_sessions(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self
            .connection
            .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
            .execute([timestamp(now)])?)
    }
}
