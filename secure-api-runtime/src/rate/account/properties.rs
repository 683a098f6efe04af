//! Properties of the account key, on any name a client can put in the body: every spelling of
//! one account (letter case, padding, full-width forms) is one key, other accounts are other
//! keys, and no key holds the name as written.

use proptest::prelude::*;

use crate::properties::config;

use super::AccountKeys;

fn keys() -> AccountKeys {
    AccountKeys::new(Some(&[7; 32])).unwrap()
}

/// Blanks a client may pad a name with, ASCII and not.
fn padding() -> impl Strategy<Value = String> {
    let blank = prop_oneof![
        Just(' '),
        Just('\t'),
        Just('\n'),
        Just('\u{a0}'),
        Just('\u{3000}')
    ];
    proptest::collection::vec(blank, 0..4).prop_map(|blanks| blanks.into_iter().collect())
}

proptest! {
    #![proptest_config(config())]

    /// An ASCII name in any letter case, padded, or in full-width forms (which NFKC folds to
    /// ASCII), is one account.
    #[test]
    fn every_spelling_of_a_name_is_one_account(
        name in "[!-~]{1,40}",
        upper in proptest::collection::vec(any::<bool>(), 40),
        wide in proptest::collection::vec(any::<bool>(), 40),
        (before, after) in (padding(), padding()),
    ) {
        let spelled: String = name
            .chars()
            .zip(upper.iter().zip(&wide))
            .map(|(c, (&up, &wide))| {
                let c = if up { c.to_ascii_uppercase() } else { c };
                // U+FF01..U+FF5E are the full-width forms of `!`..`~`.
                if wide { char::from_u32(u32::from(c) + 0xfee0).unwrap() } else { c }
            })
            .collect();
        let keys = keys();
        prop_assert_eq!(keys.key_of(&format!("{before}{spelled}{after}")), keys.key_of(&name));
    }

    /// Names that differ once trimmed and lowercased are different accounts.
    #[test]
    fn different_names_are_different_accounts(a in "[!-~]{1,40}", b in "[!-~]{1,40}") {
        prop_assume!(!a.eq_ignore_ascii_case(&b));
        let keys = keys();
        prop_assert_ne!(keys.key_of(&a), keys.key_of(&b));
    }

    /// Any text is keyed the same every time, and the key never holds the text.
    #[test]
    fn any_text_is_keyed_and_never_kept(
        name in prop_oneof![
            "\\PC{0,40}",
            "[\\x00-\\x1f\\x7f]{0,8}",
            ("\\PC{1,4}", 1_000usize..10_000).prop_map(|(run, n)| run.repeat(n)),
        ],
    ) {
        let keys = keys();
        let key = keys.key_of(&name);
        prop_assert_eq!(key, keys.key_of(&name));
        let trimmed = name.trim().as_bytes();
        if trimmed.len() >= 6 {
            prop_assert!(!key.windows(trimmed.len().min(32)).any(|w| trimmed.starts_with(w)));
        }
    }
}
