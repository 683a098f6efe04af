//! What the self-audit tests share: B's note, the resource its owner routes load, a login's
//! input, a limit store that always allows, and a report's findings as `(probe, route)` and
//! skip reasons by route.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::rate::{FailureMode, RedisStore};
use secure_api::testing::{Probe, Report};
use serde::Deserialize;
use validator::Validate;

#[derive(Clone, Sanitized)]
pub struct Note {
    pub id: String,
    pub author_id: String,
    pub title: String,
}

#[derive(Clone, Default)]
pub struct Notes(pub Arc<Mutex<HashMap<String, Note>>>);

impl Resource<Notes> for Note {
    type Id = String;

    async fn load(id: String, notes: &Notes) -> Result<Option<Self>, ApiError> {
        Ok(notes.0.lock().unwrap().get(&id).cloned())
    }
}

/// The notes, holding one of B's (`note-of-b`, by `user-b`) titled `title`.
pub fn notes_of_b(title: &str) -> (Notes, Note) {
    let notes = Notes::default();
    let note = Note {
        id: "note-of-b".into(),
        author_id: "user-b".into(),
        title: title.into(),
    };
    notes
        .0
        .lock()
        .unwrap()
        .insert(note.id.clone(), note.clone());
    (notes, note)
}

/// A login's input, the account named by `email`.
#[derive(Deserialize, Validate, Input)]
pub struct Login {
    #[validate(email, length(max = 100))]
    pub email: String,
    #[validate(length(min = 1, max = 100))]
    pub password: String,
}

/// A limit store that always allows: nothing listens on port 1, so every decision fails,
/// and fails open.
pub fn store_that_always_allows() -> RedisStore {
    RedisStore::open("redis://127.0.0.1:1")
        .unwrap()
        .failure_mode(FailureMode::Open)
        .timeout(std::time::Duration::from_millis(50))
}

/// Why `probe` was skipped on `route` (`"PUT /notes/{id}"`), if it was.
pub fn skipped_reason(report: &Report, route: &str, probe: Probe) -> Option<String> {
    report
        .skipped
        .iter()
        .find(|skip| skip.probe == probe && format!("{} {}", skip.method, skip.path) == route)
        .map(|skip| skip.reason.clone())
}

/// The probes that found something, as `(probe, method path)`.
pub fn found(report: &Report) -> Vec<(Probe, String)> {
    let mut found: Vec<(Probe, String)> = report
        .findings
        .iter()
        .map(|finding| {
            (
                finding.probe,
                format!("{} {}", finding.method, finding.path),
            )
        })
        .collect();
    found.dedup();
    found
}
