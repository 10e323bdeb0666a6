//! The OpenAPI document against real responses: every response checked
//! here must match the schema the document gives for its path, method and
//! status (including "no undocumented fields" where the schema says so).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{order, TestApp, TestDb, API_KEY};
use crate::on_both_backends;

/// A small JSON Schema checker for the subset the document uses.
struct Spec(Value);

impl Spec {
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                &self.0["components"]["schemas"][name]
            }
            None => schema,
        }
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
            let matching = options
                .iter()
                .filter(|o| {
                    let mut e = Vec::new();
                    self.check(o, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!("{at}: matches {matching} of oneOf"));
            }
            return;
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
        if let (Some(object), true) = (value.as_object(), schema.get("properties").is_some()) {
            let properties = schema["properties"].as_object().unwrap();
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let required = required.as_str().unwrap();
                if !object.contains_key(required) {
                    errors.push(format!("{at}: missing {required}"));
                }
            }
            for (key, field) in object {
                match properties.get(key) {
                    Some(field_schema) => self.check(field_schema, field, &format!("{at}.{key}"), errors),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        errors.push(format!("{at}: undocumented field {key}"))
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

    /// Panics unless `body` matches the documented response.
    fn assert_response(&self, method: &str, path: &str, status: StatusCode, body: &Value) {
        let operation = &self.0["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let response = &operation["responses"][status.as_u16().to_string()];
        assert!(response.is_object(), "{method} {path} {status} is not documented");
        let schema = &response["content"]["application/json"]["schema"];
        let mut errors = Vec::new();
        self.check(schema, body, "body", &mut errors);
        assert!(errors.is_empty(), "{method} {path} {status}: {errors:?}\n{body}");
    }
}

on_both_backends!(real_responses_match_the_openapi_document, |db: TestDb| async move {
    let app = TestApp::with_couriers(&db).await;
    let served: Value = app.client.get(format!("{}/api/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    let spec = Spec(served);

    let (status, created) = app.post_ticket(&order("PED-OAS-1")).await;
    spec.assert_response("post", "/api/tickets", status, &created);
    let (status, repeated) = app.post_ticket(&order("PED-OAS-1")).await;
    spec.assert_response("post", "/api/tickets", status, &repeated);
    let mut changed = order("PED-OAS-1");
    changed["total"] = json!(1);
    let (status, conflict) = app.post_ticket(&changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    spec.assert_response("post", "/api/tickets", status, &conflict);
    let (status, bad) = app.post_ticket(&json!({"numero": "X"})).await;
    spec.assert_response("post", "/api/tickets", status, &bad);
    let unauthorized = app.client.post(format!("{}/api/tickets", app.address)).json(&order("PED-OAS-2")).send().await.unwrap();
    let status = unauthorized.status();
    spec.assert_response("post", "/api/tickets", status, &unauthorized.json().await.unwrap());

    let id = created["ticket_id"].clone();
    let (status, page) = app.get("/api/tickets").await;
    spec.assert_response("get", "/api/tickets", status, &page);
    let (status, one) = app.get(&format!("/api/tickets/{id}")).await;
    spec.assert_response("get", "/api/tickets/{id}", status, &one);
    let (status, missing) = app.get("/api/tickets/987654").await;
    spec.assert_response("get", "/api/tickets/{id}", status, &missing);
    let (status, patched) = app.patch_ticket(&id, &json!({"estado": "en-preparacion"})).await;
    spec.assert_response("patch", "/api/tickets/{id}", status, &patched);
    let (status, refused) = app.patch_ticket(&id, &json!({"estado": "entregado"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    spec.assert_response("patch", "/api/tickets/{id}", status, &refused);
    let (status, history) = app.get(&format!("/api/tickets/{id}/historial")).await;
    spec.assert_response("get", "/api/tickets/{id}/historial", status, &history);
    let (status, failed) = app.get("/api/notificaciones/fallidas").await;
    spec.assert_response("get", "/api/notificaciones/fallidas", status, &failed);
    let health = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    let status = health.status();
    spec.assert_response("get", "/health", status, &health.json().await.unwrap());
    let deleted = app.client.delete(format!("{}/api/tickets/{id}", app.address)).header("X-API-Key", API_KEY).send().await.unwrap();
    let status = deleted.status();
    spec.assert_response("delete", "/api/tickets/{id}", status, &deleted.json().await.unwrap());
    app.stop().await;
});

#[test]
fn the_checker_rejects_what_the_document_does_not_say() {
    let spec = Spec(serde_json::from_str(belgrano_tickets::http::OPENAPI).unwrap());
    let mut errors = Vec::new();
    let schema = json!({"$ref": "#/components/schemas/TicketCreado"});
    spec.check(&schema, &json!({"exito": true, "ticket_id": "uno"}), "body", &mut errors);
    assert!(errors.iter().any(|e| e.contains("missing numero")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("ticket_id")), "{errors:?}");
    errors.clear();
    spec.check(&schema, &json!({"exito": true, "ticket_id": 1, "numero": "A", "estado": "volando", "repartidor_asignado": null,
        "fecha_creacion": "x", "cliente_nombre": "A", "total": 1, "secreto": 1}), "body", &mut errors);
    assert!(errors.iter().any(|e| e.contains("not in enum")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("undocumented field secreto")), "{errors:?}");
}
