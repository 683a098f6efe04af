//! Raw options and the handler's signature -> the checked [`Handler`] model, with every
//! mistake recorded on its own span.

use syn::{FnArg, ItemFn, Type};

use super::model::{Access, Handler, Policy};
use super::parse::RawOption;
use crate::errors::Errors;

/// The options `#[secure]` knows, as the error for an unknown one lists them.
const OPTIONS: &[&str] = &["public", "auth"];

const POLICY_HINT: &str = "write `#[secure(public)]` for a route anyone may call, or \
                           `#[secure(auth)]` for one that needs a verified bearer token";

/// Checks the options. On a mistake it still returns a policy, so the handler expands and the
/// router reports nothing spurious; the recorded errors fail the build.
pub(crate) fn policy(options: Option<&[RawOption]>, errors: &mut Errors) -> Policy {
    let fallback = Policy {
        access: Access::Authenticated,
        settled: false,
    };
    let Some(options) = options else {
        return fallback;
    };
    if options.is_empty() {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            format!("`#[secure]` needs a policy: {POLICY_HINT}"),
        ));
        return fallback;
    }

    let mut access: Option<(Access, &RawOption)> = None;
    let mut settled = true;
    let mut seen: Vec<&RawOption> = Vec::new();
    for option in options {
        let name = option.name.to_string();
        if seen.iter().any(|o| o.name == option.name) {
            errors.at(&option.name, format!("duplicate `secure` option `{name}`"));
            continue;
        }
        seen.push(option);
        let this = match name.as_str() {
            "public" => Access::Public,
            "auth" => Access::Authenticated,
            _ => {
                errors.at(&option.name, unknown_option(&name));
                continue;
            }
        };
        if let Some(value) = &option.value {
            errors.at(value, format!("`{name}` takes no value: write `{name}`"));
        }
        match access {
            Some((earlier, earlier_option)) if earlier != this => {
                settled = false;
                errors.at(
                    &option.name,
                    format!(
                        "`{name}` contradicts `{}`: a route is either open to anyone (`public`) \
                         or needs a verified token (`auth`), not both",
                        earlier_option.name
                    ),
                );
            }
            _ => access = Some((this, option)),
        }
    }
    if let Some((access, _)) = access {
        return Policy {
            access,
            settled: settled && errors.is_empty(),
        };
    }
    if errors.is_empty() {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            format!("`#[secure]` needs `public` or `auth`: {POLICY_HINT}"),
        ));
    }
    fallback
}

fn unknown_option(name: &str) -> String {
    let expected = OPTIONS
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut message = format!("unknown `secure` option `{name}`; expected one of {expected}");
    if let Some(close) = OPTIONS.iter().find(|o| edit_distance(o, name) <= 2) {
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

/// Checks the handler's signature against the policy. `Err` returns the function untouched
/// when it cannot be rewritten at all.
pub(crate) fn handler(
    function: ItemFn,
    policy: Policy,
    errors: &mut Errors,
) -> Result<Handler, Box<ItemFn>> {
    let signature = &function.sig;
    let mut rewritable = true;
    if signature.asyncness.is_none() {
        // Still rewritten (the inner call is simply not awaited), so routing it adds no error.
        errors.at(
            signature.fn_token,
            format!(
                "`#[secure]` handlers must be `async fn`: write `async fn {}`",
                signature.ident
            ),
        );
    }
    if let Some(receiver) = signature.receiver() {
        errors.at(
            receiver,
            "`#[secure]` handlers are free functions; a method cannot be routed",
        );
        rewritable = false;
    }
    if let Some(variadic) = &signature.variadic {
        errors.at(variadic, "`#[secure]` handlers cannot be variadic");
        rewritable = false;
    }
    if policy.settled && policy.access == Access::Public {
        for arg in &signature.inputs {
            if let FnArg::Typed(arg) = arg
                && names_type(&arg.ty, "AuthUser")
            {
                errors.at(
                    &arg.ty,
                    "a `public` route cannot require `AuthUser`; write `#[secure(auth)]`, or \
                     take `Option<AuthUser>` for a route where login is optional",
                );
            }
        }
    }
    if rewritable {
        Ok(Handler { function, policy })
    } else {
        Err(Box::new(function))
    }
}

/// Whether `ty` is a path whose last segment is `name` (`AuthUser`, `secure_api::AuthUser<C>`).
/// A type alias hides the name; the runtime then still authenticates when it is extracted.
fn names_type(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name),
        Type::Paren(inner) => names_type(&inner.elem, name),
        Type::Group(inner) => names_type(&inner.elem, name),
        _ => false,
    }
}
