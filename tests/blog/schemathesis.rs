//! schemathesis against the running blog: it reads the blog's own `/api/v1/openapi.json`,
//! sends generated valid and invalid requests to every operation, with a user's token and
//! without, and checks each answer against the document (statuses, content types, bodies
//! against their schemas, no 5xx, invalid input refused, a missing token refused).

use crate::harness::{Blog, create_post};

#[tokio::test]
async fn schemathesis_finds_the_blog_as_its_document_says() {
    if !crate::common::python_tool_installed("schemathesis.cli", "schemathesis") {
        return;
    }
    let password = "the admin's long passphrase";
    let blog = Blog::start_with(&[
        ("BLOG_ADMIN_EMAIL", "admin@example.com"),
        ("BLOG_ADMIN_PASSWORD", password),
    ])
    .await;
    let ada = blog.user("ada").await;
    create_post(&ada, "A published post", true).await;
    // The admin's token, so that the admin route is reached too.
    let token = blog.client().login("admin@example.com", password).await;
    let address = blog.address();
    crate::common::assert_schemathesis_passes(
        crate::common::Document::Served(format!("http://{address}/api/v1/openapi.json")),
        format!("http://{address}"),
        &token,
        // A logout would revoke the one token every other request uses.
        &["--exclude-path", "/api/v1/auth/logout"],
    )
    .await;
}
