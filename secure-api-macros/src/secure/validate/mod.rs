//! Raw options and the handler's signature -> the checked [`Handler`](super::model::Handler)
//! model, with every mistake recorded on its own span.

mod options;
mod rate;
mod signature;

pub(crate) use options::policy;
pub(crate) use signature::handler;
