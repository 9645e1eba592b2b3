//! Every answer of the API, in every test, checked against the OpenAPI document the server
//! itself serves at `/api/docs`: the status must be documented for the operation (or be its
//! `default`), the media type must be one it documents, and a JSON body must match the schema.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Contract {
    pub fn new(doc: Value) -> Self {
        assert!(doc["paths"].is_object(), "the served document has no paths: {doc}");
        Self { doc, validators: Mutex::new(HashMap::new()) }
    }

    /// The document's path template for a concrete path (`/api/v1/cases/{id}` for
    /// `/api/v1/cases/0190…`): the one with the fewest parameters among those that match.
    fn template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut matches: Vec<(usize, &String)> = self.doc["paths"]
            .as_object()?
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                let fits = parts.len() == segments.len()
                    && parts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()));
                fits.then(|| (parts.iter().filter(|p| p.starts_with('{')).count(), template))
            })
            .collect();
        matches.sort();
        matches.first().map(|(_, t)| t.to_string())
    }

    fn validator(&self, key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut validators = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        validators
            .entry(key.to_string())
            .or_insert_with(|| {
                // The schema keeps its `#/components/…` references resolvable beside it.
                let mut root = schema.clone();
                if let Some(object) = root.as_object_mut() {
                    object.insert("components".into(), self.doc["components"].clone());
                }
                Arc::new(
                    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{key}: the schema is invalid: {e}")),
                )
            })
            .clone()
    }

    pub fn check(&self, method: &str, path_and_query: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let what = format!("{method} {path_and_query} answered {status}");
        let error_schema = serde_json::json!({ "$ref": "#/components/schemas/ErrorBody" });
        let (key, response) = match self.template(path) {
            Some(template) => match self.doc["paths"][&template].get(method.to_ascii_lowercase()) {
                Some(op) => {
                    let documented = op["responses"].get(status.to_string()).or_else(|| op["responses"].get("default"));
                    let response =
                        documented.unwrap_or_else(|| panic!("{what}: a status its operation does not document"));
                    (format!("{method} {template} {status}"), response.clone())
                }
                None => {
                    assert_eq!(status, 405, "{what}: the document has no {method} for {template}");
                    (
                        "error".into(),
                        serde_json::json!({ "content": { "application/json": { "schema": error_schema } } }),
                    )
                }
            },
            None => {
                assert!(status >= 400, "{what}: a path the document does not have");
                ("error".into(), serde_json::json!({ "content": { "application/json": { "schema": error_schema } } }))
            }
        };
        let media = content_type.map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(body.is_empty(), "{what}: a body where the document has none");
            return;
        };
        let media = media.unwrap_or_else(|| panic!("{what}: no content type"));
        let documented =
            content.get(&media).unwrap_or_else(|| panic!("{what}: {media} is not documented ({:?})", content.keys()));
        if media != "application/json" {
            return;
        }
        let json: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
        let validator = self.validator(&key, &documented["schema"]);
        let errors: Vec<String> =
            validator.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{what}: the answer does not match its schema:\n{}\n{json:#}", errors.join("\n"));
    }
}
