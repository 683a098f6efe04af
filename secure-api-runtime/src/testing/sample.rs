//! A body an input accepts, made from its JSON Schema, with a marker in every string: what a
//! handler sees, and must not echo in an error.

use serde_json::{Map, Value, json};

use crate::policy::{InputKind, Policy};
use crate::schema::{Components, option_value};

/// The schema of a route's input of one kind, with the components it refers to.
pub(super) struct InputSchema {
    schema: Value,
    components: Components,
}

impl InputSchema {
    /// The schema of `policy`'s input of `kind`, if the route has one.
    pub(super) fn of(policy: &Policy, kind: InputKind) -> Option<Self> {
        let input = policy
            .inputs()
            .into_iter()
            .find(|input| input.kind == kind)?;
        let mut components = Components::default();
        let schema = (input.schema)(&mut components);
        Some(Self { schema, components })
    }

    /// A value the input accepts, `marker` in every string (see [`sample`]).
    pub(super) fn sample(&self, marker: &str) -> Option<Value> {
        sample(&self.schema, &self.components, marker)
    }

    fn object(&self) -> &Value {
        option_value(self.components.resolve(&self.schema))
    }

    /// Each top-level field's name and resolved schema.
    fn fields(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.object()
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name, option_value(self.components.resolve(schema))))
    }

    /// The first top-level field that is no string (a number, a flag), which a form or a
    /// query must then refuse as text.
    pub(super) fn non_string_field(&self) -> Option<&str> {
        self.fields()
            .find(|(_, schema)| {
                matches!(
                    schema.get("type").and_then(Value::as_str),
                    Some("integer" | "number" | "boolean")
                )
            })
            .map(|(name, _)| name.as_str())
    }

    /// `valid` with its first bounded top-level field just past its bound (a string one
    /// character over its `maxLength`, a number over its `maximum` or under its `minimum`, a
    /// list one item over its `maxItems`).
    pub(super) fn past_bound(&self, valid: &Value, marker: &str) -> Option<Value> {
        let fields = valid.as_object()?;
        self.fields().find_map(|(name, schema)| {
            let value = past(schema, fields.get(name)?, marker)?;
            let mut fields = fields.clone();
            fields.insert(name.clone(), value);
            Some(Value::Object(fields))
        })
    }
}

/// The shortest marker fragment an answer can be searched for: shorter ones could be any
/// text.
const MIN_FRAGMENT: usize = 12;

/// The parts of `marker` that `value`'s strings hold (whole, or cut by a field's bound), of
/// [`MIN_FRAGMENT`] characters or more: what an answer echoing `value` would hold.
pub(super) fn echoes(value: &Value, marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    collect_echoes(value, marker, &mut found);
    found
}

fn collect_echoes(value: &Value, marker: &str, found: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let Some(start) = marker.get(..MIN_FRAGMENT).and_then(|head| text.find(head)) else {
                return;
            };
            let rest = &text[start..];
            let length = rest
                .bytes()
                .zip(marker.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let fragment = marker[..length].to_owned();
            if !found.contains(&fragment) {
                found.push(fragment);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_echoes(item, marker, found)),
        Value::Object(fields) => fields
            .values()
            .for_each(|field| collect_echoes(field, marker, found)),
        _ => {}
    }
}

/// A value of `schema` just past its bound, from `valid`, a value it accepts.
fn past(schema: &Value, valid: &Value, marker: &str) -> Option<Value> {
    // Integer bounds as integers; a fractional or huge one is beyond this probe.
    let bound = |name: &str| schema.get(name).and_then(Value::as_i64);
    match schema.get("type").and_then(Value::as_str)? {
        "string" => {
            let length = usize::try_from(schema.get("maxLength")?.as_u64()?)
                .ok()?
                .checked_add(1)?;
            let suffix = match schema.get("format").and_then(Value::as_str) {
                Some("email") => "@example.com",
                _ => "",
            };
            let mut text: String = marker
                .chars()
                .take(length.saturating_sub(suffix.len()))
                .collect();
            while text.chars().count() + suffix.len() < length {
                text.push('x');
            }
            text.push_str(suffix);
            Some(Value::String(text))
        }
        "integer" | "number" => match (bound("maximum"), bound("minimum")) {
            (Some(max), _) => Some(json!(max.checked_add(1)?)),
            (None, Some(min)) => Some(json!(min.checked_sub(1)?)),
            _ => None,
        },
        "array" => {
            let count = usize::try_from(schema.get("maxItems")?.as_u64()?).ok()?;
            let item = valid.as_array()?.first()?.clone();
            Some(Value::Array(vec![item; count.checked_add(1)?]))
        }
        _ => None,
    }
}

