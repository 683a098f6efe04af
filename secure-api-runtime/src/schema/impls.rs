//! [`Schema`] for the standard types views and inputs are built from: the ones `Sanitized` is
//! implemented for, described as serde writes them.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde_json::{Value, json};

use super::{Components, Schema};

macro_rules! schema {
    ($($ty:ty => $schema:expr),+ $(,)?) => {
        $(impl Schema for $ty {
            fn schema(_: &mut Components) -> Value {
                $schema
            }
        })+
    };
}

schema!(
    bool => json!({ "type": "boolean" }),
    char => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
    str => json!({ "type": "string" }),
    String => json!({ "type": "string" }),
    () => json!({ "type": "null" }),
    i8 => json!({ "type": "integer", "minimum": i8::MIN, "maximum": i8::MAX }),
    i16 => json!({ "type": "integer", "minimum": i16::MIN, "maximum": i16::MAX }),
    i32 => json!({ "type": "integer", "format": "int32" }),
    i64 => json!({ "type": "integer", "format": "int64" }),
    isize => json!({ "type": "integer", "format": "int64" }),
    i128 => json!({ "type": "integer" }),
    u8 => json!({ "type": "integer", "minimum": 0, "maximum": u8::MAX }),
    u16 => json!({ "type": "integer", "minimum": 0, "maximum": u16::MAX }),
    u32 => json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }),
    u64 => json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX }),
    usize => json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX }),
    u128 => json!({ "type": "integer", "minimum": 0 }),
    f32 => json!({ "type": "number", "format": "float" }),
    f64 => json!({ "type": "number", "format": "double" }),
    std::net::IpAddr => json!({ "type": "string", "anyOf": [{ "format": "ipv4" }, { "format": "ipv6" }] }),
    std::net::Ipv4Addr => json!({ "type": "string", "format": "ipv4" }),
    std::net::Ipv6Addr => json!({ "type": "string", "format": "ipv6" }),
    std::time::Duration => json!({
        "type": "object",
        "properties": { "secs": u64::schema(&mut Components::default()), "nanos": u32::schema(&mut Components::default()) },
        "required": ["secs", "nanos"],
    }),
    std::time::SystemTime => json!({
        "type": "object",
        "properties": {
            "secs_since_epoch": u64::schema(&mut Components::default()),
            "nanos_since_epoch": u32::schema(&mut Components::default()),
        },
        "required": ["secs_since_epoch", "nanos_since_epoch"],
    }),
    uuid::Uuid => json!({ "type": "string", "format": "uuid" }),
);

/// `T` or `null`.
impl<T: Schema> Schema for Option<T> {
    fn schema(components: &mut Components) -> Value {
        json!({ "anyOf": [T::schema(components), { "type": "null" }] })
    }
}

fn array(items: Value, unique: bool) -> Value {
    let mut schema = Value::Object(serde_json::Map::from_iter([
        ("type".to_owned(), "array".into()),
        ("items".to_owned(), items),
    ]));
    if unique {
        schema["uniqueItems"] = true.into();
    }
    schema
}

impl<T: Schema> Schema for Vec<T> {
    fn schema(components: &mut Components) -> Value {
        array(T::schema(components), false)
    }
}

impl<T: Schema> Schema for VecDeque<T> {
    fn schema(components: &mut Components) -> Value {
        array(T::schema(components), false)
    }
}

impl<T: Schema> Schema for [T] {
    fn schema(components: &mut Components) -> Value {
        array(T::schema(components), false)
    }
}

impl<T: Schema, const N: usize> Schema for [T; N] {
    fn schema(components: &mut Components) -> Value {
        let mut schema = array(T::schema(components), false);
        schema["minItems"] = N.into();
        schema["maxItems"] = N.into();
        schema
    }
}

impl<T: Schema> Schema for BTreeSet<T> {
    fn schema(components: &mut Components) -> Value {
        array(T::schema(components), true)
    }
}

impl<T: Schema, H> Schema for HashSet<T, H> {
    fn schema(components: &mut Components) -> Value {
        array(T::schema(components), true)
    }
}

