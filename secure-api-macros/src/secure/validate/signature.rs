//! The handler's signature, checked against its policy.

use syn::{FnArg, GenericArgument, ItemFn, PathArguments, Type};

use super::super::model::{Access, Handler, Policy, ResourceArg};
use crate::errors::Errors;

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

    // axum routes handlers of up to 16 arguments; the guard takes one of them.
    if signature.inputs.len() > 15 {
        errors.at(
            &signature.inputs,
            "a `#[secure]` handler takes at most 15 arguments (the policy guard is the 16th axum \
             allows); group some into a struct that implements `FromRequestParts`",
        );
    }

    let mut resource: Option<ResourceArg> = None;
    let mut owned = Vec::new();
    for (index, arg) in signature.inputs.iter().enumerate() {
        let FnArg::Typed(arg) = arg else { continue };
        if policy.settled && policy.access == Access::Public && names_type(&arg.ty, "AuthUser") {
            errors.at(
                &arg.ty,
                "a `public` route cannot require `AuthUser`; write `#[secure(auth)]`, or take \
                 `Option<AuthUser>` for a route where login is optional",
            );
        }
        let Some(resource_type) = owned_resource(&arg.ty) else {
            continue;
        };
        owned.push(index);
        if resource.is_some() {
            errors.at(
                &arg.ty,
                "a route checks ownership of one resource; take one `Owned<T>` and load others \
                 in the handler",
            );
        } else if policy.owner.is_none() {
            if policy.settled {
                errors.at(
                    &arg.ty,
                    "`Owned<T>` is checked against an owner rule: add `owner = \"field\"` (the \
                     resource field that holds the user id) to `#[secure(auth, ...)]`",
                );
            }
        } else {
            resource = Some(ResourceArg {
                index,
                ty: resource_type.clone(),
            });
        }
    }
    if let Some(owner) = &policy.owner
        && resource.is_none()
    {
        errors.push(syn::Error::new(
            owner.span,
            "`owner` checks a resource, but the handler takes none: add an argument \
             `Owned<T>` whose type implements `secure_api::authz::Resource`",
        ));
    }

    if rewritable {
        Ok(Handler {
            function,
            policy,
            resource,
            owned,
        })
    } else {
        Err(Box::new(function))
    }
}

/// Whether `ty` is a path whose last segment is `name` (`AuthUser`, `secure_api::AuthUser<C>`).
/// A type alias hides the name; the runtime then still authenticates when it is extracted.
fn names_type(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|segment| segment.ident == name)
}

/// `T` of an `Owned<T>` argument (by name, as for `AuthUser`).
fn owned_resource(ty: &Type) -> Option<&Type> {
    single_type_argument(ty, "Owned")
}

/// `T` of `Name<T>`.
fn single_type_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let segment = last_segment(ty).filter(|segment| segment.ident == name)?;
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) => path.path.segments.last(),
        Type::Paren(inner) => last_segment(&inner.elem),
        Type::Group(inner) => last_segment(&inner.elem),
        _ => None,
    }
}