/// A value `schema` accepts, each string holding `marker` (within the string's bounds), or
/// `None` when the schema is beyond this sampler (then the probe is skipped).
pub(super) fn sample(schema: &Value, components: &Components, marker: &str) -> Option<Value> {
    sample_at(schema, components, marker, 0)
}

fn sample_at(schema: &Value, components: &Components, marker: &str, depth: u8) -> Option<Value> {
    if depth > 8 {
        return None;
    }
    let schema = option_value(components.resolve(schema));
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(first.clone());
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")?,
        _ => return None,
    };
    let number = |name: &str| schema.get(name).and_then(Value::as_u64);
    match kind {
        "object" => {
            let properties = schema.get("properties").and_then(Value::as_object)?;
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut object = Map::new();
            // Every field: an optional one may be the one a handler echoes.
            for (name, property) in properties {
                match sample_at(property, components, marker, depth + 1) {
                    Some(value) => {
                        object.insert(name.clone(), value);
                    }
                    None if required.contains(&name.as_str()) => return None,
                    None => {}
                }
            }
            Some(Value::Object(object))
        }
        "array" => {
            let items = schema.get("items")?;
            let count = number("minItems").unwrap_or(1).max(1);
            let count = number("maxItems").map_or(count, |max| count.min(max));
            let item = sample_at(items, components, marker, depth + 1)?;
            Some(Value::Array(vec![item; usize::try_from(count).ok()?]))
        }
        "string" => Some(Value::String(text(schema, marker)?)),
        // The minimum, or 1 within the maximum.
        "integer" => {
            let maximum = schema.get("maximum").and_then(Value::as_i64);
            let minimum = schema.get("minimum").and_then(Value::as_i64);
            Some(json!(
                minimum.unwrap_or_else(|| maximum.map_or(1, |max| max.min(1)))
            ))
        }
        "number" => {
            let maximum = schema.get("maximum").and_then(Value::as_f64);
            let minimum = schema.get("minimum").and_then(Value::as_f64);
            Some(json!(
                minimum.unwrap_or_else(|| maximum.map_or(1.0, |max| max.min(1.0)))
            ))
        }
        "boolean" => Some(Value::Bool(false)),
        _ => None,
    }
}

/// A string of `schema`'s format and bounds, holding as much of `marker` as fits.
fn text(schema: &Value, marker: &str) -> Option<String> {
    let format = schema.get("format").and_then(Value::as_str);
    let text = match format {
        Some("email") => format!("{marker}@example.com"),
        Some("uuid") => return Some("00000000-0000-4000-8000-000000000000".into()),
        Some("date-time") => return Some("2026-01-01T00:00:00Z".into()),
        Some("uri" | "url") => format!("https://example.com/{marker}"),
        _ => marker.to_owned(),
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    let max = schema.get("maxLength").and_then(Value::as_u64);
    let mut text = text;
    while (text.chars().count() as u64) < min {
        text.push('x');
    }
    if let Some(max) = max {
        text = text.chars().take(usize::try_from(max).ok()?).collect();
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_get_every_field_within_bounds() {
        let schema = json!({
            "type": "object",
            "required": ["name", "tags"],
            "properties": {
                "name": { "type": "string", "maxLength": 10 },
                "email": { "type": "string", "format": "email" },
                "tags": { "type": "array", "items": { "type": "string" }, "minItems": 2 },
                "age": { "anyOf": [{ "type": "integer", "minimum": 18 }, { "type": "null" }] },
                "kind": { "type": "string", "enum": ["a", "b"] }
            }
        });
        let value = sample(&schema, &Components::default(), "marker-value").unwrap();
        assert_eq!(
            value,
            json!({
                "name": "marker-val",
                "email": "marker-value@example.com",
                "tags": ["marker-value", "marker-value"],
                "age": 18,
                "kind": "a"
            })
        );
    }
}
