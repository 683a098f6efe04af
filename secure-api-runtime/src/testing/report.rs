//! What the self-audit found: [`Report`], its [`Finding`]s and [`Skipped`] probes.

use std::fmt;

use http::Method;

/// A probe of the self-audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Probe {
    /// No credential at all.
    NoCredential,
    /// A valid credential of a scheme the route does not accept.
    OtherScheme,
    /// A credential that is not one (a bearer token that is no JWT, a key of no format).
    MalformedCredential,
    /// A token whose `alg` is `none` (in four spellings), unsigned.
    AlgNone,
    /// A's token with its payload changed and its signature kept.
    TamperedPayload,
    /// A's token with its signature cut short.
    TruncatedSignature,
    /// A token signed with the app's key that expired an hour ago.
    ExpiredToken,
    /// A token signed with the app's key for another audience.
    OtherAudience,
    /// A token signed with the app's key by another issuer.
    OtherIssuer,
    /// A token signed with `HS256` and an RSA public key as the secret.
    KeyConfusion,
    /// A token the app revoked.
    RevokedToken,
    /// A cross-site unsafe request with A's session cookie and no CSRF token.
    CrossSiteRequest,
    /// A's credential on a route that requires a role A lacks.
    MissingRole,
    /// A's credential on a route that requires a scope A lacks.
    MissingScope,
    /// A on B's resource.
    OthersResource,
    /// The route's quota plus one request, from one client.
    RateLimit,
    /// A general limit's quota plus one request, from one client, to a route it covers.
    GeneralLimit,
    /// The route's quota by account plus one attempt on one account, each from another
    /// client.
    AccountLimit,
    /// A body with a field the input does not have.
    UnknownField,
    /// A value of the wrong type: a JSON body's field, a form's or a query's number.
    WrongType,
    /// A value past the bound its type declares: a string over its `max` length, a number
    /// over its range, a list over its `max` items.
    OverBound,
    /// A body that is not JSON.
    MalformedJson,
    /// A JSON array for a body.
    ArrayBody,
    /// A body of another content type.
    WrongContentType,
    /// A body over the app's limit, with its length declared and without (chunked).
    BodyTooLarge,
    /// An input the route accepts (a body, a form, a query): an error the handler answers
    /// must not echo it.
    EchoedInput,
    /// What every answer must be: headers, request id, error shape, nothing leaked.
    Answer,
}

impl Probe {
    /// The probe's name in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoCredential => "no credential",
            Self::OtherScheme => "another scheme",
            Self::MalformedCredential => "malformed credential",
            Self::AlgNone => "alg none",
            Self::TamperedPayload => "tampered payload",
            Self::TruncatedSignature => "truncated signature",
            Self::ExpiredToken => "expired token",
            Self::OtherAudience => "another audience",
            Self::OtherIssuer => "another issuer",
            Self::KeyConfusion => "key confusion",
            Self::RevokedToken => "revoked token",
            Self::CrossSiteRequest => "cross-site request",
            Self::MissingRole => "missing role",
            Self::MissingScope => "missing scope",
            Self::OthersResource => "another's resource",
            Self::RateLimit => "rate limit",
            Self::AccountLimit => "account limit",
            Self::GeneralLimit => "general limit",
            Self::UnknownField => "unknown field",
            Self::WrongType => "wrong type",
            Self::OverBound => "over its bound",
            Self::MalformedJson => "malformed JSON",
            Self::ArrayBody => "array body",
            Self::WrongContentType => "wrong content type",
            Self::BodyTooLarge => "body too large",
            Self::EchoedInput => "echoed input",
            Self::Answer => "answer",
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An answer that was not what the route's policy says it must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The route's method.
    pub method: Method,
    /// The route's path template.
    pub path: String,
    /// What was tried.
    pub probe: Probe,
    /// What the answer should have been.
    pub expected: String,
    /// What it was.
    pub got: String,
}

/// A probe that was not made, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The route's method.
    pub method: Method,
    /// The route's path template.
    pub path: String,
    /// The probe.
    pub probe: Probe,
    /// Why: the config cannot make it, a fixture is missing, or the app said so.
    pub reason: String,
}

/// What the self-audit found: its findings, the probes it skipped, how many requests it made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The answers that were not what they must be.
    pub findings: Vec<Finding>,
    /// The probes not made.
    pub skipped: Vec<Skipped>,
    /// How many requests the probes made.
    pub requests: usize,
    /// How many requests each probe made, so that a test can check what was covered.
    pub made: std::collections::BTreeMap<Probe, usize>,
    /// How many requests each probe made on each route, keyed by `("GET /posts/{id}", probe)`.
    pub made_on_route: std::collections::BTreeMap<(String, Probe), usize>,
}

impl Report {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// How many requests `probe` made.
    pub fn made(&self, probe: Probe) -> usize {
        self.made.get(&probe).copied().unwrap_or(0)
    }

    /// How many requests `probe` made on `route` (`"PUT /posts/{id}"`: the method and the
    /// path template).
    pub fn made_on(&self, route: &str, probe: Probe) -> usize {
        self.made_on_route
            .get(&(route.to_owned(), probe))
            .copied()
            .unwrap_or(0)
    }

    /// The findings of one probe.
    pub fn of(&self, probe: Probe) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |finding| finding.probe == probe)
    }
}

impl fmt::Display for Report {
    /// A table of the findings, then of the skipped probes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "self-audit: {} finding(s), {} probe(s) skipped, {} requests",
            self.findings.len(),
            self.skipped.len(),
            self.requests
        )?;
        for finding in &self.findings {
            writeln!(
                f,
                "FOUND  {} {}  {}: expected {}; got {}",
                finding.method, finding.path, finding.probe, finding.expected, finding.got
            )?;
        }
        for skipped in &self.skipped {
            writeln!(
                f,
                "SKIP   {} {}  {}: {}",
                skipped.method, skipped.path, skipped.probe, skipped.reason
            )?;
        }
        Ok(())
    }
}
