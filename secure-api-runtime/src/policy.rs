//! What a route declared: the policy `#[secure(...)]` compiles into a constant.
//!
//! The macro emits one zero-sized type per handler implementing [`RoutePolicy`]; its constant is
//! what the pipeline enforces and what the router lists, so the two can never disagree.

use std::fmt;

use crate::authz::{DenyAs, Requirement};
use crate::rate::{AccountRule, RateRule};
use crate::schema::{Components, ResponseBody};
pub use crate::validate::{ArgumentInput, InputFn, InputKind};

pub use crate::kinds::{Access, Schemes};

pub(crate) mod builder;

/// A route's declared security policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    handler: &'static str,
    module: &'static str,
    line: u32,
    access: Access,
    schemes: Schemes,
    roles: Requirement,
    scopes: Requirement,
    owner: Option<&'static str>,
    read_rule: Option<&'static str>,
    deny: Option<DenyAs>,
    raw_response: bool,
    raw_body: bool,
    rate: Option<RateRule>,
    account: Option<AccountRule>,
    rate_name: Option<&'static str>,
    described: Described,
}

/// A description of a route's success response, as generated code records it.
pub type ResponseFn = fn(&mut Components) -> Option<ResponseBody>;

/// How the OpenAPI document and the inventory describe a route's inputs and response.
///
/// It describes and decides nothing, so two policies that differ only here are equal.
#[derive(Clone, Copy, Default)]
struct Described {
    /// The probes of the handler's arguments: what each reads, by its type.
    arguments: Option<InputFn>,
    response: Option<ResponseFn>,
}

impl Described {
    fn inputs(&self) -> Vec<ArgumentInput> {
        let mut inputs = Vec::new();
        if let Some(arguments) = self.arguments {
            arguments(&mut inputs);
        }
        inputs
    }
}

impl PartialEq for Described {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Described {}

impl fmt::Debug for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut inputs = Vec::new();
        if let Some(arguments) = self.arguments {
            arguments(&mut inputs);
        }
        let kinds: Vec<InputKind> = inputs.iter().map(|input| input.kind).collect();
        f.debug_struct("Described")
            .field("inputs", &kinds)
            .field("response", &self.response.is_some())
            .finish()
    }
}

impl Policy {
    /// The line of the handler's name in its file.
    pub const fn line(&self) -> u32 {
        self.line
    }

    /// The wire names of the input fields without a size bound (`#[input(unbounded)]`), for
    /// the inventory.
    pub fn unbounded_inputs(&self) -> Vec<&'static str> {
        self.inputs()
            .into_iter()
            .flat_map(|input| input.unbounded.iter().copied())
            .collect()
    }

    /// What the handler's arguments read, in the order written.
    pub fn inputs(&self) -> Vec<ArgumentInput> {
        self.described.inputs()
    }

    /// The first input of `kind` the handler reads.
    pub(crate) fn input(&self, kind: InputKind) -> Option<ArgumentInput> {
        self.inputs().into_iter().find(|input| input.kind == kind)
    }

    /// The description of the success response.
    pub(crate) fn response_schema_fn(&self) -> Option<ResponseFn> {
        self.described.response
    }

    /// Whether the handler reads `input`.
    pub fn has_input(&self, input: InputKind) -> bool {
        self.input(input).is_some()
    }

    /// The route's own rate limit, if it declares one.
    pub const fn rate_limit(&self) -> Option<RateRule> {
        self.rate
    }

    /// The name the route's limits go by, when it shares them (`rate_name`).
    pub const fn limits_name(&self) -> Option<&'static str> {
        self.rate_name
    }

    /// The route's limit by account, if it has one.
    pub const fn account_limit(&self) -> Option<AccountRule> {
        self.account
    }

    /// Whether the handler takes the body as it came and checks it itself (`raw_body`).
    pub const fn has_raw_body(&self) -> bool {
        self.raw_body
    }

    /// Whether the route opted out of response checking (`raw_response`).
    pub const fn has_raw_response(&self) -> bool {
        self.raw_response
    }

    /// The name of the handler function that declared the policy.
    pub const fn handler(&self) -> &'static str {
        self.handler
    }

    /// The module path of the handler function (`my_app::posts`), which tells apart handlers
    /// of the same name.
    pub const fn module(&self) -> &'static str {
        self.module
    }

    /// Who may call the route.
    pub const fn access(&self) -> Access {
        self.access
    }

    /// The credentials an `auth` route accepts (of those the app configured):
    /// [`Schemes::ANY`] unless `#[secure(auth = ...)]` narrows it.
    pub const fn schemes(&self) -> Schemes {
        self.schemes
    }

    /// The roles required.
    pub const fn required_roles(&self) -> Requirement {
        self.roles
    }

    /// The scopes required.
    pub const fn required_scopes(&self) -> Requirement {
        self.scopes
    }

    /// The owner field, for routes on a resource.
    pub const fn owner_field(&self) -> Option<&'static str> {
        self.owner
    }

    /// The read rule field, if any.
    pub const fn read_rule_field(&self) -> Option<&'static str> {
        self.read_rule
    }

    /// The route's own answer for a resource that is not the caller's, if it sets one.
    pub const fn deny(&self) -> Option<DenyAs> {
        self.deny
    }
}

/// A type that carries a route's policy; `#[secure(...)]` generates one per handler.
pub trait RoutePolicy: Send + Sync + 'static {
    /// The policy.
    const POLICY: Policy;
}
