//! The floors of the runtime: which of `secure-api-runtime`'s top-level modules may import which.
//!
//! The runtime is built in floors, top floor first (the table is [`FLOORS`] below):
//!
//! ```text
//! 1  serve testing   the server loop: connections, TLS, shutdown; the self-audit of an app
//! 2  routing handler argument   the secure router: knows every route's policy, builds the stack
//! 3  config      the security config, read from the environment
//! 4  pipeline    the request pipeline for one policy
//! 5  policy      what a route declared
//! 6  auth authz rate validate transport tls connection extract schema           } the
//! 7  error audit sanitize client_ip digits request_id store kinds               } concerns
//! ```
//!
//! The rules, one test each:
//!
//! - no cycles: no set of modules imports each other in a circle, not even on one floor;
//! - a module may only import modules on its own floor or below, never above;
//! - every module is on a floor: a new module must be placed in the table;
//! - only the top floor (`serve`, `testing`) imports `routing`, and no concern (floors 6 and 7)
//!   imports `routing` or `config`
//!   (implied by the floors, but asked for by name, so it has its own test and message).
//!
//! The tests read the runtime's source (`secure-api-runtime/src/**/*.rs`) with only `std`, no
//! build of the runtime: a file `src/auth.rs`, `src/auth/mod.rs` or `src/auth/**/*.rs` belongs to
//! the module `auth`; `src/lib.rs` is the crate root, no module, and its imports are ignored. A module imports
//! another when its code mentions a path to it anywhere: `use crate::b::X`, the heads of `use
//! crate::{b::{X, Y}, c}` groups (nested, over several lines), `crate::b::f()` in code, and
//! `super::b` or `super::super::b` where the `super`s reach the crate root. `crate::X` where the
//! crate root re-exports `X` (`pub use error::ConfigError;` in `lib.rs`) imports the module `X`
//! comes from. The reading is a simple tokenizer, not a Rust parser:
//!
//! - comments (`//`, `///`, `//!`, nested `/* */`), string, raw string, byte string and char
//!   literals are skipped, so doc links like ``[`Quota`](crate::rate::Quota)`` import nothing;
//! - test code imports freely: an item `#[cfg(test)] mod name { ... }` (other attributes and a
//!   `pub` may come between) is skipped wherever it is in a file, a `#[cfg(test)] mod name;` skips
//!   the file(s) of that module (`config/tests.rs`), and a file starting `#![cfg(test)]` is
//!   skipped. Only the exact attribute `#[cfg(test)]` counts; other `#[cfg(test)]` items (a
//!   test-only `fn`) are read like any code;
//! - not followed: glob re-exports at the root (`pub use auth::*`), paths through the root's
//!   inline modules (`crate::prelude::X`), `#[path]` attributes and macros that build paths.
//!
//! # Fixing a failure
//!
//! Every failure names the file and line of the import and the rule it breaks. Do not fix it by
//! moving a module in the table unless the module really belongs on another floor; instead:
//!
//! - move the item the lower module needs down, to its floor or below (a plain type, an error,
//!   a constant), and have the higher module re-export it if its users expect it there;
//! - invert the dependency: the lower module declares a trait or takes a value or closure, and
//!   the higher module implements it or passes it in when it builds the lower one;
//! - move the code that needs the higher module up, into that module or its caller.
//!
//! A new top-level module is placed on the floor it belongs to: add it to [`FLOORS`].
//! A module in the table that does not exist (yet, or any more) is skipped.

mod graph;
mod scan;

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use graph::{Graph, Import, runtime_graph};

/// The floors, top floor first: a module may import modules on its own floor or below.
pub(crate) const FLOORS: &[&str] = &[
    "serve testing",
    "routing handler argument",
    "config",
    "pipeline",
    "policy",
    "auth authz rate validate transport tls connection extract schema",
    "error audit sanitize client_ip digits request_id store kinds",
];

/// How many floors, counted from the bottom, hold the concerns.
const CONCERN_FLOORS: usize = 2;

/// The runtime's sources, from the workspace root.
pub(crate) const RUNTIME_SRC: &str = "secure-api-runtime/src";

/// The fewest modules and imports the real runtime has: less means the reading broke.
pub(crate) const AT_LEAST: usize = 10;

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn the_checker_finds_the_runtime_modules_and_their_imports() {
    let graph = runtime_graph();
    assert!(graph.modules.contains("routing") && graph.modules.contains("error"));
    assert!(graph.imports.iter().any(|i| i.to == "error"));
}

