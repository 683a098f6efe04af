//! The bounds of `#[validate(...)]` rules, written into a field's schema so that a client (or a
//! tool generating requests from the document) knows what will pass.

use serde_json::{Map, Value};

/// A bound of a rule: a number JSON can hold, or none (absent, or one JSON cannot hold, such
/// as an `i128` past `i64`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// No bound.
    None,
    /// A negative or small integer.
    Int(i64),
    /// An integer past `i64::MAX`.
    UInt(u64),
    /// A float (never NaN or infinite: those are `None`).
    Float(f64),
}

impl Bound {
    /// The bound as a JSON number.
    fn value(self) -> Option<Value> {
        match self {
            Self::None => None,
            Self::Int(value) => Some(value.into()),
            Self::UInt(value) => Some(value.into()),
            Self::Float(value) => serde_json::Number::from_f64(value).map(Value::Number),
        }
    }
}

/// The number types `validator`'s rules take as bounds; `#[derive(Input)]` converts each
/// bound with it, so that the conversion is compiled once, here.
pub trait IntoBound {
    /// The bound.
    fn bound(self) -> Bound;
}

macro_rules! into_bound {
    (signed: $($ty:ty),*; unsigned: $($uty:ty),*; float: $($fty:ty),*) => {
        $(impl IntoBound for $ty {
            fn bound(self) -> Bound {
                i64::try_from(self).map_or(Bound::None, Bound::Int)
            }
        })*
        $(impl IntoBound for $uty {
            fn bound(self) -> Bound {
                match i64::try_from(self) {
                    Ok(value) => Bound::Int(value),
                    Err(_) => u64::try_from(self).map_or(Bound::None, Bound::UInt),
                }
            }
        })*
        $(impl IntoBound for $fty {
            fn bound(self) -> Bound {
                let value = f64::from(self);
                if value.is_finite() { Bound::Float(value) } else { Bound::None }
            }
        })*
    };
}

into_bound!(
    signed: i8, i16, i32, i64, i128, isize;
    unsigned: u8, u16, u32, u64, u128, usize;
    float: f32, f64
);

/// A rule of `validator` that has a JSON Schema counterpart. The other rules (`custom`,
/// `regex`, `must_match`, ...) are checked all the same but not described. Plain data, so a
/// derive's table of fields holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Constraint {
    /// `length(min, max, equal)`: characters of a string, items of a list, entries of a map.
    Length {
        /// The fewest allowed.
        min: Bound,
        /// The most allowed.
        max: Bound,
        /// The only count allowed.
        equal: Bound,
    },
    /// `range(min, max, exclusive_min, exclusive_max)` of a number.
    Range {
        /// The smallest allowed.
        min: Bound,
        /// The largest allowed.
        max: Bound,
        /// All values must be above it.
        exclusive_min: Bound,
        /// All values must be below it.
        exclusive_max: Bound,
    },
    /// `email`.
    Email,
    /// `url`.
    Url,
    /// `required` on an `Option`: it must be present, and not `null`.
    Required,
    /// `#[input(each(length(min, max)))]`: the length of each item of a list.
    EachLength {
        /// The fewest allowed.
        min: Bound,
        /// The most allowed.
        max: Bound,
    },
}

/// `schema` with `constraint` written into it. An optional field's rule applies to its value,
/// so it goes into the non-null branch; a rule that does not fit the schema's type is left out.
pub fn constrain(mut schema: Value, constraint: &Constraint) -> Value {
    if *constraint == Constraint::Required {
        return super::option_value(&schema).clone();
    }
    if let Some(branches) = schema.get_mut("anyOf").and_then(Value::as_array_mut) {
        for branch in branches.iter_mut().filter(|b| b["type"] != "null") {
            *branch = constrain(branch.take(), constraint);
        }
        return schema;
    }
    let kind = schema["type"].as_str().unwrap_or_default().to_owned();
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    match *constraint {
        Constraint::Length { min, max, equal } => {
            let (min_key, max_key) = match kind.as_str() {
                "string" => ("minLength", "maxLength"),
                "array" => ("minItems", "maxItems"),
                "object" => ("minProperties", "maxProperties"),
                _ => return schema,
            };
            let (min, max) = match equal {
                Bound::None => (min, max),
                equal => (equal, equal),
            };
            tighten(object, min_key, min, Tighter::Larger);
            tighten(object, max_key, max, Tighter::Smaller);
        }
        Constraint::Range {
            min,
            max,
            exclusive_min,
            exclusive_max,
        } if kind == "integer" || kind == "number" => {
            tighten(object, "minimum", min, Tighter::Larger);
            tighten(object, "maximum", max, Tighter::Smaller);
            tighten(object, "exclusiveMinimum", exclusive_min, Tighter::Larger);
            tighten(object, "exclusiveMaximum", exclusive_max, Tighter::Smaller);
        }
        Constraint::Email if kind == "string" => {
            object.insert("format".into(), "email".into());
        }
        Constraint::Url if kind == "string" => {
            object.insert("format".into(), "uri".into());
        }
        Constraint::EachLength { min, max } if kind == "array" => {
            if let Some(items) = object.get_mut("items") {
                let each = Constraint::Length {
                    min,
                    max,
                    equal: Bound::None,
                };
                *items = constrain(items.take(), &each);
            }
        }
        _ => {}
    }
    schema
}

