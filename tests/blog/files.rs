//! What the blog writes to disk is its owner's alone: the database (password hashes) with its
//! `-wal` and `-shm` files, and development's mail outbox (live reset tokens).

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use crate::child::ChildBlog;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_database_and_the_outbox_are_readable_by_their_owner_only() {
    let blog = ChildBlog::start(&[]);
    let clients = blog.clients(&[]);
    let client = clients.client();
    let password = "ada's long passphrase";
    let reply = client
        .post(
            "/api/v1/auth/register",
            &json!({"email": "ada@example.com", "name": "Ada", "password": password}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let reply = client
        .post(
            "/api/v1/auth/reset-password",
            &json!({"email": "ada@example.com"}),
        )
        .await;
    assert_eq!(reply.status, 202);
    let outbox = blog.dir().join("outbox.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::read_to_string(&outbox)
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no mail in the outbox"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The outbox's path is logged at start, and the token is not in the log.
    let logs = blog.logs.lock().unwrap().join("\n");
    assert!(logs.contains(&*outbox.to_string_lossy()), "{logs}");
    let mail: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&outbox).unwrap().trim()).unwrap();
    let token = mail["body"].as_str().unwrap().rsplit(' ').next().unwrap();
    assert_eq!(token.len(), 43);
    assert!(!logs.contains(token));

    for name in ["blog.db", "blog.db-wal", "blog.db-shm", "outbox.jsonl"] {
        assert_eq!(mode(&blog.dir().join(name)), 0o600, "{name}");
    }
}
