//! Reading one source file: a small tokenizer that skips comments, strings and test code, and
//! the module paths the code mentions.

// ---------------------------------------------------------------------------------------------
// Reading one file.

/// What one file mentions.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) mentions: Vec<Mention>,
    /// The child modules declared `#[cfg(test)] mod name;` (`inner/name` in an inline `mod
    /// inner`).
    pub(crate) test_modules: Vec<String>,
    /// The file starts `#![cfg(test)]`.
    pub(crate) test_only: bool,
    /// The `use` items outside any braces: (path, the name it brings in).
    pub(crate) root_uses: Vec<(Vec<String>, String)>,
}

/// A path from the crate root: `head` is its first segment, `crate::head` or `super::head`.
#[derive(Debug)]
pub(crate) struct Mention {
    pub(crate) head: String,
    pub(crate) line: usize,
    /// The path up to and with the head: `crate::rate`, `super::super::rate`, `crate::ApiError`.
    pub(crate) via: String,
}

/// The mentions of crate-root paths in the code of a file `depth` modules deep.
pub(crate) fn scan(source: &str, depth: usize) -> Scan {
    let tokens = tokenize(source);
    let at = |k: usize| tokens.get(k).map(|t| &t.tok);
    let mut scan = Scan {
        test_only: matches_cfg_test(&tokens, 0, true),
        ..Scan::default()
    };
    let mut braces = 0;
    // The inline modules open here: (name, the brace depth outside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut k = 0;
    while k < tokens.len() {
        match &tokens[k].tok {
            Tok::Punct('#') if matches_cfg_test(&tokens, k, false) => {
                let item = skip_visibility(&tokens, skip_attributes(&tokens, k));
                if let (Some(Tok::Ident(kw)), Some(Tok::Ident(name))) = (at(item), at(item + 1))
                    && kw == "mod"
                {
                    if at(item + 2) == Some(&Tok::Punct('{')) {
                        k = skip_group(&tokens, item + 2);
                        continue;
                    }
                    if at(item + 2) == Some(&Tok::Punct(';')) {
                        let mut module: Vec<&str> = inline.iter().map(|(n, _)| &**n).collect();
                        module.push(name);
                        scan.test_modules.push(module.join("/"));
                    }
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct('{'))) = (at(k + 1), at(k + 2)) {
                    inline.push((name.clone(), braces));
                }
            }
            Tok::Punct('{') => braces += 1,
            Tok::Punct('}') => {
                braces = usize::saturating_sub(braces, 1);
                if inline.last().is_some_and(|(_, outside)| *outside == braces) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "use" && braces == 0 => {
                use_tree(&tokens, k + 1, &[], &mut scan.root_uses);
            }
            Tok::Ident(kw) if kw == "crate" && at(k + 1) == Some(&Tok::PathSep) => {
                scan.mentions.extend(heads(&tokens, k + 2, "crate::"));
            }
            Tok::Ident(kw) if kw == "super" && (k == 0 || at(k - 1) != Some(&Tok::PathSep)) => {
                let mut after = k;
                while at(after) == Some(&Tok::Ident("super".into()))
                    && at(after + 1) == Some(&Tok::PathSep)
                {
                    after += 2;
                }
                if after > k && (after - k) / 2 == depth + inline.len() {
                    scan.mentions
                        .extend(heads(&tokens, after, &"super::".repeat((after - k) / 2)));
                }
            }
            _ => {}
        }
        k += 1;
    }
    scan
}

