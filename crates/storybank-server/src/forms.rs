//! Reading forms: URL-encoded bodies with a size limit, and small helpers for the values in them.

use actix_web::web;

use crate::error::PageError;

/// The largest URL-encoded form accepted (uploads are multipart and have their own limits).
pub const FORM_LIMIT: usize = 256 * 1024;

/// A form whose only field is its anti-forgery token (a button that does one thing).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// How URL-encoded forms are read: at most [`FORM_LIMIT`] bytes; a bad one is a clear 400.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_LIMIT)
        .error_handler(|err, _| PageError::BadRequest(format!("the form could not be read: {err}")).into())
}

/// Percent-encodes a value for a URL's query string.
pub fn url_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// `None` for a blank field, else the trimmed text.
pub fn filled(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty()).then_some(value)
}

use storybank_domain::{Consent, ConsentScope, IdentifyAs};

use crate::views::{Choice, FieldErrors};

/// The consent fields of a form, as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ConsentFields {
    #[serde(default)]
    pub consent_scope: String,
    #[serde(default)]
    pub consent_identify_as: String,
    #[serde(default)]
    pub consent_given_on: String,
    #[serde(default)]
    pub consent_expires_on: String,
}

impl ConsentFields {
    /// The consent record, `None` when every field is empty (consent not recorded yet), or errors
    /// on the fields that are wrong or missing.
    pub fn parse(&self, errors: &mut FieldErrors) -> Option<Consent> {
        let all_empty = [
            &self.consent_scope,
            &self.consent_identify_as,
            &self.consent_given_on,
            &self.consent_expires_on,
        ]
        .iter()
        .all(|value| value.trim().is_empty());
        if all_empty {
            return None;
        }
        let scope = match filled(&self.consent_scope) {
            Some(raw) => {
                ConsentScope::parse(raw).map_err(|err| errors.add("consent_scope", err.to_string())).ok()
            }
            None => {
                errors.add("consent_scope", "Choose who may see the story");
                None
            }
        };
        let identify_as = match filled(&self.consent_identify_as) {
            Some(raw) => {
                IdentifyAs::parse(raw).map_err(|err| errors.add("consent_identify_as", err.to_string())).ok()
            }
            None => {
                errors.add("consent_identify_as", "Choose how the storyteller wants to be identified");
                None
            }
        };
        let given_on = match filled(&self.consent_given_on) {
            Some(raw) => parse_date(raw, "consent_given_on", errors),
            None => {
                errors.add("consent_given_on", "Enter the date consent was given");
                None
            }
        };
        let expires_on =
            filled(&self.consent_expires_on).and_then(|raw| parse_date(raw, "consent_expires_on", errors));
        let consent = Consent::new(scope?, identify_as?, given_on?, expires_on);
        consent.map_err(|err| errors.add("consent_expires_on", err.to_string())).ok()
    }

    /// The form's radio choices for scope and identification, with what was chosen.
    pub fn choices(&self) -> (Vec<Choice>, Vec<Choice>) {
        let scopes = Choice::list(
            [
                ("internal", "Only the curation team (internal)"),
                ("commissioners", "Commissioners of services too"),
                ("public", "Anyone (public)"),
            ],
            &[self.consent_scope.as_str()],
        );
        let identities = Choice::list(
            [
                ("anonymous", "Anonymous: no name at all"),
                ("first_name", "First name only"),
                ("full_name", "Full name"),
            ],
            &[self.consent_identify_as.as_str()],
        );
        (scopes, identities)
    }
}

/// Reads a `YYYY-MM-DD` date, noting an error on `field`.
pub fn parse_date(raw: &str, field: &'static str, errors: &mut FieldErrors) -> Option<chrono::NaiveDate> {
    match raw.trim().parse::<chrono::NaiveDate>() {
        Ok(date) => Some(date),
        Err(_) => {
            errors.add(field, format!("{raw:?} is not a date; use the form YYYY-MM-DD, e.g. 2026-11-26"));
            None
        }
    }
}
