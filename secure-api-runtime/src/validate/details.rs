//! Turning serde's and validator's errors into `details` a client can read: wire names, plain
//! messages, and never the submitted value (validator keeps it in `params["value"]`, serde
//! quotes it in its messages; both are dropped).

use std::fmt::Write as _;

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use super::WireNames;
use super::bounded::EachText;

pub use crate::error::FieldError;

/// The details of a deserialization error at `path` (a client's path to the value, in wire names).
pub(crate) fn from_serde(path: &str, error: &str) -> FieldError {
    // serde names a missing field in its message; the path is the struct that lacks it.
    if let Some(missing) = between_backticks(error, "missing field `") {
        return FieldError {
            field: join(path, missing),
            message: String::from("is required"),
        };
    }
    // `#[serde(deny_unknown_fields)]` types refuse the field at its own path.
    if error.starts_with("unknown field `") {
        return FieldError {
            field: path.to_owned(),
            message: String::from("is not an accepted field"),
        };
    }
    let message = if let Some(expected) = error.split(", expected ").nth(1) {
        format!("must be {}", describe_expected(expected))
    } else if error.starts_with("unknown variant") {
        String::from("is not one of the allowed values")
    } else {
        String::from("is invalid")
    };
    FieldError {
        field: if path == "." {
            String::new()
        } else {
            path.to_owned()
        },
        message,
    }
}

/// A name the client chose (an unknown field, a map key), as it may be sent back: short and
/// plain, or replaced. The client's text is never reflected as it came.
pub(crate) fn client_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '@'));
    if plain {
        key.to_owned()
    } else {
        String::from("[…]")
    }
}

/// serde's "expected ..." in words for people. Type names are not shown.
fn describe_expected(expected: &str) -> &'static str {
    let expected = expected.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == ':');
    match expected {
        e if e.contains("string") || e.contains("char") => "a string",
        e if e.contains("boolean") || e == "bool" => "true or false",
        e if e.starts_with('u') || e.starts_with('i') && e.len() <= 5 => "an integer",
        e if e.contains("integer") => "an integer",
        e if e.starts_with('f') && e.len() <= 3 || e.contains("float") || e.contains("number") => {
            "a number"
        }
        e if e.contains("sequence") || e.contains("tuple") || e.contains("array") => "a list",
        e if e.contains("map") || e.contains("object") || e.starts_with("struct") => "an object",
        e if e.contains("UUID") || e.contains("uuid") => "a UUID",
        _ => "of another type",
    }
}

fn between_backticks<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = text.split(prefix).nth(1)?;
    rest.split('`').next()
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() || path == "." {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Every failed rule, depth first, with fields under their wire names (nested ones too, when
/// their types derive `Input`).
pub(crate) fn from_validator(errors: &ValidationErrors, names: WireNames) -> Vec<FieldError> {
    let mut details = Vec::new();
    collect(errors, "", Some(names), &mut details);
    details.sort_by(|a, b| a.field.cmp(&b.field));
    details
}

fn collect(
    errors: &ValidationErrors,
    prefix: &str,
    names: Option<WireNames>,
    details: &mut Vec<FieldError>,
) {
    for (field, kind) in &errors.0 {
        let name = names.and_then(|n| (n.wire_name)(field)).unwrap_or(field);
        let inner_names = names.and_then(|n| (n.nested)(field));
        let path = if prefix.is_empty() {
            name.to_owned()
        } else if name == "__all__" {
            prefix.to_owned()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            ValidationErrorsKind::Field(rules) => {
                details.extend(rules.iter().map(|rule| FieldError {
                    field: path.clone(),
                    message: message(rule),
                }));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, inner_names, details),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    let mut item = path.clone();
                    let _ = write!(item, "[{index}]");
                    collect(inner, &item, inner_names, details);
                }
            }
        }
    }
}

