//! What a route declared: the policy `#[secure(...)]` compiles into a constant.
//!
//! The macro emits one zero-sized type per handler implementing [`RoutePolicy`]; its constant is
//! what the pipeline enforces and what the router lists, so the two can never disagree.

use std::fmt;

use serde_json::Value;

use crate::authz::{DenyAs, Requirement};
use crate::rate::RateRule;
use crate::schema::{Components, ResponseBody};

/// An input a handler reads and validates: `Json<T>`, `Query<T>` or `Form<T>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// A JSON body.
    Json,
    /// Query parameters.
    Query,
    /// A URL-encoded form body.
    Form,
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// Anyone: `#[secure(public)]`. An `Authorization` header is ignored unless the handler asks
    /// for `Option<AuthUser>`.
    Public,
    /// A caller with a verified bearer token: `#[secure(auth)]`.
    Authenticated,
}

impl Access {
    /// The name used in the route inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Authenticated => "auth",
        }
    }
}

/// A route's declared security policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    handler: &'static str,
    module: &'static str,
    line: u32,
    access: Access,
    roles: Requirement,
    scopes: Requirement,
    owner: Option<&'static str>,
    read_rule: Option<&'static str>,
    deny: Option<DenyAs>,
    raw_response: bool,
    raw_body: bool,
    rate: Option<RateRule>,
    /// Bit set of the `InputKind`s the handler reads.
    inputs: u8,
    described: Described,
}

/// A schema of a route's input, as generated code records it.
pub type SchemaFn = fn(&mut Components) -> Value;

/// A description of a route's success response, as generated code records it.
pub type ResponseFn = fn(&mut Components) -> Option<ResponseBody>;

/// The wire names of an input's fields without a size bound (`#[input(unbounded)]`), as
/// generated code records them.
pub type UnboundedFn = fn() -> &'static [&'static str];

/// How the OpenAPI document describes a route's body, query and response.
///
/// It describes and decides nothing, so two policies that differ only here are equal.
#[derive(Clone, Copy, Default)]
struct Described {
    body: Option<SchemaFn>,
    query: Option<SchemaFn>,
    response: Option<ResponseFn>,
    /// One for each input the handler reads (a body and a query at most).
    unbounded: [Option<UnboundedFn>; 2],
}

impl PartialEq for Described {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Described {}

impl fmt::Debug for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Described")
            .field("body", &self.body.is_some())
            .field("query", &self.query.is_some())
            .field("response", &self.response.is_some())
            .field("unbounded", &self.unbounded.map(|f| f.map(|f| f())))
            .finish()
    }
}

impl Policy {
    /// A policy for the handler named `handler` that anyone may call.
    pub const fn public(handler: &'static str) -> Self {
        Self {
            handler,
            module: "",
            line: 0,
            access: Access::Public,
            roles: Requirement::None,
            scopes: Requirement::None,
            owner: None,
            read_rule: None,
            deny: None,
            raw_response: false,
            raw_body: false,
            rate: None,
            inputs: 0,
            described: Described {
                body: None,
                query: None,
                response: None,
                unbounded: [None; 2],
            },
        }
    }

    /// A policy for the handler named `handler` that needs a verified bearer token.
    pub const fn authenticated(handler: &'static str) -> Self {
        Self {
            access: Access::Authenticated,
            ..Self::public(handler)
        }
    }

    /// Records the module of the handler (`module_path!()`), for the inventory.
    #[must_use]
    pub const fn in_module(self, module: &'static str) -> Self {
        Self { module, ..self }
    }

    /// Records the line of the handler's name, which tells apart handlers of one name in one
    /// module.
    #[must_use]
    pub const fn at_line(self, line: u32) -> Self {
        Self { line, ..self }
    }

    /// The line of the handler's name in its file.
    pub const fn line(&self) -> u32 {
        self.line
    }

    /// Requires roles of the verified token (`role = ...`).
    #[must_use]
    pub const fn roles(self, roles: Requirement) -> Self {
        Self { roles, ..self }
    }

    /// Requires scopes of the verified token (`scope = ...`).
    #[must_use]
    pub const fn scopes(self, scopes: Requirement) -> Self {
        Self { scopes, ..self }
    }

    /// Names the resource field that must be the verified user id (`owner = "..."`).
    #[must_use]
    pub const fn owner(self, field: &'static str) -> Self {
        Self {
            owner: Some(field),
            ..self
        }
    }

