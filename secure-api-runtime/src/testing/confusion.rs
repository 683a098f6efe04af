//! The secrets of the key-confusion probe: the texts an attacker who knows an RSA public key
//! would sign an `HS256` token with, hoping the app verifies it with the same bytes as an
//! HMAC secret. They are the forms a public key travels in, whichever it was configured in:
//! the text as configured, the DER of its `SubjectPublicKeyInfo` and of its `RSAPublicKey`,
//! and the PEM of each (what a tool makes of a JWKS entry's modulus and exponent). A JWKS
//! entry's own JSON is not among them: the bytes an endpoint serves are not known here.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::auth::PublicForm;

/// Every secret worth trying for a key given as `form`.
pub(super) fn secrets(form: &PublicForm) -> Vec<Vec<u8>> {
    let (mut secrets, pkcs1) = match form {
        PublicForm::Pem(pem) => {
            let trimmed = pem.trim_ascii_end().to_vec();
            let mut with_newline = trimmed.clone();
            with_newline.push(b'\n');
            let der = der_of_pem(pem);
            (
                vec![pem.clone(), trimmed, with_newline],
                der.as_deref().and_then(pkcs1_of),
            )
        }
        PublicForm::Der(der) => (vec![der.clone()], pkcs1_of(der)),
        PublicForm::Jwk(jwk) => {
            let pkcs1 = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) => {
                    let n = URL_SAFE_NO_PAD.decode(rsa.n.trim_end_matches('=')).ok();
                    let e = URL_SAFE_NO_PAD.decode(rsa.e.trim_end_matches('=')).ok();
                    n.zip(e).map(|(n, e)| rsa_public_key(&n, &e))
                }
                _ => None,
            };
            (Vec::new(), pkcs1)
        }
    };
    if let Some(pkcs1) = pkcs1 {
        let spki = subject_public_key_info(&pkcs1);
        secrets.push(pem("PUBLIC KEY", &spki).into_bytes());
        secrets.push(pem("RSA PUBLIC KEY", &pkcs1).into_bytes());
        secrets.push(spki);
        secrets.push(pkcs1);
    }
    secrets.retain(|secret| !secret.is_empty());
    let mut unique = Vec::with_capacity(secrets.len());
    for secret in secrets {
        if !unique.contains(&secret) {
            unique.push(secret);
        }
    }
    unique
}

/// The DER inside a PEM's armour.
fn der_of_pem(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .map(str::trim)
        .collect();
    STANDARD.decode(body).ok()
}

/// The `RSAPublicKey` of `der`: itself, or the bit string of a `SubjectPublicKeyInfo`.
fn pkcs1_of(der: &[u8]) -> Option<Vec<u8>> {
    if label_of(der) == "RSA PUBLIC KEY" {
        return Some(der.to_vec());
    }
    let (_, info, _) = split(der)?;
    let (_, _algorithm, rest) = split(info)?;
    let (tag, bits, _) = split(rest)?;
    // A bit string: its first byte counts the unused bits, zero here.
    (tag == 0x03 && bits.first() == Some(&0)).then(|| bits[1..].to_vec())
}

/// The first DER element of `der`: its tag, its content, and what follows it.
fn split(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first & 0x80 == 0 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let length = bytes
            .iter()
            .fold(0usize, |length, &b| (length << 8) | usize::from(b));
        (length, rest)
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

/// `PUBLIC KEY` for a `SubjectPublicKeyInfo` (a sequence that opens with the algorithm's
/// sequence), `RSA PUBLIC KEY` for an `RSAPublicKey` (one that opens with the modulus).
fn label_of(der: &[u8]) -> &'static str {
    let header = match der.get(1) {
        Some(&length) if length & 0x80 != 0 => 2 + usize::from(length & 0x7f),
        _ => 2,
    };
    match der.get(header) {
        Some(0x30) => "PUBLIC KEY",
        _ => "RSA PUBLIC KEY",
    }
}

/// `der` as PEM, in lines of 64 characters.
fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str("-----END ");
    text.push_str(label);
    text.push_str("-----\n");
    text
}

/// The DER of `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_public_key(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut content = integer(n);
    content.extend(integer(e));
    tagged(0x30, &content)
}

