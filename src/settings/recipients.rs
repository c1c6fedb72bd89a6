//! `export_recipients`: the programme's `age` public keys (`age1…`) that
//! exports are encrypted to. Parsed here, where the setting is read, so a bad
//! key is a settings warning with its line; the export seals to the result.

/// A setting value that is not an `age` X25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an age public key (age1…)")]
pub struct BadRecipient(pub String);

/// Parses `age1…` public keys, or says which one is not.
pub fn parse(recipients: &[String]) -> Result<Vec<age::x25519::Recipient>, BadRecipient> {
    recipients
        .iter()
        .map(|r| {
            r.trim()
                .parse::<age::x25519::Recipient>()
                .map_err(|_| BadRecipient(r.clone()))
        })
        .collect()
}

/// Checks `export_recipients` as the settings reader does (why not, as text).
pub fn check(recipients: &[String]) -> Result<(), String> {
    parse(recipients).map(|_| ()).map_err(|e| e.to_string())
}