#[test]
fn no_modules_import_each_other_in_a_cycle() {
    let graph = runtime_graph();
    let cycles = graph.cycles();
    if cycles.is_empty() {
        return;
    }
    let mut report = format!(
        "{} import cycle(s) among the runtime's top-level modules; no module may import \
         itself through others, not even on one floor. Modules in cycles with each other:\n",
        cycles.len()
    );
    for component in graph.tangles() {
        let _ = writeln!(report, "    {}", component.join(" "));
    }
    report.push_str(
        "Each cycle, shortest first; [up] marks an import of a higher floor, to be cut first:\n",
    );
    let floors = floors();
    let up = |import: &Import| match (floors.get(&*import.from), floors.get(&*import.to)) {
        (Some(from), Some(to)) if to < from => " [up]",
        _ => "",
    };
    let edges = graph.edges();
    let mut shown = BTreeSet::new();
    for cycle in &cycles {
        let _ = writeln!(report, "\n{}", cycle.join(" -> "));
        for pair in cycle.windows(2) {
            let edge = (pair[0].clone(), pair[1].clone());
            let imports = &edges[&edge];
            if shown.insert(edge) {
                for import in imports {
                    let _ = writeln!(report, "    {}{}", import.describe(), up(import));
                }
            } else {
                let more = match imports.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                };
                let first = imports[0];
                let _ = writeln!(
                    report,
                    "    {}{} (listed above{more})",
                    first.describe(),
                    up(first)
                );
            }
        }
    }
    panic!("{report}{FIX}");
}

#[test]
fn every_module_is_on_a_floor() {
    let graph = runtime_graph();
    let floors = floors();
    let missing = unplaced(&graph, &floors);
    assert!(missing.is_empty(), "{}{FIX}", missing.join("\n"));
}

#[test]
fn no_module_imports_one_above_it() {
    let graph = runtime_graph();
    let floors = floors();
    let mut failures = unplaced(&graph, &floors);
    for import in &graph.imports {
        let (Some(&from), Some(&to)) = (floors.get(&*import.from), floors.get(&*import.to)) else {
            continue;
        };
        if to < from {
            failures.push(format!(
                "{}: `{}` (floor {}{}) imports `{}` (floor {}): a module may only import its \
                 own floor or below",
                import.place(),
                import.from,
                from,
                concern_note(from),
                import.to,
                to,
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} import(s) break the floors (top floor 1):\n{}{FIX}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn only_serve_imports_routing() {
    let graph = runtime_graph();
    let failures: Vec<String> = graph
        .imports
        .iter()
        .filter(|import| {
            import.to == "routing" && !["serve", "testing"].contains(&import.from.as_str())
        })
        .map(|import| {
            format!(
                "{}: `{}` imports `routing`: only `serve` and `testing`, the top of the stack, \
                 may import `routing`",
                import.place(),
                import.from
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}{FIX}", failures.join("\n"));
}

#[test]
fn no_concern_imports_routing_or_config() {
    let graph = runtime_graph();
    let floors = floors();
    let failures: Vec<String> = graph
        .imports
        .iter()
        .filter(|import| import.to == "routing" || import.to == "config")
        .filter_map(|import| {
            let from = *floors.get(&*import.from)?;
            is_concern(from).then(|| {
                format!(
                    "{}: `{}` (floor {from}, a concern) imports `{}`: a concern may import \
                     neither `routing` nor `config`; it gets its settings from whoever builds it",
                    import.place(),
                    import.from,
                    import.to
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}{FIX}", failures.join("\n"));
}

/// The end of every failure message.
const FIX: &str = "\n\nTo fix it, move the shared item down a floor, invert the dependency (a \
                   trait or a value passed in), or move the code up; see the doc comment of \
                   tests/floors.rs. The floor table is `FLOORS` there.";

/// Each module's floor, 1 for the top floor.
fn floors() -> HashMap<&'static str, usize> {
    let mut floors = HashMap::new();
    for (index, floor) in FLOORS.iter().enumerate() {
        for module in floor.split_whitespace() {
            let previous = floors.insert(module, index + 1);
            assert!(previous.is_none(), "`{module}` is on two floors of FLOORS");
        }
    }
    floors
}

fn is_concern(floor: usize) -> bool {
    floor > FLOORS.len() - CONCERN_FLOORS
}

fn concern_note(floor: usize) -> &'static str {
    if is_concern(floor) { ", a concern" } else { "" }
}

/// A failure for each module of the source that the table does not place.
fn unplaced(graph: &Graph, floors: &HashMap<&str, usize>) -> Vec<String> {
    graph
        .modules
        .iter()
        .filter(|module| !floors.contains_key(module.as_str()))
        .map(|module| {
            format!(
                "{RUNTIME_SRC}/{module}: the module `{module}` is on no floor: place it on the \
                 floor it belongs to in `FLOORS` (tests/floors.rs)"
            )
        })
        .collect()
}
