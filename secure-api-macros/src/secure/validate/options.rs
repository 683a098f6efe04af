//! The attribute's options -> a checked [`Policy`].

use std::collections::HashSet;

use proc_macro2::Span;
use syn::{Expr, ExprCall, ExprLit, Lit};

use super::super::model::{Access, DenyAs, Field, Policy, Requirement, Schemes};
use super::super::parse::RawOption;
use super::rate::RateOptions;
use crate::errors::Errors;

/// The options `#[secure]` knows, as the error for an unknown one lists them.
const OPTIONS: &[&str] = &[
    "public",
    "auth",
    "role",
    "scope",
    "owner",
    "or",
    "deny",
    "raw_response",
    "raw_body",
    "rate",
    "key",
    "rate_message",
    "account_rate",
    "account_key",
    "rate_name",
];

const POLICY_HINT: &str = "write `#[secure(public)]` for a route anyone may call, or \
                           `#[secure(auth)]` for one that needs a verified bearer token";

/// Checks the options. On a mistake it still returns a policy, so the handler expands and the
/// router reports nothing spurious; the recorded errors fail the build.
pub(crate) fn policy(options: Option<&[RawOption]>, errors: &mut Errors) -> Policy {
    let Some(options) = options else {
        return Policy::unsettled();
    };
    if options.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            format!("`#[secure]` needs a policy: {POLICY_HINT}"),
        ));
        return Policy::unsettled();
    }
    let errors_before = errors.count();
    let mut policy = Policy::unsettled();
    let mut access: Option<(Access, &RawOption)> = None;
    let mut seen: Vec<&RawOption> = Vec::new();
    let mut first_auth_only: Option<&RawOption> = None;
    let mut rate = RateOptions::default();

    for option in options {
        let name = option.name.to_string();
        if seen.iter().any(|o| o.name == option.name) {
            errors.at(&option.name, format!("duplicate `secure` option `{name}`"));
            continue;
        }
        seen.push(option);
        match name.as_str() {
            "public" | "auth" => {
                let this = if name == "public" {
                    Access::Public
                } else {
                    Access::Authenticated
                };
                match &option.value {
                    Some(value) if name == "auth" => policy.schemes = schemes(value, errors),
                    Some(value) => {
                        errors.at(value, format!("`{name}` takes no value: write `{name}`"));
                    }
                    None => {}
                }
                match access {
                    Some((earlier, earlier_option)) if earlier != this => errors.at(
                        &option.name,
                        format!(
                            "`{name}` contradicts `{}`: a route is either open to anyone \
                             (`public`) or needs a verified token (`auth`), not both",
                            earlier_option.name
                        ),
                    ),
                    _ => access = Some((this, option)),
                }
            }
            "role" | "scope" => {
                first_auth_only.get_or_insert(option);
                let requirement = requirement(option, &name, errors);
                if name == "role" {
                    policy.roles = requirement;
                } else {
                    policy.scopes = requirement;
                }
            }
            "owner" => {
                first_auth_only.get_or_insert(option);
                policy.owner = field(option, ("owner", "resource"), "author_id", errors);
            }
            "or" => policy.read_rule = field(option, ("or", "resource"), "is_published", errors),
            "deny" => policy.deny = deny(option, errors),
            "raw_response" => {
                if let Some(value) = &option.value {
                    errors.at(value, "`raw_response` takes no value: write `raw_response`");
                }
                policy.raw_response = true;
            }
            "raw_body" => {
                if let Some(value) = &option.value {
                    errors.at(value, "`raw_body` takes no value: write `raw_body`");
                }
                policy.raw_body = true;
            }
            "rate" | "key" | "rate_message" | "account_rate" | "account_key" | "rate_name" => {
                rate.take(option);
            }
            _ => errors.at(&option.name, unknown_option(&name)),
        }
    }

    let Some((access, _)) = access else {
        // After other mistakes (a misspelt `pubic`) this would only repeat them.
        if errors.count() == errors_before {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!("`#[secure]` needs `public` or `auth`: {POLICY_HINT}"),
            ));
        }
        return Policy::unsettled();
    };
    policy.access = access;
    (policy.rate, policy.account, policy.rate_name) = rate.check(access, policy.schemes, errors);
    check_dependencies(&policy, options, first_auth_only, errors);
    policy.settled = errors.count() == errors_before;
    policy
}

/// `auth = "bearer"` or `auth = any("bearer", "session")`: the schemes' bits.
fn schemes(value: &Expr, errors: &mut Errors) -> Option<u8> {
    const HINT: &str = "write `auth` for every scheme the app configured, `auth = \"bearer\"`, \
                        `auth = \"api_key\"` or `auth = \"session\"` for one, \
                        `auth = any(\"bearer\", \"session\")` for several";
    let names: Vec<&Expr> = match value {
        Expr::Lit(_) => vec![value],
        Expr::Call(ExprCall { func, args, .. }) if matches!(&**func, Expr::Path(path) if path.path.is_ident("any")) =>
        {
            if args.is_empty() {
                errors.at(value, format!("`any()` names no scheme: {HINT}"));
                return None;
            }
            args.iter().collect()
        }
        _ => {
            errors.at(value, format!("expected a scheme's name: {HINT}"));
            return None;
        }
    };
    let mut bits = 0u8;
    let mut valid = true;
    for name in names {
        let Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) = name
        else {
            errors.at(name, format!("expected a scheme's name in quotes: {HINT}"));
            valid = false;
            continue;
        };
        let text_value = text.value();
        match Schemes::named(&text_value) {
            Some(scheme) if bits & scheme.bits() != 0 => {
                errors.at(text, format!("the scheme `{text_value}` is named twice"));
                valid = false;
            }
            Some(scheme) => bits |= scheme.bits(),
            None => {
                let mut known: Vec<String> = Schemes::NAMES
                    .iter()
                    .map(|(known, _)| format!("`{known}`"))
                    .collect();
                // `a`, `b` and `c`.
                let last = known.pop().unwrap_or_default();
                errors.at(
                    text,
                    format!(
                        "unknown scheme `{text_value}`: the schemes are {} and {last}",
                        known.join(", ")
                    ),
                );
                valid = false;
            }
        }
    }
    valid.then_some(bits)
}

