// Nested, generic and renamed `Sanitized` types compose.

use std::collections::BTreeMap;

use secure_api::Sanitized;

#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
struct UserView {
    user_id: uuid::Uuid,
    #[serde(rename = "mail")]
    email: String,
    #[sensitive]
    password_hash: String,
    #[expose]
    public_key_hash: Option<String>,
}

#[derive(Sanitized)]
struct Page<T> {
    items: Vec<T>,
    by_name: BTreeMap<String, T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<u64>,
}

#[derive(Sanitized)]
#[serde(rename_all = "snake_case")]
enum Status {
    Active,
    OnHold,
}

#[derive(Sanitized)]
struct Envelope {
    page: Page<UserView>,
    status: Status,
    tags: Vec<&'static str>,
}

fn main() {
    let _ = serde_json::to_string(&Envelope {
        page: Page { items: vec![], by_name: BTreeMap::new(), next: None },
        status: Status::OnHold,
        tags: vec![],
    });
}
