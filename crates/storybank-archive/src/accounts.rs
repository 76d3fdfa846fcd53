//! Accounts, passwords and sessions.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults, OWASP's recommended
//! minimum). A session is a random 256-bit token handed to the browser; the store keeps only its
//! BLAKE3 hash, with the session's anti-forgery (CSRF) token and its end. Disabling an account,
//! changing its password or logging out deletes the sessions at once.
//!
//! [`Accounts`] works on the store alone, so `storybank user ...` can manage accounts while the
//! server runs (SQLite lets both write); the server reads each session from the store on every
//! request, so such a change takes effect on the next request.

use std::sync::{Arc, Mutex, MutexGuard};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use storybank_domain::{AuditAction, AuditEvent, Password, Roles, User, UserId, UserName};
use storybank_store::{Readers, Store, TokenRecord};

use crate::{ArchiveError, ErrorKind};

/// How long a session lasts after logging in.
pub const SESSION_HOURS: i64 = 12;

/// A logged-in person's session.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who.
    pub user: User,
    /// The token every form this session posts must carry.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// A session just started: the secret token for the cookie, and the session.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The cookie's value (shown once; the store keeps only its hash).
    pub token: String,
    /// The session.
    pub session: Session,
}

/// Account management over the store of record.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: Arc<Mutex<Store>>,
    /// For reads that need not wait for the writer (a session on every request).
    readers: Arc<Readers>,
    /// Who the audit trail names for changes (`None`: the command line).
    actor: Option<String>,
}

/// A random 256-bit token, URL-safe base64.
pub fn random_token() -> Result<String, ArchiveError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| {
        ArchiveError::new(ErrorKind::Internal, format!("no randomness from the system: {err}"))
    })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

fn hash_password(password: &Password) -> Result<String, ArchiveError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| {
        ArchiveError::new(ErrorKind::Internal, format!("no randomness from the system: {err}"))
    })?;
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|err| ArchiveError::new(ErrorKind::Internal, format!("making a salt failed: {err}")))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| ArchiveError::new(ErrorKind::Internal, format!("hashing the password failed: {err}")))
}

/// Checks `password` against a stored hash; a hash that does not parse never matches.
fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The hash checked when the account does not exist, so that a wrong name takes as long to refuse
/// as a wrong password (no telling which names exist by timing).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RvcnliYW5rZHVtbXk$4zJ4UNvDtA1vXv2bH3jH8Gd0M7yq0e2oBqEY0ZmB2xQ";

impl Accounts {
    /// Account management on the store in `data_dir` (without the search index).
    pub fn open(data_dir: &std::path::Path) -> Result<Self, ArchiveError> {
        let store = Store::open(data_dir)?;
        Ok(Self::over(Arc::new(Mutex::new(store)), Arc::new(Readers::new(data_dir))))
    }

    pub(crate) fn over(store: Arc<Mutex<Store>>, readers: Arc<Readers>) -> Self {
        Self { store, readers, actor: None }
    }

    /// The same accounts, with changes recorded in the audit trail as made by `user` (an admin).
    pub fn acting_as(&self, user: &User) -> Self {
        Self {
            store: Arc::clone(&self.store),
            readers: Arc::clone(&self.readers),
            actor: Some(user.name.to_string()),
        }
    }

    fn record(&self, store: &Store, event: AuditEvent) -> Result<(), ArchiveError> {
        Ok(store.audit(self.actor.as_deref(), &event)?)
    }

