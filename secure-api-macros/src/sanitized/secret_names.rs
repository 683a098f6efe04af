//! The names a `Sanitized` field may not have without saying what it is (`#[sensitive]` to
//! keep it out, `#[expose]` to publish it on purpose): names that look like they hold a secret.
//!
//! A name is matched lowercased, with `-` and `_` ignored, against needles found anywhere in it
//! (`password` in `new_password_hash`), and against short words that only count as a whole
//! word between underscores (`key` in `api_key`, not in `keyboard`). A few common words that
//! contain a needle (`hashtag`, `secretary`) are taken out first.

/// Why a field name looks like it holds a secret, if it does.
pub(crate) fn secret_looking(name: &str) -> Option<&'static str> {
    const CONTAINED: &[(&str, &str)] = &[
        ("password", "a password"),
        ("passwd", "a password"),
        ("passphrase", "a password"),
        ("secret", "a secret"),
        ("token", "a token"),
        ("hash", "a hash"),
        ("apikey", "an API key"),
        ("privatekey", "a private key"),
        ("creditcard", "a card number"),
        ("cardnumber", "a card number"),
        ("credential", "a credential"),
        ("jwt", "a token"),
        ("totp", "a one-time password"),
        ("mfa", "a second factor"),
        ("recoverycode", "a recovery code"),
        ("sessionid", "a session id"),
        ("cookie", "a cookie"),
        ("signingkey", "a key"),
        ("encryptionkey", "a key"),
    ];
    const LOOK_ALIKES: &[&str] = &["hashtag", "secretar", "tokeniz"];
    const WORDS: &[(&str, &str)] = &[
        ("salt", "a salt"),
        ("ssn", "a social security number"),
        ("cvv", "a card code"),
        ("cvc", "a card code"),
        ("otp", "a one-time password"),
        ("pin", "a PIN"),
        ("pwd", "a password"),
        ("key", "a key"),
        ("seed", "a seed"),
        ("bearer", "a token"),
    ];
    let name = name.to_ascii_lowercase().replace('-', "_");
    // Words that hold a needle without being a secret are taken out first.
    let mut compact = name.replace('_', "");
    for word in LOOK_ALIKES {
        compact = compact.replace(word, "");
    }
    let words: Vec<&str> = name.split('_').collect();
    CONTAINED
        .iter()
        .find(|(needle, _)| compact.contains(needle))
        .or_else(|| WORDS.iter().find(|(word, _)| words.contains(word)))
        .map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::secret_looking;

    #[test]
    fn names_that_hold_secrets_are_caught_with_their_reason() {
        for (name, why) in [
            ("password", "a password"),
            ("new_password", "a password"),
            ("passwordHash", "a password"),
            ("password_hash", "a password"),
            ("passwd", "a password"),
            ("passphrase", "a password"),
            ("pwd", "a password"),
            ("client_secret", "a secret"),
            ("access_token", "a token"),
            ("refreshToken", "a token"),
            ("id_token", "a token"),
            ("hash", "a hash"),
            ("content_hash", "a hash"),
            ("api_key", "an API key"),
            ("apiKey", "an API key"),
            ("private_key", "a private key"),
            ("credit_card", "a card number"),
            ("card_number", "a card number"),
            ("credentials", "a credential"),
            ("jwt", "a token"),
            ("totp_seed", "a one-time password"),
            ("mfa_code", "a second factor"),
            ("recovery_codes", "a recovery code"),
            ("session_id", "a session id"),
            ("cookie", "a cookie"),
            ("signing_key", "a key"),
            ("encryption-key", "a key"),
            ("salt", "a salt"),
            ("ssn", "a social security number"),
            ("cvv", "a card code"),
            ("cvc", "a card code"),
            ("otp", "a one-time password"),
            ("pin", "a PIN"),
            ("key", "a key"),
            ("license_key", "a key"),
            ("seed", "a seed"),
            ("bearer", "a token"),
        ] {
            assert_eq!(secret_looking(name), Some(why), "{name}");
        }
    }

    #[test]
    fn look_alikes_are_not_caught() {
        for name in [
            "keyboard",
            "monkey",
            "turkey",
            "keystone",
            "spinner",
            "opinion",
            "pinned",
            "seedling",
            "salty",
            "author",
            "hashtag",
            "hashtags",
            "secretary",
            "tokenizer",
            "description",
            "display_name",
            "email",
            "created_at",
            "is_published",
            "passage",
            "title",
        ] {
            assert_eq!(secret_looking(name), None, "{name}");
        }
    }
}
