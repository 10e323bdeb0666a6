//! The contract checker both services' API tests use: a small JSON Schema
//! checker for the subset their OpenAPI 3.1 documents use (`$ref` to a
//! local pointer, `type` as one name or a list, `enum`, `const`,
//! `properties` with `required` and `additionalProperties: false`, `items`,
//! `oneOf`, `anyOf`). Tests send real requests and check the real answers
//! against the document, so the document cannot drift from the code.
//!
//! Pure `serde_json`: it needs nothing at build or run time, and anything
//! the document uses beyond this subset is not checked (so keep documents
//! to it). `integer` is accepted where `number` is documented, as JSON
//! Schema says.

use serde_json::Value;

static NO_SCHEMA: Value = Value::Null;

/// An OpenAPI document, ready to check requests and responses against.
#[derive(Debug, Clone)]
pub struct Spec(Value);

impl Spec {
    pub fn new(document: Value) -> Self {
        Spec(document)
    }

    /// Parses a document from its JSON text.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(Spec)
    }

    pub fn document(&self) -> &Value {
        &self.0
    }

    /// The operation documented for `method` (lower case) on `path` (the
    /// route template, `/api/outbox/{id}/reintentar`).
    pub fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.0.get("paths")?.get(path)?.get(method).filter(|o| o.is_object())
    }

    /// What a `$ref` points to (local references only), or `None` when it
    /// points nowhere.
    pub fn target(&self, reference: &str) -> Option<&Value> {
        self.0.pointer(reference.strip_prefix('#')?)
    }

    /// Every `$ref` in the document that points nowhere.
    pub fn broken_refs(&self) -> Vec<String> {
        fn walk<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => {
                    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                        found.push(reference);
                    }
                    map.values().for_each(|v| walk(v, found));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&self.0, &mut found);
        found.into_iter().filter(|r| self.target(r).is_none()).map(str::to_owned).collect()
    }

    /// Checks `value` against `schema`, adding one message per mismatch
    /// (prefixed with `at`, the place in the value) to `errors`.
    pub fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return match self.target(reference) {
                Some(target) => self.check(target, value, at, errors),
                None => errors.push(format!("{at}: unresolved $ref {reference}")),
            };
        }
        for (keyword, exactly_one) in [("oneOf", true), ("anyOf", false)] {
            if let Some(options) = schema.get(keyword).and_then(Value::as_array) {
                let matching = options.iter().filter(|o| self.errors(o, value).is_empty()).count();
                if (exactly_one && matching != 1) || matching == 0 {
                    errors.push(format!("{at}: matches {matching} of {keyword}"));
                }
                return;
            }
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let actual = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            let ok = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
            if !ok {
                errors.push(format!("{at}: {actual} is not {types:?}"));
                return;
            }
        }
        if schema.get("enum").and_then(Value::as_array).is_some_and(|options| !options.contains(value)) {
            errors.push(format!("{at}: {value} not in enum"));
        }
        if schema.get("const").is_some_and(|c| c != value) {
            errors.push(format!("{at}: {value} is not {}", schema["const"]));
        }
        if let Some(object) = value.as_object() {
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let required = required.as_str().unwrap_or_default();
                if !object.contains_key(required) {
                    errors.push(format!("{at}: missing {required}"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, field) in object {
                match properties.and_then(|p| p.get(key)) {
                    Some(field_schema) => self.check(field_schema, field, &format!("{at}.{key}"), errors),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        errors.push(format!("{at}: undocumented field {key}"));
                    }
                    None => {}
                }
            }
        }
        if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.check(schema_items, item, &format!("{at}[{i}]"), errors);
            }
        }
    }

    /// The mismatches of `value` against `schema` (empty when it matches).
    pub fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check(schema, value, "body", &mut errors);
        errors
    }

    /// Panics unless `body` matches the JSON answer documented for
    /// `method` `path` and `status` (`reqwest`'s and axum's status codes
    /// convert to `u16`).
    #[track_caller]
    pub fn assert_response(&self, method: &str, path: &str, status: impl Into<u16>, body: &Value) {
        let status = status.into();
        let operation = self.operation(method, path).unwrap_or_else(|| panic!("{method} {path} is not documented"));
        let response = &operation["responses"][status.to_string()];
        assert!(response.is_object(), "{method} {path} {status} is not documented");
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {path} {status} is not documented as JSON");
        let errors = self.errors(schema, body);
        assert!(errors.is_empty(), "{method} {path} {status}: {errors:?}\n{body}");
    }

    /// Panics unless `body` matches the JSON request body documented for
    /// `method` `path` (so the examples a test sends are documented ones).
    #[track_caller]
    pub fn assert_request(&self, method: &str, path: &str, body: &Value) {
        let operation = self.operation(method, path).unwrap_or_else(|| panic!("{method} {path} is not documented"));
        let schema = operation
            .get("requestBody")
            .and_then(|b| b.pointer("/content/application~1json/schema"))
            .unwrap_or(&NO_SCHEMA);
        assert!(schema.is_object(), "{method} {path} has no documented JSON request body");
        let errors = self.errors(schema, body);
        assert!(errors.is_empty(), "{method} {path} request: {errors:?}\n{body}");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Spec {
        Spec::new(json!({
            "openapi": "3.1.0",
            "components": {"schemas": {
                "Creado": {
                    "type": "object",
                    "required": ["id", "estado"],
                    "properties": {
                        "id": {"type": "integer"},
                        "estado": {"type": "string", "enum": ["pendiente", "entregado"]},
                        "total": {"type": "number"},
                        "nota": {"type": ["string", "null"]},
                        "items": {"type": "array", "items": {"type": "string"}}
                    },
                    "additionalProperties": false
                },
                "Uno": {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]},
                "Alguno": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]},
                "Evento": {"type": "object", "properties": {"evento": {"const": "ticket_actualizado"}}},
                "Roto": {"$ref": "#/components/schemas/NoExiste"}
            }},
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Creado"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Creado"}}}}}
            }}}
        }))
    }

    fn errors_for(schema: &str, value: Value) -> Vec<String> {
        spec().errors(&json!({"$ref": format!("#/components/schemas/{schema}")}), &value)
    }

    #[test]
    fn accepts_what_the_document_says() {
        assert_eq!(
            errors_for("Creado", json!({"id": 1, "estado": "pendiente", "total": 3, "nota": null, "items": ["a"]})),
            Vec::<String>::new()
        );
        assert_eq!(
            errors_for("Creado", json!({"id": 1, "estado": "entregado", "total": 2.5, "nota": "x"})),
            Vec::<String>::new()
        );
        spec().assert_response("post", "/x", 200u16, &json!({"id": 1, "estado": "pendiente"}));
        spec().assert_request("post", "/x", &json!({"id": 1, "estado": "pendiente"}));
    }

    #[test]
    fn rejects_what_the_document_does_not_say() {
        let errors = errors_for("Creado", json!({"id": "uno", "estado": "volando", "secreto": 1, "items": [1]}));
        for expected in
            ["body.id: string is not", "not in enum", "undocumented field secreto", "body.items[0]: integer"]
        {
            assert!(errors.iter().any(|e| e.contains(expected)), "{expected} not in {errors:?}");
        }
        assert!(errors_for("Creado", json!({"id": 1})).iter().any(|e| e.contains("missing estado")));
        assert!(errors_for("Creado", json!([])).iter().any(|e| e.contains("array is not")));
        assert!(!errors_for("Evento", json!({"evento": "otro"})).is_empty());
        assert!(errors_for("Evento", json!({"evento": "ticket_actualizado"})).is_empty());
    }

    #[test]
    fn one_of_needs_exactly_one_any_of_at_least_one() {
        assert!(errors_for("Uno", json!("a")).is_empty());
        // 2 is an integer and a number: two options match.
        assert!(errors_for("Uno", json!(2)).iter().any(|e| e.contains("matches 2 of oneOf")));
        assert!(errors_for("Alguno", json!(2)).is_empty());
        assert!(errors_for("Alguno", json!(true)).iter().any(|e| e.contains("matches 0 of anyOf")));
    }

    #[test]
    fn finds_references_that_point_nowhere() {
        let spec = spec();
        assert_eq!(spec.broken_refs(), vec!["#/components/schemas/NoExiste".to_owned()]);
        assert!(errors_for("Roto", json!({})).iter().any(|e| e.contains("unresolved $ref")));
        assert!(spec.operation("post", "/x").is_some());
        assert!(spec.operation("get", "/x").is_none());
    }

    #[test]
    #[should_panic(expected = "post /x 404 is not documented")]
    fn an_undocumented_status_fails() {
        spec().assert_response("post", "/x", 404u16, &json!({}));
    }
}