/// The first segments of a path from the root after its `crate::` (or `super::`s): one for `crate::a::b`, each
/// entry's (`a`, `b`) for `crate::{a::{X, Y}, b}`.
fn heads(tokens: &[Token], start: usize, prefix: &str) -> Vec<Mention> {
    let mention = |head: &str, line| Mention {
        head: head.to_owned(),
        line,
        via: format!("{prefix}{head}"),
    };
    match tokens.get(start).map(|t| &t.tok) {
        Some(Tok::Ident(head)) => vec![mention(head, tokens[start].line)],
        Some(Tok::Punct('{')) => {
            let mut found = Vec::new();
            // For each open group: whether its entries start with a head (the outer group and
            // groups that open an entry of it, as in `crate::{{a, b}, c}`).
            let mut open: Vec<bool> = Vec::new();
            let mut entry_start = true;
            for token in &tokens[start..] {
                match &token.tok {
                    Tok::Punct('{') => {
                        open.push(open.last().is_none_or(|&heads| heads && entry_start));
                        entry_start = true;
                    }
                    Tok::Punct('}') => {
                        open.pop();
                        if open.is_empty() {
                            break;
                        }
                        entry_start = false;
                    }
                    Tok::Punct(',') => entry_start = true,
                    Tok::Ident(name) => {
                        let is_head = open.last() == Some(&true) && entry_start;
                        if is_head && !matches!(name.as_str(), "self" | "super" | "crate") {
                            found.push(mention(name, token.line));
                        }
                        entry_start = false;
                    }
                    _ => entry_start = false,
                }
            }
            found
        }
        _ => Vec::new(),
    }
}

/// Reads the use tree at `start` (after `use`) into (path, name brought in) pairs; returns the
/// index after it. Globs bring in nothing.
fn use_tree(
    tokens: &[Token],
    start: usize,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, String)>,
) -> usize {
    let at = |k: usize| tokens.get(k).map(|t| &t.tok);
    let mut path = prefix.to_vec();
    let mut k = start;
    if at(k) == Some(&Tok::PathSep) {
        k += 1;
    }
    loop {
        match at(k) {
            Some(Tok::Ident(segment)) => {
                path.push(segment.clone());
                k += 1;
                if at(k) == Some(&Tok::PathSep) {
                    k += 1;
                    continue;
                }
                let mut name = segment.clone();
                if let (Some(Tok::Ident(kw)), Some(Tok::Ident(alias))) = (at(k), at(k + 1))
                    && kw == "as"
                {
                    name.clone_from(alias);
                    k += 2;
                } else if name == "self" {
                    path.pop();
                    name = path.last().cloned().unwrap_or_default();
                }
                if name != "_" {
                    out.push((path, name));
                }
                return k;
            }
            Some(Tok::Punct('{')) => {
                k += 1;
                while at(k).is_some() && at(k) != Some(&Tok::Punct('}')) {
                    let after = use_tree(tokens, k, &path, out);
                    k = if at(after) == Some(&Tok::Punct(',')) {
                        after + 1
                    } else {
                        after
                    };
                    if after == k && at(k) != Some(&Tok::Punct('}')) {
                        return k; // not a use tree
                    }
                }
                return k + 1;
            }
            Some(Tok::Punct('*')) => return k + 1,
            _ => return k,
        }
    }
}

/// Whether `#[cfg(test)]` (or with `inner`, `#![cfg(test)]`) starts at `k`.
fn matches_cfg_test(tokens: &[Token], k: usize, inner: bool) -> bool {
    let ident = |s: &str| Tok::Ident(s.to_owned());
    let mut expected = vec![Tok::Punct('#')];
    if inner {
        expected.push(Tok::Punct('!'));
    }
    expected.extend([
        Tok::Punct('['),
        ident("cfg"),
        Tok::Punct('('),
        ident("test"),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ]);
    tokens.len() >= k + expected.len()
        && tokens[k..k + expected.len()]
            .iter()
            .zip(&expected)
            .all(|(t, e)| t.tok == *e)
}

/// The index after the outer attributes `#[..]` starting at `k`.
fn skip_attributes(tokens: &[Token], mut k: usize) -> usize {
    while tokens.get(k).is_some_and(|t| t.tok == Tok::Punct('#'))
        && tokens.get(k + 1).is_some_and(|t| t.tok == Tok::Punct('['))
    {
        k = skip_group(tokens, k + 1);
    }
    k
}

/// The index after a visibility (`pub`, `pub(crate)`, ..) at `k`, or `k`.
fn skip_visibility(tokens: &[Token], k: usize) -> usize {
    if tokens
        .get(k)
        .is_none_or(|t| t.tok != Tok::Ident("pub".into()))
    {
        return k;
    }
    if tokens.get(k + 1).is_some_and(|t| t.tok == Tok::Punct('(')) {
        return skip_group(tokens, k + 1);
    }
    k + 1
}

