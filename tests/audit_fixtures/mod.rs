//! What the self-audit tests share: B's note, the resource its owner routes load, and the
//! findings of a report as `(probe, route)`.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::testing::{Probe, Report};

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