#[derive(Clone, Copy)]
enum Tighter {
    Larger,
    Smaller,
}

/// Sets `key` to `bound` unless the schema already has a tighter one: a `range(min = -5)` on a
/// `u32` keeps the type's own `minimum` of 0.
fn tighten(object: &mut Map<String, Value>, key: &str, bound: Bound, tighter: Tighter) {
    let Some(bound) = bound.value() else {
        return;
    };
    let keep = object
        .get(key)
        .and_then(Value::as_f64)
        .zip(bound.as_f64())
        .is_some_and(|(current, new)| match tighter {
            Tighter::Larger => current >= new,
            Tighter::Smaller => current <= new,
        });
    if !keep {
        object.insert(key.to_owned(), bound);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn length(min: Option<u64>, max: Option<u64>) -> Constraint {
        Constraint::Length {
            min: min.map_or(Bound::None, IntoBound::bound),
            max: max.map_or(Bound::None, IntoBound::bound),
            equal: Bound::None,
        }
    }

    #[test]
    fn bounds_keep_what_json_can_hold() {
        assert_eq!(3.bound(), Bound::Int(3));
        assert_eq!((-5_i8).bound(), Bound::Int(-5));
        assert_eq!(u64::MAX.bound(), Bound::UInt(u64::MAX));
        assert_eq!(u128::MAX.bound(), Bound::None);
        assert_eq!(i128::MIN.bound(), Bound::None);
        assert_eq!(0.5.bound(), Bound::Float(0.5));
        assert_eq!(f64::NAN.bound(), Bound::None);
        assert_eq!(Bound::UInt(u64::MAX).value(), Some(json!(u64::MAX)));
    }

    #[test]
    fn each_rule_goes_to_the_items() {
        let tags =
            json!({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]});
        assert_eq!(
            constrain(
                tags,
                &Constraint::EachLength {
                    min: Bound::Int(1),
                    max: Bound::Int(50),
                },
            ),
            json!({"anyOf": [
                {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 50}},
                {"type": "null"},
            ]})
        );
    }

    #[test]
    fn length_fits_the_type() {
        assert_eq!(
            constrain(json!({"type": "string"}), &length(Some(3), Some(200))),
            json!({"type": "string", "minLength": 3, "maxLength": 200})
        );
        assert_eq!(
            constrain(
                json!({"type": "array", "items": {}}),
                &length(None, Some(10))
            ),
            json!({"type": "array", "items": {}, "maxItems": 10})
        );
        assert_eq!(
            constrain(json!({"type": "integer"}), &length(Some(1), None)),
            json!({"type": "integer"}),
            "a length on a number is not a JSON Schema bound"
        );
    }

    #[test]
    fn an_optional_field_bounds_its_value() {
        let schema = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert_eq!(
            constrain(schema, &Constraint::Email),
            json!({"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]})
        );
    }

    #[test]
    fn a_required_option_is_its_value() {
        let schema = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert_eq!(
            constrain(schema, &Constraint::Required),
            json!({"type": "string"})
        );
        assert_eq!(
            constrain(json!({"type": "string"}), &Constraint::Required),
            json!({"type": "string"})
        );
    }

    #[test]
    fn range_keeps_the_tighter_bound() {
        let range = Constraint::Range {
            min: Bound::Int(-5),
            max: Bound::Int(100),
            exclusive_min: Bound::None,
            exclusive_max: Bound::None,
        };
        assert_eq!(
            constrain(
                json!({"type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64}),
                &range
            ),
            json!({"type": "integer", "minimum": 0, "maximum": 100})
        );
    }
}
