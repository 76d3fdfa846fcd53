//! Accounts and sessions.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use storybank_domain::{Roles, User, UserId, UserName};

use crate::rows::Columns;
use crate::stories::timestamp;
use crate::{Store, StoreError};

/// An API token as the store keeps it (without its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's id (not the secret).
    pub id: uuid::Uuid,
    /// Whose it is.
    pub user: UserId,
    /// Their user name.
    pub user_name: String,
    /// What it is for, e.g. "evidence dashboard".
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

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

    /// Stores an API token (its hash) for `user`.
    pub fn insert_token(&mut self, token: &TokenRecord, token_hash: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(
                "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                token.id.to_string(),
                token.user.to_string(),
                token_hash,
                token.label,
                timestamp(token.created_at)
            ])?;
        Ok(())
    }

    /// The user a live token belongs to: not revoked, and the user not disabled.
    pub fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0"
        );
        let row = self.connection.prepare_cached(&sql)?.query_row([token_hash], read_user).optional()?;
        row.map(parse_user).transpose()
    }

    /// Revokes a token. Returns false when there is no such live token.
    pub fn revoke_token(&mut self, id: uuid::Uuid) -> Result<bool, StoreError> {
        let changed = self
            .connection
            .prepare_cached("UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")?
            .execute(params![id.to_string(), timestamp(Utc::now())])?;
        Ok(changed == 1)
    }

    /// Every token (hashes not included), newest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut statement = self.connection.prepare_cached(
            "SELECT t.id, t.user_id, u.name, t.label, t.created_at, t.revoked_at FROM api_tokens t \
             JOIN users u ON u.id = t.user_id ORDER BY t.created_at DESC, t.id DESC",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut tokens = Vec::new();
        for row in rows {
            let (id, user, user_name, label, created_at, revoked_at) = row?;
            let columns = Columns { id: &id };
            tokens.push(TokenRecord {
                id: uuid::Uuid::parse_str(&id).map_err(|err| columns.corrupt("id", err))?,
                user: columns.parse("user_id", &user, UserId::parse)?,
                user_name,
                label,
                created_at: columns.time("created_at", &created_at)?,
                revoked_at: revoked_at.map(|raw| columns.time("revoked_at", &raw)).transpose()?,
            });
        }
        Ok(tokens)
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