/// Maps are objects; their keys are strings on the wire whatever the key type.
impl<K, V: Schema> Schema for BTreeMap<K, V> {
    fn schema(components: &mut Components) -> Value {
        json!({ "type": "object", "additionalProperties": V::schema(components) })
    }
}

impl<K, V: Schema, H> Schema for HashMap<K, V, H> {
    fn schema(components: &mut Components) -> Value {
        json!({ "type": "object", "additionalProperties": V::schema(components) })
    }
}

impl<T: Schema + ?Sized> Schema for &T {
    fn schema(components: &mut Components) -> Value {
        T::schema(components)
    }
}

impl<T: Schema + ?Sized> Schema for &mut T {
    fn schema(components: &mut Components) -> Value {
        T::schema(components)
    }
}

impl<T: Schema + ?Sized> Schema for Box<T> {
    fn schema(components: &mut Components) -> Value {
        T::schema(components)
    }
}

impl<T: Schema + ToOwned + ?Sized> Schema for Cow<'_, T> {
    fn schema(components: &mut Components) -> Value {
        T::schema(components)
    }
}

/// Tuples are arrays of fixed length.
macro_rules! schema_tuples {
    ($(($($name:ident),+)),+) => {
        $(impl<$($name: Schema),+> Schema for ($($name,)+) {
            fn schema(components: &mut Components) -> Value {
                let items = vec![$($name::schema(components)),+];
                let count = items.len();
                json!({
                    "type": "array",
                    "prefixItems": items,
                    "items": false,
                    "minItems": count,
                    "maxItems": count,
                })
            }
        })+
    };
}

schema_tuples!((A), (A, B), (A, B, C), (A, B, C, D));

#[cfg(feature = "chrono")]
mod chrono_types {
    use serde_json::{Value, json};

    use super::{Components, Schema};

    /// RFC 3339, as chrono's serde support writes it.
    impl<Tz: chrono::TimeZone> Schema for chrono::DateTime<Tz> {
        fn schema(_: &mut Components) -> Value {
            json!({ "type": "string", "format": "date-time" })
        }
    }

    impl Schema for chrono::NaiveDate {
        fn schema(_: &mut Components) -> Value {
            json!({ "type": "string", "format": "date" })
        }
    }

    /// Without an offset, so not a JSON Schema `date-time`.
    impl Schema for chrono::NaiveDateTime {
        fn schema(_: &mut Components) -> Value {
            json!({ "type": "string" })
        }
    }

    /// Without an offset, so not a JSON Schema `time`.
    impl Schema for chrono::NaiveTime {
        fn schema(_: &mut Components) -> Value {
            json!({ "type": "string" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_of<T: Schema + ?Sized>() -> Value {
        T::schema(&mut Components::default())
    }

    #[test]
    fn containers_describe_their_items() {
        assert_eq!(
            schema_of::<Option<Vec<String>>>(),
            json!({ "anyOf": [{ "type": "array", "items": { "type": "string" } }, { "type": "null" }] })
        );
        assert_eq!(
            schema_of::<HashMap<String, bool>>(),
            json!({ "type": "object", "additionalProperties": { "type": "boolean" } })
        );
        assert_eq!(schema_of::<BTreeSet<u8>>()["uniqueItems"], true);
        assert_eq!(
            schema_of::<(bool, String)>()["prefixItems"][1],
            json!({ "type": "string" })
        );
        assert_eq!(schema_of::<&str>(), json!({ "type": "string" }));
    }

    #[test]
    fn numbers_keep_their_range() {
        assert_eq!(schema_of::<u8>()["maximum"], 255);
        assert_eq!(schema_of::<u64>()["maximum"], u64::MAX);
        assert_eq!(schema_of::<i16>()["minimum"], -32768);
    }

    #[test]
    fn standard_types_are_described_as_serde_writes_them() {
        let duration = serde_json::to_value(std::time::Duration::from_millis(1500)).unwrap();
        let schema = schema_of::<std::time::Duration>();
        for key in duration.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{key} not described"
            );
        }
        let time = serde_json::to_value(std::time::SystemTime::now()).unwrap();
        let schema = schema_of::<std::time::SystemTime>();
        for key in time.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(key).is_some(),
                "{key} not described"
            );
        }
    }
}
