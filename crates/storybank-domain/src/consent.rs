//! What a storyteller allowed: who may see the story and how they are identified.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::vocab::vocabulary;

vocabulary!(
    /// Who may see a story, from narrowest to widest.
    ConsentScope, "consent scope", {
        /// The curation team only.
        Internal => "internal",
        /// Curators and service commissioners.
        Commissioners => "commissioners",
        /// Anyone.
        Public => "public",
    }
);

vocabulary!(
    /// How the storyteller wants to be named.
    IdentifyAs, "identify_as", {
        /// Not at all.
        Anonymous => "anonymous",
        /// By first name (or the pseudonym they chose).
        FirstName => "first_name",
        /// By full name.
        FullName => "full_name",
    }
);

/// A storyteller's consent record. Constructed only with `expires_on` on or after `given_on`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConsentFields")]
pub struct Consent {
    scope: ConsentScope,
    identify_as: IdentifyAs,
    given_on: NaiveDate,
    expires_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
struct ConsentFields {
    scope: ConsentScope,
    identify_as: IdentifyAs,
    given_on: NaiveDate,
    expires_on: Option<NaiveDate>,
}

impl TryFrom<ConsentFields> for Consent {
    type Error = DomainError;
    fn try_from(fields: ConsentFields) -> Result<Self, Self::Error> {
        Consent::new(fields.scope, fields.identify_as, fields.given_on, fields.expires_on)
    }
}

impl Consent {
    /// A consent record; refuses an expiry before the day consent was given.
    pub fn new(
        scope: ConsentScope,
        identify_as: IdentifyAs,
        given_on: NaiveDate,
        expires_on: Option<NaiveDate>,
    ) -> Result<Self, DomainError> {
        if let Some(expires_on) = expires_on
            && expires_on < given_on
        {
            return Err(DomainError::ConsentDates { given_on, expires_on });
        }
        Ok(Self { scope, identify_as, given_on, expires_on })
    }

    /// Who the storyteller allowed to see the story.
    pub fn scope(&self) -> ConsentScope {
        self.scope
    }

    /// How the storyteller wants to be named.
    pub fn identify_as(&self) -> IdentifyAs {
        self.identify_as
    }

    /// The day consent was given.
    pub fn given_on(&self) -> NaiveDate {
        self.given_on
    }

    /// The last day consent applies, if it ends.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        self.expires_on
    }

    /// Whether the consent still applies on `today` (it applies through its `expires_on` day).
    pub fn is_in_force_on(&self, today: NaiveDate) -> bool {
        self.expires_on.is_none_or(|last_day| today <= last_day)
    }
}

/// The scope that actually applies to a story on `today`: missing or expired consent means
/// the curation team only.
pub fn effective_scope(consent: Option<&Consent>, today: NaiveDate) -> ConsentScope {
    match consent {
        Some(consent) if consent.is_in_force_on(today) => consent.scope(),
        _ => ConsentScope::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    #[test]
    fn refuses_expiry_before_given() {
        let result = Consent::new(
            ConsentScope::Public,
            IdentifyAs::Anonymous,
            day("2024-03-12"),
            Some(day("2024-03-11")),
        );
        assert!(matches!(result, Err(DomainError::ConsentDates { .. })));
    }

    #[test]
    fn effective_scope_table() {
        let public_until = |last: Option<&str>| {
            Consent::new(ConsentScope::Public, IdentifyAs::FirstName, day("2024-01-01"), last.map(day))
                .unwrap()
        };
        let no_expiry = public_until(None);
        let expires = public_until(Some("2025-06-30"));
        for (consent, today, expected) in [
            (None, "2024-05-01", ConsentScope::Internal),
            (Some(&no_expiry), "2030-01-01", ConsentScope::Public),
            (Some(&expires), "2025-06-30", ConsentScope::Public),
            (Some(&expires), "2025-07-01", ConsentScope::Internal),
        ] {
            assert_eq!(effective_scope(consent, day(today)), expected, "{consent:?} on {today}");
        }
    }

    #[test]
    fn deserialising_checks_dates() {
        let bad = r#"{"scope":"public","identify_as":"anonymous","given_on":"2024-03-12","expires_on":"2023-01-01"}"#;
        assert!(serde_json::from_str::<Consent>(bad).is_err());
    }
}
