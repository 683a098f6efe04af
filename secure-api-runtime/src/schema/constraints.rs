//! The bounds of `#[validate(...)]` rules, written into a field's schema so that a client (or a
//! tool generating requests from the document) knows what will pass.

use serde_json::{Map, Value};

/// A rule of `validator` that has a JSON Schema counterpart. The other rules (`custom`,
/// `regex`, `must_match`, ...) are checked all the same but not described.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Constraint {
    /// `length(min, max, equal)`: characters of a string, items of a list, entries of a map.
    Length {
        /// The fewest allowed.
        min: Option<Value>,
        /// The most allowed.
        max: Option<Value>,
        /// The only count allowed.
        equal: Option<Value>,
    },
    /// `range(min, max, exclusive_min, exclusive_max)` of a number.
    Range {
        /// The smallest allowed.
        min: Option<Value>,
        /// The largest allowed.
        max: Option<Value>,
        /// All values must be above it.
        exclusive_min: Option<Value>,
        /// All values must be below it.
        exclusive_max: Option<Value>,
    },
    /// `email`.
    Email,
    /// `url`.
    Url,
    /// `required` on an `Option`: it must be present, and not `null`.
    Required,
    /// `#[input(each(...))]`: the rule holds for each item of a list.
    Each(Box<Constraint>),
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
    match constraint {
        Constraint::Length { min, max, equal } => {
            let (min_key, max_key) = match kind.as_str() {
                "string" => ("minLength", "maxLength"),
                "array" => ("minItems", "maxItems"),
                "object" => ("minProperties", "maxProperties"),
                _ => return schema,
            };
            let (min, max) = match equal {
                Some(equal) => (Some(equal), Some(equal)),
                None => (min.as_ref(), max.as_ref()),
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
            tighten(object, "minimum", min.as_ref(), Tighter::Larger);
            tighten(object, "maximum", max.as_ref(), Tighter::Smaller);
            tighten(
                object,
                "exclusiveMinimum",
                exclusive_min.as_ref(),
                Tighter::Larger,
            );
            tighten(
                object,
                "exclusiveMaximum",
                exclusive_max.as_ref(),
                Tighter::Smaller,
            );
        }
        Constraint::Email if kind == "string" => {
            object.insert("format".into(), "email".into());
        }
        Constraint::Url if kind == "string" => {
            object.insert("format".into(), "uri".into());
        }
        Constraint::Each(rule) if kind == "array" => {
            if let Some(items) = object.get_mut("items") {
                *items = constrain(items.take(), rule);
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
fn tighten(object: &mut Map<String, Value>, key: &str, bound: Option<&Value>, tighter: Tighter) {
    let Some(bound) = bound.filter(|b| b.is_number()) else {
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
        object.insert(key.to_owned(), bound.clone());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn length(min: Option<u64>, max: Option<u64>) -> Constraint {
        Constraint::Length {
            min: min.map(Value::from),
            max: max.map(Value::from),
            equal: None,
        }
    }

    #[test]
    fn each_rule_goes_to_the_items() {
        let tags =
            json!({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]});
        assert_eq!(
            constrain(tags, &Constraint::Each(Box::new(length(Some(1), Some(50))))),
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
            min: Some((-5).into()),
            max: Some(100.into()),
            exclusive_min: None,
            exclusive_max: None,
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