/// The index after the group (`(..)`, `[..]` or `{..}`) opening at `open`.
fn skip_group(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

// ---------------------------------------------------------------------------------------------
// Tokens.

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// A string, char or number literal.
    Literal,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

/// The tokens of Rust source, without comments and with literals blanked out.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut k = 0;
    while let Some(&c) = chars.get(k) {
        let next = chars.get(k + 1).copied();
        let start_line = line;
        let tok = match c {
            '\n' => {
                line += 1;
                k += 1;
                continue;
            }
            _ if c.is_whitespace() => {
                k += 1;
                continue;
            }
            '/' if next == Some('/') => {
                while chars.get(k).is_some_and(|&c| c != '\n') {
                    k += 1;
                }
                continue;
            }
            '/' if next == Some('*') => {
                k = skip_block_comment(&chars, k, &mut line);
                continue;
            }
            '"' => {
                k = skip_string(&chars, k + 1, &mut line);
                Tok::Literal
            }
            '\'' => {
                if let Some(end) = char_literal_end(&chars, k) {
                    k = end;
                    Tok::Literal
                } else {
                    k += 1;
                    Tok::Punct('\'') // a lifetime or label: its name follows
                }
            }
            ':' if next == Some(':') => {
                k += 2;
                Tok::PathSep
            }
            _ if c.is_ascii_digit() => {
                while chars
                    .get(k)
                    .is_some_and(|&c| c.is_alphanumeric() || c == '_')
                {
                    k += 1;
                }
                Tok::Literal
            }
            _ if c.is_alphabetic() || c == '_' => {
                let (tok, end) = word(&chars, k, &mut line);
                k = end;
                tok
            }
            _ => {
                k += 1;
                Tok::Punct(c)
            }
        };
        tokens.push(Token {
            tok,
            line: start_line,
        });
    }
    tokens
}

/// The token of the word at `k` (an identifier, or the prefix of a literal as in `r#"..."#`,
/// `b"..."`, `b'x'`, or of a raw identifier `r#type`) and the index after it.
fn word(chars: &[char], k: usize, line: &mut usize) -> (Tok, usize) {
    let is_ident = |c: &char| c.is_alphanumeric() || *c == '_';
    let mut end = k;
    while chars.get(end).is_some_and(is_ident) {
        end += 1;
    }
    let word: String = chars[k..end].iter().collect();
    let after = chars.get(end).copied();
    match (word.as_str(), after) {
        ("r" | "br" | "cr", Some('"' | '#')) => {
            let mut hashes = 0;
            while chars.get(end + hashes) == Some(&'#') {
                hashes += 1;
            }
            if chars.get(end + hashes) == Some(&'"') {
                return (
                    Tok::Literal,
                    skip_raw_string(chars, end + hashes + 1, hashes, line),
                );
            }
            if word == "r" && hashes == 1 && chars.get(end + 1).is_some_and(is_ident) {
                let (raw, raw_end) = word_only(chars, end + 1);
                return (Tok::Ident(raw), raw_end);
            }
            (Tok::Ident(word), end)
        }
        ("b" | "c", Some('"')) => (Tok::Literal, skip_string(chars, end + 1, line)),
        ("b", Some('\'')) => match char_literal_end(chars, end) {
            Some(literal_end) => (Tok::Literal, literal_end),
            None => (Tok::Ident(word), end),
        },
        _ => (Tok::Ident(word), end),
    }
}

fn word_only(chars: &[char], k: usize) -> (String, usize) {
    let mut end = k;
    while chars
        .get(end)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        end += 1;
    }
    (chars[k..end].iter().collect(), end)
}

/// The index after the (nested) block comment at `k`.
fn skip_block_comment(chars: &[char], mut k: usize, line: &mut usize) -> usize {
    let mut depth = 0usize;
    while let Some(&c) = chars.get(k) {
        let next = chars.get(k + 1).copied();
        if c == '/' && next == Some('*') {
            depth += 1;
            k += 2;
        } else if c == '*' && next == Some('/') {
            depth -= 1;
            k += 2;
            if depth == 0 {
                return k;
            }
        } else {
            if c == '\n' {
                *line += 1;
            }
            k += 1;
        }
    }
    k
}

