//! The blog as a process under load: a burst of logins cannot take its memory, and a real
//! login still gets in.

use serde_json::json;

use crate::child::ChildBlog;

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "the admin's long passphrase";

/// The most resident memory the burst may take the blog to. Unbounded, 150 argon2 hashes at
/// 19 MiB each took it to 2.9 GiB.
const PEAK_LIMIT_KIB: u64 = 512 * 1024;

#[tokio::test]
async fn a_burst_of_logins_from_many_addresses_is_bounded_and_a_real_login_gets_in() {
    let blog = ChildBlog::start(&[
        ("BLOG_ADMIN_EMAIL", ADMIN_EMAIL),
        ("BLOG_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ]);
    let clients = blog.clients(&[ADMIN_PASSWORD]);
    let before = blog.memory_kib("VmHWM");

    // 150 logins at once, one from each of 150 addresses, each inside every rate limit.
    let burst: Vec<_> = (0..150)
        .map(|n| {
            let client = clients.client();
            tokio::spawn(async move {
                let email = format!("nobody-{n}@example.com");
                let body = json!({"email": email, "password": "a wrong passphrase!"});
                client.post("/api/v1/auth/login", &body).await
            })
        })
        .collect();
    // The admin, from an address of their own, during the burst.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let admin = clients.client();
    let login = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let mut reply = admin.post("/api/v1/auth/login", &login).await;
    if reply.status == 503 {
        assert_eq!(reply.header("retry-after"), Some("1"), "{reply:?}");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        reply = admin.post("/api/v1/auth/login", &login).await;
    }
    assert_eq!(reply.status, 200, "the admin's login: {}", reply.text);

    let (mut refused, mut busy) = (0, 0);
    for task in burst {
        let reply = task.await.unwrap();
        match reply.status {
            401 => {
                reply.assert_error(401, "Invalid credentials");
                refused += 1;
            }
            503 => {
                reply.assert_error(503, "Service unavailable");
                assert_eq!(reply.header("retry-after"), Some("1"), "{reply:?}");
                busy += 1;
            }
            _ => panic!("a burst login answered {}: {}", reply.status, reply.text),
        }
    }
    let peak = blog.memory_kib("VmHWM");
    eprintln!(
        "burst: {refused} verified, {busy} answered 503; peak resident {} MiB (before {} MiB)",
        peak / 1024,
        before / 1024
    );
    assert_eq!(refused + busy, 150);
    assert!(
        peak < PEAK_LIMIT_KIB,
        "peak resident memory {} MiB, over {} MiB",
        peak / 1024,
        PEAK_LIMIT_KIB / 1024
    );
    assert!(
        busy > 0,
        "150 hashes at once on {refused} slots: nothing was refused"
    );
}
