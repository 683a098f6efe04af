//! Loading the resource a route acts on, and the ownership check, before the handler runs.
//!
//! (The compiler quotes [`Resource`]'s message when a type is used as `Owned<T>` without an
//! implementation; keep this file's traits stable.)

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A type a route can load by the id in its path, for `Owned<Self>` arguments.
///
/// ```
/// use secure_api::authz::Resource;
/// use secure_api::ApiError;
///
/// #[derive(Clone)]
/// struct AppState { /* a database pool */ }
///
/// struct Post { id: u64, author_id: String, is_published: bool }
///
/// impl Resource<AppState> for Post {
///     type Id = u64; // `/posts/{id}`
///
///     async fn load(id: u64, _state: &AppState) -> Result<Option<Self>, ApiError> {
///         // SELECT ... WHERE id = $1, with `id` as a bound parameter
///         Ok(Some(Post { id, author_id: "ada".into(), is_published: false }))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be loaded as the resource of a route",
    label = "`Owned<{Self}>` needs `{Self}` to implement `Resource` for the router's state",
    note = "implement `secure_api::authz::Resource<AppState>` for `{Self}`, with your router's state type: the type of its id in the path, and how to load one from the state"
)]
pub trait Resource<S>: Sized + Send + 'static {
    /// The path parameters that identify one, as `axum::extract::Path` extracts them: `u64`
    /// for `/posts/{id}`, a tuple or a struct for several. An id that does not parse answers
    /// `404`, as a missing resource does.
    type Id: DeserializeOwned + Send;

    /// Loads the resource, or `None` when there is none with this id. Errors are internal
    /// (`500`, logged); a missing resource is `Ok(None)`.
    fn load(id: Self::Id, state: &S)
    -> impl Future<Output = Result<Option<Self>, ApiError>> + Send;
}

/// A resource the verified caller may access on this route, loaded by its path id.
///
/// Only a `#[secure(auth, owner = "field")]` route can take one: the framework loads it once,
/// before the request body is read, and checks the owner field (and the read rule, if any)
/// against the verified user id.
pub struct Owned<T>(pub T);

impl<T> Owned<T> {
    /// The resource.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Owned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Owned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Owned").field(&self.0).finish()
    }
}

/// The extractor `#[secure]` puts in place of an `Owned<T>` argument, right after the policy
/// guard: it loads the resource and applies the route's rule `P`.
pub struct OwnedLoader<T, P>(T, PhantomData<fn() -> P>);

impl<T, P> OwnedLoader<T, P> {
    /// A resource the route's rule granted (step 6 of the pipeline makes it).
    pub(crate) fn granted(resource: T) -> Self {
        Self(resource, PhantomData)
    }

    /// The checked resource, for the handler.
    pub fn into_owned(self) -> Owned<T> {
        Owned(self.0)
    }
}
