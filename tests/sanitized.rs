//! `#[derive(Sanitized)]`: sensitive fields never reach a response or a `Debug` line, at any
//! depth; serde's renames are honoured; views are built from models in one line.

mod common;

use common::*;
use secure_api::prelude::*;
use secure_api::routing::get;
use serde_json::json;

/// A database row, as the application loads it.
struct UserRow {
    id: i64,
    name: String,
    email: String,
    password_hash: String,
    role: Role,
}

#[derive(Sanitized, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Role {
    Admin,
    Member,
}

/// The article's `sanitizeUser`, as a type: built from the row, the hash never sent.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
#[sanitized(from = "UserRow")]
struct UserView {
    id: i64,
    #[serde(rename = "displayName")]
    name: String,
    email: String,
    #[sensitive]
    password_hash: String,
    role: Role,
}

#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    items: Vec<T>,
    total_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn row(id: i64) -> UserRow {
    UserRow {
        id,
        name: format!("user {id}"),
        email: format!("u{id}@example.com"),
        password_hash: String::from("$argon2id$v=19$secret-hash"),
        role: if id == 1 { Role::Admin } else { Role::Member },
    }
}

fn page() -> Page<UserView> {
    Page {
        items: vec![row(1).into(), row(2).into()],
        total_count: 2,
        next_cursor: None,
    }
}

#[secure(public)]
async fn users() -> Json<Page<UserView>> {
    Json(page())
}

#[tokio::test]
async fn a_sensitive_field_nested_in_a_list_never_reaches_the_response() {
    let app: secure_api::Router = secure_api::Router::new()
        .route("/users", get(users))
        .with_config(hs256_config());
    let reply = send(app, get_request("/users")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "items": [
                { "id": 1, "displayName": "user 1", "email": "u1@example.com", "role": "admin" },
                { "id": 2, "displayName": "user 2", "email": "u2@example.com", "role": "member" },
            ],
            "totalCount": 2,
        })
    );
    assert!(!reply.text.contains("argon2") && !reply.text.contains("password"));
}

#[test]
fn debug_output_redacts_sensitive_fields() {
    let debug = format!("{:?}", page());
    assert!(debug.contains("password_hash: [redacted]"), "{debug}");
    assert!(!debug.contains("argon2"), "{debug}");
    assert!(debug.contains("email: \"u1@example.com\""), "{debug}");
    assert_eq!(format!("{:?}", Role::Admin), "Admin");
}

#[test]
fn skip_serializing_if_and_renames_match_serde() {
    /// The same attributes under serde's own derive, to compare with.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "SCREAMING-KEBAB-CASE")]
    struct Reference {
        created_at: u8,
        #[serde(rename = "x")]
        renamed: u8,
    }
    #[derive(Sanitized)]
    #[serde(rename_all = "SCREAMING-KEBAB-CASE")]
    struct Ours {
        created_at: u8,
        #[serde(rename = "x")]
        renamed: u8,
    }
    let with_cursor = Page::<UserView> {
        items: vec![],
        total_count: 0,
        next_cursor: Some("abc".into()),
    };
    assert_eq!(
        serde_json::to_value(&with_cursor).unwrap(),
        json!({ "items": [], "totalCount": 0, "nextCursor": "abc" })
    );

    assert_eq!(
        serde_json::to_value(Ours {
            created_at: 1,
            renamed: 2
        })
        .unwrap(),
        serde_json::to_value(Reference {
            created_at: 1,
            renamed: 2
        })
        .unwrap()
    );
}

#[test]
fn times_compose_with_the_chrono_feature() {
    #[derive(Sanitized)]
    #[serde(rename_all = "camelCase")]
    struct Stamped {
        created_at: chrono::DateTime<chrono::Utc>,
        day: chrono::NaiveDate,
    }
    let stamped = Stamped {
        created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
        day: chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
    };
    assert_eq!(
        serde_json::to_value(&stamped).unwrap(),
        json!({ "createdAt": "1970-01-01T00:00:00Z", "day": "2026-11-29" })
    );
}

#[test]
fn a_trusted_field_of_a_foreign_type_is_published_as_it_is() {
    #[derive(Sanitized)]
    struct Report {
        #[trusted]
        data: serde_json::Value,
        #[expose]
        public_key_hash: String,
    }
    let report = Report {
        data: json!({ "a": 1 }),
        public_key_hash: "abc".into(),
    };
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({ "data": { "a": 1 }, "public_key_hash": "abc" })
    );
}