/// The index after the closing `"` of the string whose text starts at `k`.
fn skip_string(chars: &[char], mut k: usize, line: &mut usize) -> usize {
    while let Some(&c) = chars.get(k) {
        match c {
            '\\' => {
                if chars.get(k + 1) == Some(&'\n') {
                    *line += 1;
                }
                k += 2;
            }
            '"' => return k + 1,
            _ => {
                if c == '\n' {
                    *line += 1;
                }
                k += 1;
            }
        }
    }
    k
}

/// The index after the closing `"#..` (`hashes` of them) of the raw string whose text starts
/// at `k`.
fn skip_raw_string(chars: &[char], mut k: usize, hashes: usize, line: &mut usize) -> usize {
    while let Some(&c) = chars.get(k) {
        if c == '"' && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#')) {
            return k + 1 + hashes;
        }
        if c == '\n' {
            *line += 1;
        }
        k += 1;
    }
    k
}

/// The index after the char literal whose `'` is at `k`, or `None` for a lifetime or label.
fn char_literal_end(chars: &[char], k: usize) -> Option<usize> {
    match chars.get(k + 1) {
        Some('\\') => {
            // The escaped char, then anything up to the closing quote (as in `'\u{1F600}'`).
            let mut end = k + 3;
            while chars.get(end).is_some_and(|&c| c != '\'' && c != '\n') {
                end += 1;
            }
            Some(end + 1)
        }
        Some(_) if chars.get(k + 2) == Some(&'\'') => Some(k + 3),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The reading itself, on snippets: if it broke, the tests above could find nothing and pass.

mod reading {
    use super::super::graph::build_graph;
    use super::{scan, tokenize};

    /// The heads a snippet mentions, with their lines.
    fn heads(source: &str, depth: usize) -> Vec<(String, usize)> {
        scan(source, depth)
            .mentions
            .into_iter()
            .map(|m| (m.head, m.line))
            .collect()
    }

    fn owned(expected: &[(&str, usize)]) -> Vec<(String, usize)> {
        expected
            .iter()
            .map(|&(head, line)| (head.to_owned(), line))
            .collect()
    }

    #[test]
    fn use_items_and_groups_name_their_heads() {
        let source = "\
use crate::auth::AuthUser;
use crate::{error::ApiError, rate};
use crate::{
    policy::{InputKind, Policy},
    schema::{self, response::{KnownResponse, UnknownResponse}},
    validate,
};
pub(crate) use crate::{{audit, sanitize::Sanitized}, self as root};
use std::collections::HashMap;
";
        assert_eq!(
            heads(source, 1),
            owned(&[
                ("auth", 1),
                ("error", 2),
                ("rate", 2),
                ("policy", 4),
                ("schema", 5),
                ("validate", 6),
                ("audit", 8),
                ("sanitize", 8),
            ])
        );
    }

    #[test]
    fn paths_in_code_are_imports() {
        let source = "\
fn f(store: Option<crate::rate::RedisStore>) -> Result<(), crate::ConfigError> {
    let policy = crate::transport::HttpsPolicy::default();
    crate::audit::log(&policy); pub(crate) struct S; $crate::digits::format(1)
}
";
        assert_eq!(
            heads(source, 1),
            owned(&[
                ("rate", 1),
                ("ConfigError", 1),
                ("transport", 2),
                ("audit", 3),
                ("digits", 3)
            ])
        );
    }

    #[test]
    fn comments_and_literals_are_not_imports() {
        let source = r###"
//! See [`Quota`](crate::rate::Quota).
/// Uses `crate::routing::Router` // crate::config
/* crate::serve /* nested crate::serve */ crate::serve */
fn f<'a>(x: &'a str) -> char {
    let _ = "crate::routing::x \" crate::routing";
    let _ = r#"crate::routing "quoted" "#;
    let _ = r##"crate::routing "# still "##;
    let _ = b"crate::routing";
    let _ = br#"crate::routing"#;
    let _ = ('"', '\'', b'"', '\u{1F600}', 'x');
    let _ = "multi
line"; crate::error::fail(); 'outer: loop { break 'outer; }
    crate::auth::check()
}
"###;
        assert_eq!(heads(source, 1), owned(&[("error", 13), ("auth", 14)]));
    }

    #[test]
    fn test_modules_are_skipped_and_inline_modules_kept() {
        let source = "\
use crate::error::ApiError;
#[cfg(test)]
fn only_in_tests() -> crate::auth::AuthUser { todo!() }
mod inner { use crate::rate::Quota; }
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::routing::Router;
    mod deeper { fn f() { crate::config::x() } }
}
#[cfg(test)]
mod more_tests;
fn after() { crate::schema::f() }
";
        let scan = scan(source, 1);
        let heads: Vec<_> = scan.mentions.iter().map(|m| m.head.as_str()).collect();
        assert_eq!(heads, ["error", "auth", "rate", "schema"]);
        assert_eq!(scan.test_modules, ["more_tests"]);
        assert!(!scan.test_only);
        assert!(super::scan("#![cfg(test)]\nuse crate::x;", 1).test_only);
    }

    #[test]
    fn supers_that_reach_the_root_are_imports() {
        let source = "\
use super::sibling::X;
use super::super::routing::Router;
use super::super::{config, error::ApiError};
fn f() { super::super::audit::log() }
mod inner { use super::super::super::pipeline::Guard; use super::super::auth; }
";
        // In `rate/limits.rs`, two modules deep.
        let expected = [
            ("routing", 2),
            ("config", 3),
            ("error", 3),
            ("audit", 4),
            ("pipeline", 5),
        ];
        assert_eq!(heads(source, 2), owned(&expected));
        // In `rate/mod.rs`, one deep, `super` is the root.
        assert_eq!(
            heads("use super::routing::Router;", 1),
            owned(&[("routing", 1)])
        );
    }

    #[test]
    fn lines_are_counted_through_comments_and_strings() {
        let tokens = tokenize("/* a\nb */ \"c\nd\" r#\"e\nf\"# '\\n'\nx");
        let last = tokens.last().map(|t| (t.tok.clone(), t.line));
        assert_eq!(last, Some((super::Tok::Ident("x".into()), 5)));
    }

    #[test]
    fn files_make_modules_and_edges() {
        let files = [
            (
                "lib.rs",
                "pub mod a;\nmod b;\npub use b::{Thing as Renamed, other::Other};\npub use crate::c::*;\n#[cfg(test)]\nmod only_tests;",
            ),
            (
                "a.rs",
                "use crate::{b, c::C};\nfn f() -> crate::Renamed { crate::Other }",
            ),
            (
                "b/mod.rs",
                "mod other;\n#[cfg(test)]\nmod tests;\nuse crate::a::x;",
            ),
            ("b/other.rs", "use super::super::c::D;\nuse crate::b::Same;"),
            ("b/tests.rs", "use crate::c::Only;"),
            ("b/tests/helpers.rs", "use crate::c::Only;"),
            ("c.rs", "//! Not `crate::a`.\nconst S: &str = \"crate::a\";"),
            ("only_tests.rs", "use crate::a::A;"),
        ];
        let files: Vec<_> = files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        let graph = build_graph(&files);
        assert_eq!(graph.modules.iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        let imports: Vec<_> = graph
            .imports
            .iter()
            .map(|i| (&*i.from, &*i.to, i.line, i.via.as_deref()))
            .collect();
        assert_eq!(
            imports,
            [
                ("a", "b", 1, None),
                ("a", "c", 1, None),
                ("a", "b", 2, Some("crate::Renamed")),
                ("a", "b", 2, Some("crate::Other")),
                ("b", "a", 4, None),
                ("b", "c", 1, Some("super::super::c")),
            ]
        );
        let cycles = graph.cycles();
        assert_eq!(cycles, [["a", "b", "a"]]);
        assert!(
            graph.imports[4]
                .place()
                .ends_with("secure-api-runtime/src/b/mod.rs:4")
        );
    }
}