/// Options that only make sense with others: roles, scopes and owners need `auth`; a read rule
/// and a `deny` need an owner.
fn check_dependencies(
    policy: &Policy,
    options: &[RawOption],
    first_auth_only: Option<&RawOption>,
    errors: &mut Errors,
) {
    if policy.access == Access::Public
        && let Some(option) = first_auth_only
    {
        let name = &option.name;
        errors.at(
            name,
            format!(
                "`{name}` needs `auth`: only a verified token has an id, roles and scopes; \
                 write `#[secure(auth, {name} = ...)]`"
            ),
        );
    }
    if policy.owner.is_some() {
        return;
    }
    for (option_name, what) in [
        ("or", "a read rule"),
        ("deny", "the answer for another's resource"),
    ] {
        if let Some(option) = options.iter().find(|o| o.name == option_name) {
            errors.at(
                &option.name,
                format!(
                    "`{option_name}` sets {what} and needs `owner = \"field\"`: without an \
                     owner rule the route has no resource to check"
                ),
            );
        }
    }
}

/// How the names of a requirement combine.
type Combine = fn(Vec<String>) -> Requirement;

/// `"name"`, `any("a", "b")` or `all("a", "b")`.
fn requirement(option: &RawOption, name: &str, errors: &mut Errors) -> Option<Requirement> {
    let usage = format!(
        "`{name}` takes a name or a list: `{name} = \"admin\"`, `{name} = any(\"a\", \"b\")` \
         (at least one) or `{name} = all(\"a\", \"b\")` (every one)"
    );
    let Some(value) = &option.value else {
        errors.at(&option.name, usage);
        return None;
    };
    let (combine, items): (Combine, Vec<&Expr>) = match value {
        Expr::Lit(_) => (Requirement::Any, vec![value]),
        Expr::Call(ExprCall { func, args, .. }) => match &**func {
            Expr::Path(path) if path.path.is_ident("any") => {
                (Requirement::Any, args.iter().collect())
            }
            Expr::Path(path) if path.path.is_ident("all") => {
                (Requirement::All, args.iter().collect())
            }
            _ => {
                errors.at(func, usage);
                return None;
            }
        },
        Expr::Array(_) => {
            errors.at(
                value,
                format!(
                    "a list of `{name}`s must say how they combine: `{name} = any(...)` or \
                     `{name} = all(...)`"
                ),
            );
            return None;
        }
        _ => {
            errors.at(value, usage);
            return None;
        }
    };
    if items.is_empty() {
        errors.at(value, format!("`{name}` needs at least one name"));
        return None;
    }
    let mut names = Vec::new();
    let mut seen = HashSet::new();
    for item in items {
        match string_literal(item) {
            Some((text, _)) if text.trim().is_empty() || text.contains(char::is_whitespace) => {
                errors.at(item, format!("a {name} name is one word without spaces"));
            }
            Some((text, _)) if !seen.insert(text.clone()) => {
                errors.at(item, format!("`{text}` is listed twice"));
            }
            Some((text, _)) => names.push(text),
            None => errors.at(
                item,
                format!("expected a string such as `\"admin\"`; {usage}"),
            ),
        }
    }
    Some(combine(names))
}

/// A resource field name: `owner = "author_id"`.
pub(super) fn field(
    option: &RawOption,
    (name, of): (&str, &str),
    example: &str,
    errors: &mut Errors,
) -> Option<Field> {
    let usage = format!("`{name}` names a field of the {of}: `{name} = \"{example}\"`");
    let Some(value) = &option.value else {
        errors.at(&option.name, usage);
        return None;
    };
    let Some((text, span)) = string_literal(value) else {
        errors.at(value, usage);
        return None;
    };
    if syn::parse_str::<syn::Ident>(&text).is_err() {
        errors.at(value, format!("`{text}` is not a field name; {usage}"));
        return None;
    }
    Some(Field { name: text, span })
}

/// `deny = 404` (the default) or `deny = 403`.
fn deny(option: &RawOption, errors: &mut Errors) -> Option<DenyAs> {
    let usage = "`deny` is `404` (answer as for a missing resource, the default) or `403`";
    match &option.value {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        })) => match int.base10_digits() {
            "404" => Some(DenyAs::NotFound),
            "403" => Some(DenyAs::Forbidden),
            _ => {
                errors.at(int, usage);
                None
            }
        },
        Some(other) => {
            errors.at(other, usage);
            None
        }
        None => {
            errors.at(&option.name, usage);
            None
        }
    }
}

fn string_literal(expr: &Expr) -> Option<(String, Span)> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some((lit.value(), lit.span())),
        _ => None,
    }
}

fn unknown_option(name: &str) -> String {
    let expected = OPTIONS
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut message = format!("unknown `secure` option `{name}`; expected one of {expected}");
    let closest = OPTIONS.iter().min_by_key(|o| edit_distance(o, name));
    if let Some(close) = closest.filter(|o| edit_distance(o, name) <= 2) {
        message = format!("{message} (did you mean `{close}`?)");
    }
    message
}

/// Levenshtein distance, for "did you mean" on short option names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}