/// The rule's message for a person: the application's own (`message = "..."`) if it set one,
/// else one made from the rule and its limits. The submitted value is never used.
fn message(rule: &ValidationError) -> String {
    if let Some(message) = &rule.message {
        return message.to_string();
    }
    let param = |name: &str| rule.params.get(name).map(ToString::to_string);
    // validator keeps the checked value in `value`; only its kind is used, to say "items" for a
    // list and "characters" for text.
    let unit = match rule.params.get("value") {
        Some(serde_json::Value::Array(_)) => "items",
        _ => "characters",
    };
    match &*rule.code {
        "length" => length_message(param("min"), param("max"), param("equal"), unit),
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (None, None) => String::from("is out of range"),
        },
        "email" => String::from("must be an email address"),
        "url" => String::from("must be a URL"),
        "required" => String::from("is required"),
        "regex" => String::from("has an invalid format"),
        "contains" => String::from("lacks a required part"),
        "does_not_contain" => String::from("contains a forbidden part"),
        "must_match" => match param("other") {
            Some(other) => format!("must match {}", other.trim_matches('"')),
            None => String::from("must match another field"),
        },
        "credit_card" => String::from("must be a card number"),
        "ip" | "ipv4" | "ipv6" => String::from("must be an IP address"),
        "non_control_character" => String::from("must not contain control characters"),
        _ => String::from("is invalid"),
    }
}

/// What a failed length rule says: `must have 3 to 200 characters`.
fn length_message(
    min: Option<String>,
    max: Option<String>,
    equal: Option<String>,
    unit: &str,
) -> String {
    match (min, max, equal) {
        (_, _, Some(equal)) => format!("must have exactly {equal} {unit}"),
        (Some(min), Some(max), _) => format!("must have {min} to {max} {unit}"),
        (Some(min), None, _) => format!("must have at least {min} {unit}"),
        (None, Some(max), _) => format!("must have at most {max} {unit}"),
        (None, None, _) => String::from("has the wrong length"),
    }
}

/// `#[input(each(length(min = .., max = ..)))]`: each string of the list at `field` (its wire
/// name) has from `min` to `max` characters, counted as validator counts them; each one that
/// has not is a detail `field[index]`.
#[doc(hidden)]
pub fn check_each<T: EachText + ?Sized>(
    list: &T,
    field: &str,
    min: Option<u64>,
    max: Option<u64>,
    details: &mut Vec<FieldError>,
) {
    for (index, text) in list.texts().enumerate() {
        let count = text.chars().count() as u64;
        if min.is_some_and(|min| count < min) || max.is_some_and(|max| count > max) {
            details.push(FieldError {
                field: format!("{field}[{index}]"),
                message: length_message(
                    min.map(|n| n.to_string()),
                    max.map(|n| n.to_string()),
                    None,
                    "characters",
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_become_plain_words_without_values() {
        let missing = from_serde(".", "missing field `title` at line 1 column 2");
        assert_eq!(
            missing,
            FieldError {
                field: "title".into(),
                message: "is required".into()
            }
        );
        let wrong = from_serde(
            "views",
            "invalid type: string \"hunter2\", expected u32 at line 1 column 9",
        );
        assert_eq!(wrong.message, "must be an integer");
        assert!(!wrong.message.contains("hunter2"));
        let string = from_serde("title", "invalid type: integer `5`, expected a string");
        assert_eq!(string.message, "must be a string");
        let nested = from_serde("author", "missing field `name`");
        assert_eq!(nested.field, "author.name");
    }

    #[test]
    fn validator_messages_come_from_rules_not_values() {
        let mut rule = ValidationError::new("length");
        rule.add_param("min".into(), &3);
        rule.add_param("max".into(), &200);
        rule.add_param("value".into(), &"hi");
        assert_eq!(message(&rule), "must have 3 to 200 characters");
        let mut list = ValidationError::new("length");
        list.add_param("max".into(), &10);
        list.add_param("value".into(), &vec!["a"; 11]);
        assert_eq!(message(&list), "must have at most 10 items");
        let mut custom = ValidationError::new("custom");
        custom.message = Some("must not be a reserved name".into());
        assert_eq!(message(&custom), "must not be a reserved name");
    }

    #[test]
    fn each_item_of_a_list_is_held_to_its_length() {
        let tags = vec![
            "rust".to_owned(),
            "x".repeat(51),
            "é".repeat(50),
            String::new(),
        ];
        let mut details = Vec::new();
        check_each(&tags, "tags", Some(1), Some(50), &mut details);
        assert_eq!(
            details,
            [
                FieldError {
                    field: "tags[1]".into(),
                    message: "must have 1 to 50 characters".into()
                },
                FieldError {
                    field: "tags[3]".into(),
                    message: "must have 1 to 50 characters".into()
                },
            ]
        );
        let mut none = Vec::new();
        check_each(&None::<Vec<String>>, "tags", None, Some(2), &mut none);
        assert!(none.is_empty());
    }
}
