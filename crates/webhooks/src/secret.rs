//! A webhook's signing secret: `whsec_` + 64 hex characters (256 random
//! bits), shown once when made, stored sealed (`crates/sealing`, purpose
//! `webhook-secrets`, the row's identity `webhook:<team>:<id>` as associated
//! data) because every delivery needs it back to sign with.

use edge::ApiError;

/// The prefix, as Stripe's endpoint secrets have.
pub const PREFIX: &str = "whsec_";

/// A new secret.
pub fn generate() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    Ok(format!("{PREFIX}{}", hex::encode(bytes)))
}

/// The associated data of a webhook's sealed secret.
pub fn aad(team_id: &str, webhook_id: &str) -> String {
    format!("webhook:{team_id}:{webhook_id}")
}

/// Seals a secret for the webhook row.
pub fn seal(
    keys: &sealing::Keys,
    team_id: &str,
    webhook_id: &str,
    secret: &str,
) -> Result<String, ApiError> {
    sealing::seal(keys, &aad(team_id, webhook_id), secret.as_bytes()).map_err(ApiError::internal)
}

/// Opens the webhook row's sealed secret.
pub fn open(
    keys: &sealing::Keys,
    team_id: &str,
    webhook_id: &str,
    sealed: &str,
) -> Result<String, ApiError> {
    let bytes =
        sealing::open(keys, &aad(team_id, webhook_id), sealed).map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(|_| ApiError::internal("webhook secret is not UTF-8"))
}

/// The last four characters, to tell secrets apart.
pub fn last4(secret: &str) -> String {
    secret[secret.len().saturating_sub(4)..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_seal_per_row() {
        let a = generate().expect("secret");
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_ne!(a, generate().expect("secret"));
        let keys = sealing::Keys::from_secrets(
            sealing::WEBHOOK_SECRETS,
            None,
            Some("0123456789abcdef0123456789abcdef-jwt"),
        )
        .expect("keys");
        let sealed = seal(&keys, "t", "w", &a).expect("seals");
        assert!(!sealed.contains(&a[PREFIX.len()..]));
        assert_eq!(open(&keys, "t", "w", &sealed).expect("opens"), a);
        assert!(open(&keys, "t", "other", &sealed).is_err());
        assert_eq!(last4(&a), a[a.len() - 4..]);
    }
}
