// A `serde_json::Value` field: anything could be in it.

use secure_api::Sanitized;

#[derive(Sanitized)]
struct Report {
    data: serde_json::Value,
}

fn main() {}
