//! Object schemas the derives write as tables: `#[derive(Input)]` and `#[derive(Sanitized)]`
//! list a type's fields (name, schema function, rules) and one function here, compiled once in
//! this crate, builds the schema. A derived type then adds a small table to its crate instead
//! of the code that builds its schema, which is what made a crate of many handlers slow to
//! compile. Reached only through `secure_api::__private`.

use serde_json::Value;

use super::{Components, Constraint, ObjectSchema, SchemaFn, Side, constrain};

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
    pub schema: SchemaFn,
    /// The `#[validate(...)]` rules with a schema counterpart, in the order written.
    pub rules: &'a [Constraint],
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
            schema = constrain(schema, rule);
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
    use crate::schema::Bound;

    fn string(_: &mut Components) -> Value {
        json!({"type": "string"})
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
                    rules: &[Constraint::Length {
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
