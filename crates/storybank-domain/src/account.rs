//! People who use Storybank: their names, roles and passwords (as typed, before hashing).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;
use crate::vocab::vocabulary;

const MIN_NAME_CHARS: usize = 2;
const MAX_NAME_CHARS: usize = 40;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;

/// A person's account id (a UUIDv7): what stories, sessions and audit records point at, so that a
/// person keeps their history when their roles change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(Uuid);

impl UserId {
    /// A new, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Reads an id as written by [`UserId`]'s `Display`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Uuid::parse_str(raw.trim()).map(Self).map_err(|_| DomainError::UserId(raw.to_owned()))
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A log-in name: 2 to 40 lowercase letters, digits, `.`, `-` or `_`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    /// Reads a user name; letters are lowercased and surrounding space dropped.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim().to_lowercase();
        let length = name.chars().count();
        let valid = (MIN_NAME_CHARS..=MAX_NAME_CHARS).contains(&length)
            && name.chars().next().is_some_and(|c| c.is_alphabetic())
            && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if valid { Ok(Self(name)) } else { Err(DomainError::UserName(raw.to_owned())) }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserName {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> Self {
        name.0
    }
}

vocabulary!(
    /// What a person may do. A person may hold several roles: in Community Reporting, reporters
    /// often curate too.
    Role, "role", {
        /// Gathers stories and uploads them; sees only their own submissions.
        Reporter => "reporter",
        /// Reviews, tags and themes stories, marks quotes, moves stories through curation.
        Curator => "curator",
        /// Reads published insight packs and searches the stories consent lets them see.
        Commissioner => "commissioner",
        /// Manages accounts and roles.
        Admin => "admin",
    }
);

/// A person's roles: never empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Role>", into = "Vec<Role>")]
pub struct Roles(BTreeSet<Role>);

impl Roles {
    /// The roles given, or an error when there are none.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Result<Self, DomainError> {
        let roles: BTreeSet<Role> = roles.into_iter().collect();
        if roles.is_empty() { Err(DomainError::NoRoles) } else { Ok(Self(roles)) }
    }

    /// Reads a comma-separated list such as `reporter,curator`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let roles = raw.split(',').filter(|part| !part.trim().is_empty()).map(Role::parse);
        Self::new(roles.collect::<Result<Vec<_>, _>>()?)
    }

    /// Whether `role` is among them.
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    /// The roles, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    /// The roles as a comma-separated list (how the store keeps them).
    pub fn to_list(&self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }
}

impl TryFrom<Vec<Role>> for Roles {
    type Error = DomainError;
    fn try_from(roles: Vec<Role>) -> Result<Self, Self::Error> {
        Self::new(roles)
    }
}

impl From<Roles> for Vec<Role> {
    fn from(roles: Roles) -> Self {
        roles.0.into_iter().collect()
    }
}

/// A password as typed, before hashing: 10 to 1024 characters. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Accepts a password of the allowed length (a trailing newline, as `echo` adds, is dropped).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let password = raw.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(raw);
        let length = password.chars().count();
        if length < MIN_PASSWORD_CHARS {
            Err(DomainError::Field { field: "password", problem: "is too short: use at least 10 characters" })
        } else if length > MAX_PASSWORD_CHARS {
            Err(DomainError::TooLong { field: "password", max: MAX_PASSWORD_CHARS })
        } else {
            Ok(Self(password.to_owned()))
        }
    }

    /// The password itself, for hashing or checking.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its log-in name.
    pub name: UserName,
    /// What it may do.
    pub roles: Roles,
    /// A disabled account cannot log in and has no sessions.
    pub disabled: bool,
}

impl User {
    /// Whether the person holds `role` (and the account is not disabled).
    pub fn has(&self, role: Role) -> bool {
        !self.disabled && self.roles.has(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        for (raw, expected) in [
            ("rita", Some("rita")),
            ("  Carl.Smith ", Some("carl.smith")),
            ("anna-liisa_2", Some("anna-liisa_2")),
            ("x", None),
            ("2pac", None),
            ("a b", None),
            ("../etc", None),
            ("<script>", None),
            (&"a".repeat(41), None),
        ] {
            assert_eq!(UserName::parse(raw).ok().map(|n| n.to_string()).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn roles_are_a_non_empty_set() {
        let roles = Roles::parse("curator, reporter,curator").unwrap();
        assert_eq!(roles.to_list(), "reporter,curator");
        assert!(roles.has(Role::Curator) && !roles.has(Role::Admin));
        assert_eq!(Roles::parse(""), Err(DomainError::NoRoles));
        assert!(Roles::parse("reporter,boss").is_err());
    }

    #[test]
    fn passwords_hide_in_debug_and_have_a_minimum_length() {
        assert!(Password::parse("short").is_err());
        let password = Password::parse("correct horse battery\n").unwrap();
        assert_eq!(password.expose(), "correct horse battery");
        assert_eq!(format!("{password:?}"), "Password(..)");
    }
}