/// The DER of a `SubjectPublicKeyInfo` of `rsaEncryption` around `pkcs1`.
fn subject_public_key_info(pkcs1: &[u8]) -> Vec<u8> {
    // rsaEncryption (1.2.840.113549.1.1.1), with its NULL parameters.
    const ALGORITHM: [u8; 13] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let mut bits = vec![0];
    bits.extend_from_slice(pkcs1);
    let mut content = ALGORITHM.to_vec();
    content.extend([0x05, 0x00]);
    content.extend(tagged(0x03, &bits));
    tagged(0x30, &content)
}

/// An unsigned big-endian integer as a DER `INTEGER`.
fn integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let mut content = Vec::with_capacity(bytes.len() + 1);
    if bytes.get(start).is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&bytes[start..]);
    tagged(0x02, &content)
}

/// A DER tag, length and content.
fn tagged(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let bytes = content.len().to_be_bytes();
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let significant = &bytes[first..];
    match significant {
        // Short form: the length itself, under 128.
        [length] if *length < 0x80 => out.push(*length),
        // Long form: how many length bytes follow (at most 8), then them.
        _ => {
            out.push(0x80 | u8::try_from(significant.len()).unwrap_or(8));
            out.extend_from_slice(significant);
        }
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PUBLIC: &str = include_str!("../../../tests/keys/rsa-public.pem");

    fn der_of(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        STANDARD.decode(body).unwrap()
    }

    /// The PEM made from a JWK's modulus and exponent is the key's own PEM, byte for byte:
    /// the secret an attacker would take from the JWKS document.
    #[test]
    fn a_jwk_makes_the_pem_of_its_key() {
        let der = der_of(RSA_PUBLIC);
        let decoding = jsonwebtoken::DecodingKey::from_rsa_pem(RSA_PUBLIC.as_bytes()).unwrap();
        let pkcs1 = decoding.try_get_as_bytes().unwrap();
        // The modulus and exponent, read back out of the RSAPublicKey.
        let blocks = simple_asn1::from_der(pkcs1).unwrap();
        let simple_asn1::ASN1Block::Sequence(_, items) = &blocks[0] else {
            panic!("no sequence");
        };
        let [
            simple_asn1::ASN1Block::Integer(_, n),
            simple_asn1::ASN1Block::Integer(_, e),
        ] = &items[..]
        else {
            panic!("no modulus and exponent");
        };
        let (n, e) = (n.to_bytes_be().1, e.to_bytes_be().1);
        assert_eq!(rsa_public_key(&n, &e), pkcs1);
        assert_eq!(subject_public_key_info(&rsa_public_key(&n, &e)), der);
        assert_eq!(pem("PUBLIC KEY", &der), RSA_PUBLIC.replace("\r\n", "\n"));
        assert_eq!(label_of(&der), "PUBLIC KEY");
        assert_eq!(label_of(pkcs1), "RSA PUBLIC KEY");
    }

    /// Whatever form the key came in, the same four forms of it are tried: both DERs and
    /// both PEMs (and, for a PEM, its text as configured).
    #[test]
    fn every_form_gives_both_ders_and_both_pems() {
        let der = der_of(RSA_PUBLIC);
        let pkcs1 = pkcs1_of(&der).unwrap();
        let pem_text = RSA_PUBLIC.replace("\r\n", "\n").into_bytes();
        let mut four = vec![
            pem_text.clone(),
            pem("RSA PUBLIC KEY", &pkcs1).into_bytes(),
            der.clone(),
            pkcs1.clone(),
        ];
        four.sort();
        let sorted = |mut secrets: Vec<Vec<u8>>| {
            secrets.sort();
            secrets
        };
        assert_eq!(sorted(secrets(&PublicForm::Der(der.clone()))), four);
        assert_eq!(sorted(secrets(&PublicForm::Der(pkcs1.clone()))), four);
        let from_pem = secrets(&PublicForm::Pem(pem_text.clone()));
        assert!(four.iter().all(|secret| from_pem.contains(secret)));
        let encoding = jsonwebtoken::EncodingKey::from_rsa_pem(
            include_str!("../../../tests/keys/rsa-private.pem").as_bytes(),
        )
        .unwrap();
        let jwk =
            jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::RS256)
                .unwrap();
        assert_eq!(sorted(secrets(&PublicForm::Jwk(Box::new(jwk)))), four);
    }
}
