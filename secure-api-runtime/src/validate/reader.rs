//! [`read`]: every input is deserialized through one wrapping layer that does three jobs at
//! once, all the way down:
//!
//! - **a struct comes as an object.** serde's derive reads a struct from a sequence too, by
//!   position: `["a@b.c", "Ada", "pw"]` registers a user as well as the object would. The
//!   OpenAPI document says `type: object`, and a gateway or WAF rule keyed on field names sees
//!   none of them. A sequence where a struct (or a struct variant) is expected is refused.
//! - **fields the type does not know are noted**, by their place (`tags[3]`, `author.nick`),
//!   for the check against mass assignment.
//! - **a failure names its place**, in wire names.
//!
//! One layer, not three stacked (`serde_path_to_error`, `serde_ignored` and one of our own, as
//! before): a wrapping layer is compiled anew for every visitor it is handed, and each input
//! type brings visitors of its own, so each layer costs every `Json<T>` at compile time.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};

use super::details::client_key;
use key::KeySeed;

mod key;

/// What reading found besides the value: the places of fields the type does not know, and of
/// the first failure.
#[derive(Default)]
pub(super) struct Findings {
    pub(super) unknown: Vec<String>,
    pub(super) failed_at: Option<String>,
}

/// Deserializes `T` from `deserializer` through the layer.
pub(super) fn read<'de, T, D>(deserializer: D, findings: &RefCell<Findings>) -> Result<T, D::Error>
where
    T: de::Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(Reader {
        de: deserializer,
        at: &Place::Root,
        findings,
    })
}

/// Where a value is: a client's path to it, built on the stack as reading goes down.
#[derive(Clone, Copy)]
enum Place<'a> {
    Root,
    Index(&'a Place<'a>, usize),
    Key(&'a Place<'a>, &'a str),
}

/// `tags[3]`, `author.name`: the place as a client would write it; a client-chosen key is cut
/// short, since it is sent back. The root is `.`.
fn written(place: &Place<'_>) -> String {
    fn push(text: &mut String, place: &Place<'_>) {
        match *place {
            Place::Root => {}
            Place::Index(parent, index) => {
                push(text, parent);
                text.push('[');
                text.push_str(&index.to_string());
                text.push(']');
            }
            Place::Key(parent, key) => {
                push(text, parent);
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(&client_key(key));
            }
        }
    }
    let mut text = String::new();
    push(&mut text, place);
    if text.is_empty() {
        text.push('.');
    }
    text
}

/// Notes a failure at `place`, unless one deeper down was noted first.
fn failed<E>(error: E, place: &Place<'_>, findings: &RefCell<Findings>) -> E {
    let mut findings = findings.borrow_mut();
    if findings.failed_at.is_none() {
        findings.failed_at = Some(written(place));
    }
    error
}

fn ignored(place: &Place<'_>, findings: &RefCell<Findings>) {
    findings.borrow_mut().unknown.push(written(place));
}

/// The deserializer `D` at a place.
struct Reader<'a, D> {
    de: D,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
}

/// A visitor at a place; `object` when it reads a struct.
struct Visit<'a, V> {
    visitor: V,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
    object: bool,
}

impl<'a, D> Reader<'a, D> {
    fn visit<V>(&self, visitor: V, object: bool) -> Visit<'a, V> {
        Visit {
            visitor,
            at: self.at,
            findings: self.findings,
            object,
        }
    }
}

/// What a refused sequence is reported as expecting (`must be an object` in the details).
const AN_OBJECT: &str = "an object";