    /// Names the `bool` resource field that also grants access (`or = "..."`).
    #[must_use]
    pub const fn read_rule(self, field: &'static str) -> Self {
        Self {
            read_rule: Some(field),
            ..self
        }
    }

    /// How this route answers a caller who may not touch an existing resource (`deny = 403`).
    #[must_use]
    pub const fn deny_as(self, deny: DenyAs) -> Self {
        Self {
            deny: Some(deny),
            ..self
        }
    }

    /// Marks a route whose handler takes the body as it came (`Bytes`, `String`, `Request`) and
    /// checks it itself (`raw_body`).
    #[must_use]
    pub const fn raw_body(self) -> Self {
        Self {
            raw_body: true,
            ..self
        }
    }

    /// Marks a route whose response is not checked to be built from `Sanitized` data
    /// (`raw_response`).
    #[must_use]
    pub const fn raw_response(self) -> Self {
        Self {
            raw_response: true,
            ..self
        }
    }

    /// Limits how often a client may call the route (`rate = "5/15m"`).
    #[must_use]
    pub const fn rate(self, rule: RateRule) -> Self {
        Self {
            rate: Some(rule),
            ..self
        }
    }

    /// Records that the handler reads `input` (generated by `#[secure]`).
    #[must_use]
    pub const fn reads(self, input: InputKind) -> Self {
        Self {
            inputs: self.inputs | input_bit(input),
            ..self
        }
    }

    /// Records how the OpenAPI document describes the JSON or form body (generated by
    /// `#[secure]`).
    #[must_use]
    pub const fn body_schema(self, schema: SchemaFn) -> Self {
        Self {
            described: Described {
                body: Some(schema),
                ..self.described
            },
            ..self
        }
    }

    /// Records how the OpenAPI document describes the query (generated by `#[secure]`).
    #[must_use]
    pub const fn query_schema(self, schema: SchemaFn) -> Self {
        Self {
            described: Described {
                query: Some(schema),
                ..self.described
            },
            ..self
        }
    }

    /// Records how the OpenAPI document describes the success response (generated by
    /// `#[secure]`).
    #[must_use]
    pub const fn response_schema(self, schema: ResponseFn) -> Self {
        Self {
            described: Described {
                response: Some(schema),
                ..self.described
            },
            ..self
        }
    }

    /// Records the fields of an input the handler reads that opted out of a size bound
    /// (generated by `#[secure]`, once for each input).
    #[must_use]
    pub const fn unbounded_fields(self, fields: UnboundedFn) -> Self {
        let mut unbounded = self.described.unbounded;
        if unbounded[0].is_none() {
            unbounded[0] = Some(fields);
        } else {
            unbounded[1] = Some(fields);
        }
        Self {
            described: Described {
                unbounded,
                ..self.described
            },
            ..self
        }
    }

    /// The wire names of the input fields without a size bound (`#[input(unbounded)]`), for
    /// the inventory.
    pub fn unbounded_inputs(&self) -> Vec<&'static str> {
        self.described
            .unbounded
            .iter()
            .flatten()
            .flat_map(|fields| fields().iter().copied())
            .collect()
    }

    /// The schema of the body, if the handler reads one of a type with a schema.
    pub(crate) fn body_schema_fn(&self) -> Option<SchemaFn> {
        self.described.body
    }

    /// The schema of the query, if the handler reads one.
    pub(crate) fn query_schema_fn(&self) -> Option<SchemaFn> {
        self.described.query
    }

    /// The description of the success response.
    pub(crate) fn response_schema_fn(&self) -> Option<ResponseFn> {
        self.described.response
    }

    /// Whether the handler reads `input`.
    pub const fn has_input(&self, input: InputKind) -> bool {
        self.inputs & input_bit(input) != 0
    }

    /// The route's own rate limit, if it declares one.
    pub const fn rate_limit(&self) -> Option<RateRule> {
        self.rate
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

const fn input_bit(input: InputKind) -> u8 {
    match input {
        InputKind::Json => 1,
        InputKind::Query => 2,
        InputKind::Form => 4,
    }
}

/// A type that carries a route's policy; `#[secure(...)]` generates one per handler.
pub trait RoutePolicy: Send + Sync + 'static {
    /// The policy.
    const POLICY: Policy;
}
