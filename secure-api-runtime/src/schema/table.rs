//! Object schemas the derives write as tables: `#[derive(Input)]` and `#[derive(Sanitized)]`
//! list a type's fields (name, schema function, rules) and one function here, compiled once in
//! this crate, builds the schema. A derived type then adds a small table to its crate instead
//! of the code that builds its schema, which is what made a crate of many handlers slow to
//! compile. Reached only through `secure_api::__private`.

use serde_json::Value;

use super::{Components, Constraint, ObjectSchema, Side, constrain};

/// A bound of a `#[validate(...)]` rule as the derive read it: a number JSON can hold, or
/// none (absent, or one JSON cannot hold, such as an `i128` past `i64`).
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
    fn value(self) -> Option<Value> {
        match self {
            Self::None => None,
            Self::Int(value) => Some(value.into()),
            Self::UInt(value) => Some(value.into()),
            Self::Float(value) => serde_json::Number::from_f64(value).map(Value::Number),
        }
    }
}

/// The number types `validator`'s rules take as bounds. Implemented here, not in generated
/// code, so that each conversion is compiled once.
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

/// A `#[validate(...)]` rule with a JSON Schema counterpart, as the derive read it; the table
/// form of [`Constraint`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// `length(min, max, equal)`.
    Length {
        /// The fewest allowed.
        min: Bound,
        /// The most allowed.
        max: Bound,
        /// The only count allowed.
        equal: Bound,
    },
    /// `range(min, max, exclusive_min, exclusive_max)`.
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
    /// `required` on an `Option`.
    Required,
    /// `#[input(each(length(min, max)))]`: the length of each item of a list.
    EachLength {
        /// The fewest characters.
        min: Bound,
        /// The most characters.
        max: Bound,
    },
}

impl Rule {
    fn constraint(self) -> Constraint {
        match self {
            Self::Length { min, max, equal } => Constraint::Length {
                min: min.value(),
                max: max.value(),
                equal: equal.value(),
            },
            Self::Range {
                min,
                max,
                exclusive_min,
                exclusive_max,
            } => Constraint::Range {
                min: min.value(),
                max: max.value(),
                exclusive_min: exclusive_min.value(),
                exclusive_max: exclusive_max.value(),
            },
            Self::Email => Constraint::Email,
            Self::Url => Constraint::Url,
            Self::Required => Constraint::Required,
            Self::EachLength { min, max } => Constraint::Each(Box::new(Constraint::Length {
                min: min.value(),
                max: max.value(),
                equal: None,
            })),
        }
    }
}

/// One field of a derived object: its wire name, the other names it is read under (serde's
/// `alias`, inputs only), the function giving its type's schema, its rules (inputs only), and
/// whether it is always sent (a response) or must be sent (an input).
#[derive(Clone, Copy)]
pub struct Field<'a> {
    /// The name on the wire.
    pub name: &'static str,
    /// serde's `alias`es.
    pub aliases: &'static [&'static str],
    /// The schema of the field's type.
    pub schema: fn(&mut Components) -> Value,
    /// The `#[validate(...)]` rules with a schema counterpart, in the order written.
    pub rules: &'a [Rule],
    /// Always sent, or must be sent.
    pub required: bool,
}

/// The schema of a field read by a function of its own (`deserialize_with`): any value.
pub fn any_value(_: &mut Components) -> Value {
    Value::Object(serde_json::Map::new())
}

impl Components {
    /// A reference to the input component of the type named `type_name`, built the first time
    /// from `fields`: closed when unknown fields are refused.
    #[doc(hidden)]
    pub fn input_object(
        &mut self,
        type_name: &'static str,
        fields: &[Field<'_>],
        closed: bool,
    ) -> Value {
        self.named_by(type_name, Side::Input, &mut |components| {
            object(components, fields).build(closed)
        })
    }

    /// A reference to the output component of the type named `type_name`, built the first
    /// time from `fields`; `sensitive` are the names of its `#[sensitive]` fields, which are
    /// never described but recorded for the self-audit.
    #[doc(hidden)]
    pub fn output_object(
        &mut self,
        type_name: &'static str,
        fields: &[Field<'_>],
        sensitive: &[&str],
    ) -> Value {
        self.named_by(type_name, Side::Output, &mut |components| {
            for name in sensitive {
                components.sensitive(name);
            }
            object(components, fields).build(true)
        })
    }

    /// A reference to the output component of the unit enum named `type_name`: one of its
    /// variants' wire names.
    #[doc(hidden)]
    pub fn output_enum(&mut self, type_name: &'static str, variants: &[&str]) -> Value {
        self.named_by(type_name, Side::Output, &mut |_| {
            super::string_enum(variants)
        })
    }
}

fn object(components: &mut Components, fields: &[Field<'_>]) -> ObjectSchema {
    let mut object = ObjectSchema::new();
    for field in fields {
        let mut schema = (field.schema)(components);
        for rule in field.rules {
            schema = constrain(schema, &rule.constraint());
        }
        // With aliases, which one name is sent is a rule over the names, not a property of each.
        for alias in field.aliases {
            object = object.field(alias, schema.clone(), false);
        }
        object = object.field(
            field.name,
            schema,
            field.required && field.aliases.is_empty(),
        );
        if !field.aliases.is_empty() {
            let names: Vec<&str> = std::iter::once(field.name)
                .chain(field.aliases.iter().copied())
                .collect();
            object = object.one_name_of(&names, field.required);
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn string(_: &mut Components) -> Value {
        json!({"type": "string"})
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
    fn an_input_table_builds_the_object_with_rules_and_aliases() {
        let mut components = Components::default();
        let reference = components.input_object(
            "app::Login",
            &[
                Field {
                    name: "user",
                    aliases: &["login"],
                    schema: string,
                    rules: &[Rule::Length {
                        min: Bound::Int(3),
                        max: Bound::Int(20),
                        equal: Bound::None,
                    }],
                    required: true,
                },
                Field {
                    name: "note",
                    aliases: &[],
                    schema: any_value,
                    rules: &[],
                    required: false,
                },
            ],
            true,
        );
        assert_eq!(reference, json!({"$ref": "#/components/schemas/Login"}));
        let bounded = json!({"type": "string", "minLength": 3, "maxLength": 20});
        assert_eq!(
            components.into_schemas()["Login"],
            json!({
                "type": "object",
                "properties": {"login": bounded, "user": bounded, "note": {}},
                "additionalProperties": false,
                "allOf": [{"oneOf": [{"required": ["user"]}, {"required": ["login"]}]}],
            })
        );
    }

    #[test]
    fn an_output_table_records_its_sensitive_names() {
        let mut components = Components::default();
        components.output_object(
            "app::UserView",
            &[Field {
                name: "name",
                aliases: &[],
                schema: string,
                rules: &[],
                required: true,
            }],
            &["password_hash", "passwordHash"],
        );
        assert_eq!(
            components.sensitive_names().collect::<Vec<_>>(),
            ["passwordHash", "password_hash"]
        );
        assert_eq!(
            components.into_schemas()["UserView"],
            json!({
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": false,
            })
        );
    }
}
