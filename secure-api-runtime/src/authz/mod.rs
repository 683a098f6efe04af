//! Authorization: roles and scopes (function level) and resource ownership (object level).
//!
//! - Roles and scopes come from the verified token ([`AuthUser`](crate::AuthUser)) and are
//!   checked by the policy guard right after authentication: `403 {"error":"Access denied"}`.
//! - Ownership: a handler takes `Owned<T>`, where `T` implements [`Resource`] (how to load one
//!   by its path id from the app state). The guard's sibling extractor loads it once, compares
//!   the field named by `owner = "..."` with the verified user id, and lets a read rule
//!   (`or = "is_published"`) grant access too. A missing resource and one that is not yours
//!   give the same `404 {"error":"Not found"}` by default, so ids cannot be probed; `deny = 403`
//!   on a route (or [`DenyAs::Forbidden`] in the config) answers `403` for the latter instead.
//!
//! Both run before the request body is read or validated, so a stranger never learns anything
//! from a validation error about someone else's resource.

pub(crate) mod owner;
pub(crate) mod resource;

pub use owner::OwnerId;
pub use resource::{Owned, Resource};

pub(crate) use owner::OwnershipRule;
pub(crate) use resource::OwnedLoader;

pub use crate::kinds::DenyAs;

/// Roles or scopes a route requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Requirement {
    /// Nothing required.
    None,
    /// At least one of these.
    Any(&'static [&'static str]),
    /// Every one of these.
    All(&'static [&'static str]),
}

impl Requirement {
    /// Whether `granted` (the token's roles or scopes) satisfies the requirement.
    pub fn is_met_by(self, granted: &[String]) -> bool {
        let has = |wanted: &&str| granted.iter().any(|g| g == wanted);
        match self {
            Self::None => true,
            Self::Any(wanted) => wanted.iter().any(has),
            Self::All(wanted) => wanted.iter().all(has),
        }
    }

    /// The names required, for the inventory.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Self::None => &[],
            Self::Any(names) | Self::All(names) => names,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Requirement;

    #[test]
    fn any_and_all_requirements() {
        let granted = vec![String::from("editor"), String::from("viewer")];
        assert!(Requirement::None.is_met_by(&[]));
        assert!(Requirement::Any(&["admin", "editor"]).is_met_by(&granted));
        assert!(!Requirement::Any(&["admin"]).is_met_by(&granted));
        assert!(Requirement::All(&["editor", "viewer"]).is_met_by(&granted));
        assert!(!Requirement::All(&["editor", "admin"]).is_met_by(&granted));
        assert!(
            !Requirement::Any(&["Editor"]).is_met_by(&granted),
            "names are case-sensitive"
        );
    }
}