    fn store(&self) -> Result<MutexGuard<'_, Store>, ArchiveError> {
        self.store.lock().map_err(|_| ArchiveError::new(ErrorKind::Internal, "the store lock was poisoned"))
    }

    /// Adds an account. A taken name is a conflict.
    pub fn add_user(&self, name: UserName, roles: Roles, password: &Password) -> Result<User, ArchiveError> {
        let hash = hash_password(password)?;
        let user = User { id: UserId::new(), name, roles, disabled: false };
        let mut store = self.store()?;
        if !store.insert_user(&user, &hash)? {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                format!("there is already an account named {}; choose another name", user.name),
            ));
        }
        self.record(&store, AuditEvent::new(AuditAction::UserAdded, user.id, user.roles.to_list()))?;
        tracing::info!(user = %user.name, roles = %user.roles.to_list(), "account added");
        Ok(user)
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<User>, ArchiveError> {
        Ok(self.store()?.users()?)
    }

    /// The account named `name`.
    pub fn user_named(&self, name: &UserName) -> Result<User, ArchiveError> {
        self.store()?.user_by_name(name)?.map(|(user, _)| user).ok_or_else(|| {
            ArchiveError::new(ErrorKind::NotFound, format!("there is no account named {name}"))
        })
    }

    /// Changes an account's roles.
    pub fn set_roles(&self, name: &UserName, roles: Roles) -> Result<User, ArchiveError> {
        let user = self.user_named(name)?;
        let mut store = self.store()?;
        store.set_roles(user.id, &roles)?;
        self.record(&store, AuditEvent::new(AuditAction::RolesChanged, user.id, roles.to_list()))?;
        tracing::info!(user = %name, roles = %roles.to_list(), "roles changed");
        Ok(User { roles, ..user })
    }

    /// Disables an account (ending its sessions at once) or enables it again.
    pub fn set_disabled(&self, name: &UserName, disabled: bool) -> Result<User, ArchiveError> {
        let user = self.user_named(name)?;
        let mut store = self.store()?;
        store.set_disabled(user.id, disabled)?;
        let detail = if disabled { "disabled" } else { "enabled" };
        self.record(&store, AuditEvent::new(AuditAction::UserDisabled, user.id, detail))?;
        tracing::info!(user = %name, disabled, "account {}", if disabled { "disabled" } else { "enabled" });
        Ok(User { disabled, ..user })
    }

    /// Sets a new password, ending the account's sessions.
    pub fn set_password(&self, name: &UserName, password: &Password) -> Result<(), ArchiveError> {
        let user = self.user_named(name)?;
        let hash = hash_password(password)?;
        let mut store = self.store()?;
        store.set_password_hash(user.id, &hash)?;
        self.record(&store, AuditEvent::new(AuditAction::PasswordChanged, user.id, ""))?;
        Ok(())
    }

    /// Checks a name and password and starts a session. `None` when either is wrong or the
    /// account is disabled: the same answer, so nobody learns which names exist.
    pub fn log_in(&self, name: &str, password: &str) -> Result<Option<NewSession>, ArchiveError> {
        let found = match UserName::parse(name) {
            Ok(name) => self.store()?.user_by_name(&name)?,
            Err(_) => None,
        };
        // The hash is checked outside the store lock: it takes tens of milliseconds on purpose.
        let matches = match &found {
            Some((_, hash)) => password_matches(password, hash),
            None => {
                password_matches(password, DUMMY_HASH);
                false
            }
        };
        let refused = match &found {
            None => Some(AuditEvent::general(AuditAction::LogInFailed, "unknown account")),
            Some((user, _)) if !matches => {
                Some(AuditEvent::new(AuditAction::LogInFailed, user.id, "wrong password"))
            }
            Some((user, _)) if user.disabled => {
                Some(AuditEvent::new(AuditAction::LogInFailed, user.id, "account disabled"))
            }
            Some(_) => None,
        };
        if let Some(event) = refused {
            self.store()?.audit(None, &event)?;
            return Ok(None);
        }
        let Some((user, _)) = found else { return Ok(None) };
        let token = random_token()?;
        let csrf = random_token()?;
        let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
        let mut store = self.store()?;
        store.delete_expired_sessions(Utc::now())?;
        store.insert_session(&token_hash(&token), user.id, &csrf, expires_at)?;
        store.audit(Some(user.name.as_str()), &AuditEvent::new(AuditAction::LogIn, user.id, ""))?;
        Ok(Some(NewSession { token, session: Session { user, csrf, expires_at } }))
    }

    /// The live session for a cookie's token.
    pub fn session(&self, token: &str) -> Result<Option<Session>, ArchiveError> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let record = self.readers.get()?.session(&token_hash(token), Utc::now())?;
        Ok(record.map(|record| Session {
            user: record.user,
            csrf: record.csrf,
            expires_at: record.expires_at,
        }))
    }

    /// Ends a session.
    pub fn log_out(&self, token: &str) -> Result<(), ArchiveError> {
        let mut store = self.store()?;
        let hash = token_hash(token);
        if let Some(record) = store.session(&hash, Utc::now())? {
            store.audit(
                Some(record.user.name.as_str()),
                &AuditEvent::new(AuditAction::LogOut, record.user.id, ""),
            )?;
        }
        store.delete_session(&hash)?;
        Ok(())
    }

    /// Makes an API bearer token for `name`, carrying their roles. The secret is returned once;
    /// only its hash is kept.
    pub fn create_token(&self, name: &UserName, label: &str) -> Result<(TokenRecord, String), ArchiveError> {
        let label = label.trim();
        if label.chars().count() > 100 || label.chars().any(char::is_control) {
            return Err(ArchiveError::new(
                ErrorKind::Invalid,
                "the label must be one line of at most 100 characters",
            ));
        }
        let user = self.user_named(name)?;
        if user.disabled {
            return Err(ArchiveError::new(
                ErrorKind::Conflict,
                format!("{name} is disabled: enable the account first"),
            ));
        }
        let secret = format!("sbk_{}", random_token()?);
        let record = TokenRecord {
            id: uuid::Uuid::now_v7(),
            user: user.id,
            user_name: user.name.to_string(),
            label: if label.is_empty() { "API token".to_owned() } else { label.to_owned() },
            created_at: Utc::now(),
            revoked_at: None,
        };
        let mut store = self.store()?;
        store.insert_token(&record, &token_hash(&secret))?;
        self.record(
            &store,
            AuditEvent::new(AuditAction::TokenCreated, record.id, format!("for {}", user.id)),
        )?;
        tracing::info!(token = %record.id, user = %user.name, "API token created");
        Ok((record, secret))
    }

    /// The user a bearer token belongs to, if it is live (not revoked, user not disabled).
    pub fn token_user(&self, secret: &str) -> Result<Option<User>, ArchiveError> {
        if secret.is_empty() || secret.len() > 100 {
            return Ok(None);
        }
        Ok(self.readers.get()?.token_user(&token_hash(secret))?)
    }

    /// Revokes a token by its id; it stops working at once.
    pub fn revoke_token(&self, id: &str) -> Result<(), ArchiveError> {
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| {
            ArchiveError::new(
                ErrorKind::Invalid,
                format!("{id:?} is not a token id (see `storybank token list`)"),
            )
        })?;
        let mut store = self.store()?;
        if store.revoke_token(id)? {
            self.record(&store, AuditEvent::new(AuditAction::TokenRevoked, id, ""))?;
            tracing::info!(token = %id, "API token revoked");
            Ok(())
        } else {
            Err(ArchiveError::new(ErrorKind::NotFound, format!("there is no live token {id}")))
        }
    }

    /// Every token, newest first (no secrets).
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, ArchiveError> {
        Ok(self.store()?.tokens()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storybank_domain::Role;

    fn accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        (dir, accounts)
    }

    #[test]
    fn log_in_checks_the_password_and_sessions_end_on_logout_and_disable() {
        let (_dir, accounts) = accounts();
        let name = UserName::parse("rita").unwrap();
        let password = Password::parse("a long enough password").unwrap();
        accounts.add_user(name.clone(), Roles::new([Role::Reporter]).unwrap(), &password).unwrap();
        let again = accounts.add_user(name.clone(), Roles::new([Role::Curator]).unwrap(), &password);
        assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);

        for (who, what) in [("rita", "wrong password!"), ("nobody", "a long enough password"), ("", "")] {
            assert!(accounts.log_in(who, what).unwrap().is_none(), "{who}/{what}");
        }
        let first = accounts.log_in("Rita", "a long enough password").unwrap().expect("logged in");
        assert_eq!(accounts.session(&first.token).unwrap().unwrap().user.name, name);
        assert!(accounts.session("forged").unwrap().is_none());
        accounts.log_out(&first.token).unwrap();
        assert!(accounts.session(&first.token).unwrap().is_none(), "logged out");

        let second = accounts.log_in("rita", "a long enough password").unwrap().unwrap();
        accounts.set_disabled(&name, true).unwrap();
        assert!(accounts.session(&second.token).unwrap().is_none(), "disabling ends sessions");
        assert!(accounts.log_in("rita", "a long enough password").unwrap().is_none(), "disabled");
        accounts.set_disabled(&name, false).unwrap();
        assert!(accounts.log_in("rita", "a long enough password").unwrap().is_some());
    }

    #[test]
    fn tokens_carry_their_user_until_revoked_or_disabled() {
        let (_dir, accounts) = accounts();
        let name = UserName::parse("cora").unwrap();
        let password = Password::parse("a long enough password").unwrap();
        accounts.add_user(name.clone(), Roles::new([Role::Commissioner]).unwrap(), &password).unwrap();
        let (record, secret) = accounts.create_token(&name, "dashboard").unwrap();
        assert!(secret.starts_with("sbk_") && secret.len() > 40);
        assert_eq!(accounts.token_user(&secret).unwrap().unwrap().name, name);
        assert!(accounts.token_user("sbk_forged").unwrap().is_none());
        accounts.set_disabled(&name, true).unwrap();
        assert!(accounts.token_user(&secret).unwrap().is_none(), "a disabled user's token stops working");
        accounts.set_disabled(&name, false).unwrap();
        assert!(accounts.token_user(&secret).unwrap().is_some());
        accounts.revoke_token(&record.id.to_string()).unwrap();
        assert!(accounts.token_user(&secret).unwrap().is_none(), "revoked");
        assert_eq!(accounts.revoke_token(&record.id.to_string()).unwrap_err().kind(), ErrorKind::NotFound);
        assert!(accounts.tokens().unwrap()[0].revoked_at.is_some());
    }

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
