//! Origins (`scheme://host[:port]`) written in the config: the public origin of redirects and
//! the CORS allow-list read them the same way.

use http::Uri;

/// `text` as an origin with one of `schemes`, lower-cased and without its scheme's default
/// port, exactly as browsers send it in `Origin`; `None` when it has a path, a query, user
/// information, a wildcard or another scheme. A lone trailing `/` is refused too: it reads as
/// a path to whoever wrote it.
pub(super) fn parse(text: &str, schemes: &[&str]) -> Option<String> {
    let uri: Uri = text.parse().ok()?;
    let scheme = uri.scheme_str().filter(|scheme| schemes.contains(scheme))?;
    let authority = uri.authority()?;
    let bare = uri.path_and_query().is_none_or(|p| p.as_str() == "/") && !text.ends_with('/');
    if !bare || authority.as_str().contains(['@', '*']) {
        return None;
    }
    let host = authority.host().to_ascii_lowercase();
    Some(match (scheme, authority.port_u16()) {
        ("https", Some(443)) | ("http", Some(80)) | (_, None) => format!("{scheme}://{host}"),
        (_, Some(port)) => format!("{scheme}://{host}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn origins_are_normalized_or_refused() {
        let web = ["https", "http"];
        assert_eq!(
            parse("https://App.Example.com", &web).unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse("https://a.example:443", &web).unwrap(),
            "https://a.example"
        );
        assert_eq!(
            parse("http://localhost:5173", &web).unwrap(),
            "http://localhost:5173"
        );
        assert_eq!(parse("http://[::1]:80", &web).unwrap(), "http://[::1]");
        for bad in [
            "https://a.example/",
            "https://a.example/x",
            "https://u:p@a.example",
            "a.example",
            "ftp://a.example",
            "https://*.example",
        ] {
            assert_eq!(parse(bad, &web), None, "{bad}");
        }
        assert_eq!(parse("http://a.example", &["https"]), None);
    }
}
