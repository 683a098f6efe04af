//! The API table of issue 7, its post rows and the OpenAPI document: status codes, exact
//! bodies, the owner rule, the article's schema.

use serde_json::{Value, json};

use crate::harness::{Blog, MISSING, assert_rfc3339, assert_uuid_v4, create_post, keys};

#[tokio::test]
async fn the_public_list_pages_published_posts_newest_first() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let first = create_post(&ada, "first", true).await;
    let _draft = create_post(&ada, "draft", false).await;
    let second = create_post(&ada, "second", true).await;
    let anyone = blog.client();

    let page = anyone.get("/api/v1/posts").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(keys(&page.body), ["items", "page", "perPage", "total"]);
    assert_eq!(
        (&page.body["page"], &page.body["perPage"]),
        (&json!(1), &json!(20))
    );
    assert_eq!(page.body["total"], 2);
    let ids: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|post| post["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);

    let page = anyone.get("/api/v1/posts?page=2&perPage=1").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["items"][0]["id"], first.as_str());
    assert_eq!(
        (&page.body["page"], &page.body["perPage"]),
        (&json!(2), &json!(1))
    );
    // Items carry an excerpt of at most 200 characters; the post itself, all of it.
    assert_eq!(
        keys(&page.body["items"][0]),
        [
            "authorId",
            "createdAt",
            "excerpt",
            "id",
            "tags",
            "title",
            "updatedAt"
        ]
    );
    let long = "é".repeat(300) + &"x".repeat(49_700);
    let created = ada
        .client
        .post(
            "/api/v1/posts",
            &json!({ "title": "long", "content": long }),
        )
        .await;
    let long_id = created.body["id"].as_str().unwrap().to_owned();
    let published = ada
        .client
        .put(
            &format!("/api/v1/posts/{long_id}"),
            &json!({ "isPublished": true }),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let page = anyone.get("/api/v1/posts?perPage=1").await;
    assert_eq!(page.body["items"][0]["id"], long_id.as_str());
    assert_eq!(page.body["items"][0]["excerpt"], "é".repeat(200).as_str());
    assert!(page.text.len() < 2_000, "{} bytes", page.text.len());
    let post = ada.client.get(&format!("/api/v1/posts/{long_id}")).await;
    assert_eq!(post.body["content"], long.as_str());

    let past_the_end = anyone.get("/api/v1/posts?page=4&perPage=1").await;
    assert_eq!(past_the_end.body["items"], json!([]));
    assert_eq!(anyone.get("/api/v1/posts?perPage=100").await.status, 200);

    for (query, field) in [
        ("page=0", "page"),
        ("perPage=0", "perPage"),
        ("perPage=101", "perPage"),
        ("page=-1", "page"),
        ("page=abc", "page"),
    ] {
        let reply = anyone.get(&format!("/api/v1/posts?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        assert_eq!(reply.error(), "Invalid input", "{query}");
        assert_eq!(
            reply.body["details"][0]["field"], field,
            "{query}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn a_post_is_read_by_its_author_or_once_published() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;
    let draft = create_post(&ada, "a draft", false).await;
    let path = format!("/api/v1/posts/{draft}");

    let own = ada.client.get(&path).await;
    assert_eq!(own.status, 200);
    assert_eq!(
        keys(&own.body),
        [
            "authorId",
            "content",
            "createdAt",
            "id",
            "isPublished",
            "tags",
            "title",
            "updatedAt"
        ]
    );
    assert_eq!(own.body["isPublished"], false);

    // Someone else's draft, a missing post and a malformed id answer alike.
    for path in [
        path.as_str(),
        MISSING,
        "/api/v1/posts/42",
        "/api/v1/posts/x'--",
    ] {
        bob.client.get(path).await.assert_error(404, "Not found");
    }
    blog.client()
        .get(&path)
        .await
        .assert_error(401, "Authentication required");

    let published = ada.client.put(&path, &json!({ "isPublished": true })).await;
    assert_eq!(published.body["isPublished"], true);
    let read = bob.client.get(&path).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["title"], "a draft");
}

#[tokio::test]
async fn creating_a_post_checks_the_articles_schema() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let create = |body: Value| {
        let client = ada.client.clone();
        async move { client.post("/api/v1/posts", &body).await }
    };

    let created = create(json!({ "title": "Hello", "content": "World", "tags": ["a", "b"] })).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_uuid_v4(&created.body["id"]);
    assert_rfc3339(&created.body["createdAt"]);
    assert_eq!(created.body["createdAt"], created.body["updatedAt"]);
    assert_eq!(created.body["title"], "Hello");
    assert_eq!(created.body["content"], "World");
    assert_eq!(created.body["tags"], json!(["a", "b"]));
    assert_eq!(created.body["authorId"], ada.id.as_str());
    assert_eq!(created.body["isPublished"], false);

    let untagged = create(json!({ "title": "Hey", "content": "" })).await;
    assert_eq!(untagged.status, 201, "{}", untagged.text);
    assert_eq!(untagged.body["tags"], json!([]));
    let longest = create(json!({
        "title": "t".repeat(200), "content": "c".repeat(50_000), "tags": vec!["t"; 10],
    }))
    .await;
    assert_eq!(longest.status, 201);

    for (body, field) in [
        (json!({ "title": "Hi", "content": "x" }), "title"),
        (json!({ "title": "t".repeat(201), "content": "x" }), "title"),
        (
            json!({ "title": "Hello", "content": "c".repeat(50_001) }),
            "content",
        ),
        (
            json!({ "title": "Hello", "content": "x", "tags": vec!["t"; 11] }),
            "tags",
        ),
        // Each tag has a bound of its own: one of 500,000 characters was once accepted.
        (
            json!({ "title": "Hello", "content": "x", "tags": ["a", "t".repeat(500_000)] }),
            "tags[1]",
        ),
        (
            json!({ "title": "Hello", "content": "x", "tags": ["a", "t".repeat(51)] }),
            "tags[1]",
        ),
        (json!({ "title": "Hello" }), "content"),
        (
            json!({ "title": "Hello", "content": "x", "isPublished": true }),
            "isPublished",
        ),
    ] {
        let reply = create(body).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert_eq!(reply.body["details"][0]["field"], field, "{}", reply.text);
    }
    blog.client()
        .post(
            "/api/v1/posts",
            &json!({ "title": "Hello", "content": "x" }),
        )
        .await
        .assert_error(401, "Authentication required");
}

#[tokio::test]
async fn only_the_author_updates_or_deletes_a_post() {
    let blog = Blog::start().await;
    let ada = blog.user("ada").await;
    let bob = blog.user("bob").await;
    let id = create_post(&ada, "original", true).await;
    let path = format!("/api/v1/posts/{id}");

    // Published or not, the post is Ada's to change: Bob gets the 404 of a missing post.
    bob.client
        .put(&path, &json!({ "title": "defaced" }))
        .await
        .assert_error(404, "Not found");
    bob.client
        .delete(&path)
        .await
        .assert_error(404, "Not found");
    for path in [MISSING, "/api/v1/posts/nope"] {
        ada.client
            .put(path, &json!({ "title": "anything" }))
            .await
            .assert_error(404, "Not found");
        ada.client.delete(path).await.assert_error(404, "Not found");
    }
    assert_eq!(ada.client.get(&path).await.body["title"], "original");

    let updated = ada
        .client
        .put(
            &path,
            &json!({ "title": "edited", "tags": ["x"], "isPublished": false }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["title"], "edited");
    assert_eq!(updated.body["content"], "text");
    assert_eq!(updated.body["tags"], json!(["x"]));
    assert_eq!(updated.body["isPublished"], false);
    assert_eq!(updated.body["authorId"], ada.id.as_str());
    assert!(updated.body["updatedAt"].as_str() >= updated.body["createdAt"].as_str());
    assert_eq!(ada.client.get(&path).await.body, updated.body);

    let invalid = ada.client.put(&path, &json!({ "title": "no" })).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["details"][0]["field"], "title");

    let deleted = ada.client.delete(&path).await;
    assert_eq!(deleted.status, 204);
    ada.client.get(&path).await.assert_error(404, "Not found");
}

#[tokio::test]
async fn the_openapi_document_is_public() {
    let blog = Blog::start().await;
    let reply = blog.client().get("/api/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let document = &reply.body;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/health",
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/reset-password",
        "/api/v1/auth/reset-password/confirm",
        "/api/v1/users/me",
        "/api/v1/users/{id}",
        "/api/v1/admin/users",
        "/api/v1/posts",
        "/api/v1/posts/{id}",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    // Public operations need no token, the others the bearer scheme.
    assert_eq!(paths["/api/v1/auth/login"]["post"]["security"], json!([]));
    assert_ne!(paths["/api/v1/posts/{id}"]["put"]["security"], json!([]));
}