/// Each `deserialize_*` of [`Reader`]: the same call on the inner deserializer, with the
/// visitor at this place (`true`: it reads a struct), and its error noted here.
macro_rules! forward {
    ([$($plain:ident)*] $($method:ident($($arg:ident: $ty:ty),*) => $object:literal,)*) => {
        forward!(@each $($plain() => false,)* $($method($($arg: $ty),*) => $object,)*);
    };
    (@each $($method:ident($($arg:ident: $ty:ty),*) => $object:literal,)*) => {
        $(
            fn $method<V: Visitor<'de>>(
                self,
                $($arg: $ty,)*
                visitor: V,
            ) -> Result<V::Value, D::Error> {
                let (at, findings) = (self.at, self.findings);
                let visit = self.visit(visitor, $object);
                self.de.$method($($arg,)* visit).map_err(|e| failed(e, at, findings))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Reader<'_, D> {
    type Error = D::Error;

    forward! {
        [
            deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
            deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
            deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
            deserialize_option deserialize_unit deserialize_seq deserialize_map
            deserialize_identifier
        ]
        deserialize_unit_struct(name: &'static str) => false,
        deserialize_newtype_struct(name: &'static str) => false,
        deserialize_tuple(len: usize) => false,
        deserialize_tuple_struct(name: &'static str, len: usize) => false,
        deserialize_struct(name: &'static str, fields: &'static [&'static str]) => true,
        deserialize_enum(name: &'static str, variants: &'static [&'static str]) => false,
    }

    /// The type does not know the value's field: noted, then stepped over.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        ignored(self.at, self.findings);
        let (at, findings) = (self.at, self.findings);
        self.de
            .deserialize_ignored_any(visitor)
            .map_err(|e| failed(e, at, findings))
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

macro_rules! forward_visits {
    ($($method:ident($ty:ty))*) => {
        $(
            fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
                self.visitor.$method(value)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<'_, V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(formatter)
    }

    forward_visits! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    // An option or a newtype is where its value is.
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Reader {
            de: deserializer,
            at: self.at,
            findings: self.findings,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(Reader {
            de: deserializer,
            at: self.at,
            findings: self.findings,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.object {
            return Err(de::Error::invalid_type(Unexpected::Seq, &AN_OBJECT));
        }
        self.visitor.visit_seq(Seq {
            inner: seq,
            at: self.at,
            findings: self.findings,
            index: 0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Map {
            inner: map,
            at: self.at,
            findings: self.findings,
            key: None,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(Enum {
            data,
            at: self.at,
            findings: self.findings,
        })
    }
}

/// A seed whose value is read at a place.
struct Seed<'a, S> {
    inner: S,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Reader {
            de: deserializer,
            at: self.at,
            findings: self.findings,
        })
    }
}

struct Seq<'a, A> {
    inner: A,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
    index: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let at = Place::Index(self.at, self.index);
        self.index += 1;
        let findings = self.findings;
        self.inner
            .next_element_seed(Seed {
                inner: seed,
                at: &at,
                findings,
            })
            .map_err(|e| failed(e, &at, findings))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Map<'a, A> {
    inner: A,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
    /// The key just read, the place of the value that follows.
    key: Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.key = None;
        let result = self.inner.next_key_seed(KeySeed {
            seed,
            key: &mut self.key,
        });
        // A key refused (`deny_unknown_fields`, an enum key) fails at its own place.
        result.map_err(|e| match self.key.as_deref() {
            Some(key) => failed(e, &Place::Key(self.at, key), self.findings),
            None => failed(e, self.at, self.findings),
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let at = Place::Key(self.at, self.key.as_deref().unwrap_or("?"));
        let findings = self.findings;
        self.inner
            .next_value_seed(Seed {
                inner: seed,
                at: &at,
                findings,
            })
            .map_err(|e| failed(e, &at, findings))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Enum<'a, A> {
    data: A,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
}

impl<'a, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'a, A> {
    type Error = A::Error;
    type Variant = Variant<'a, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let mut name = None;
        let (at, findings) = (self.at, self.findings);
        let (value, variant) = self
            .data
            .variant_seed(KeySeed {
                seed,
                key: &mut name,
            })
            .map_err(|e| failed(e, at, findings))?;
        Ok((
            value,
            Variant {
                inner: variant,
                at,
                findings,
                name,
            },
        ))
    }
}

/// The data of a variant, at the variant's name.
struct Variant<'a, A> {
    inner: A,
    at: &'a Place<'a>,
    findings: &'a RefCell<Findings>,
    name: Option<String>,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        let at = Place::Key(self.at, self.name.as_deref().unwrap_or("?"));
        let findings = self.findings;
        self.inner
            .newtype_variant_seed(Seed {
                inner: seed,
                at: &at,
                findings,
            })
            .map_err(|e| failed(e, &at, findings))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let at = Place::Key(self.at, self.name.as_deref().unwrap_or("?"));
        let visit = Visit {
            visitor,
            at: &at,
            findings: self.findings,
            object: false,
        };
        let findings = self.findings;
        self.inner
            .tuple_variant(len, visit)
            .map_err(|e| failed(e, &at, findings))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let at = Place::Key(self.at, self.name.as_deref().unwrap_or("?"));
        let visit = Visit {
            visitor,
            at: &at,
            findings: self.findings,
            object: true,
        };
        let findings = self.findings;
        self.inner
            .struct_variant(fields, visit)
            .map_err(|e| failed(e, &at, findings))
    }
}

#[cfg(test)]
mod tests;
