//! The OpenAPI document served at `/api/docs` is generated from the handlers and the types they
//! answer with; these tests check what generation alone would not promise. (Every answer of
//! every API test is checked against it: see `support/contract.rs`.)

mod support;

use std::collections::BTreeSet;

use grassroots_domain::MoveKind;
use serde_json::Value;
use support::*;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// Operations anyone may call, without a staff session.
const PUBLIC: &[(&str, &str)] = &[
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/track/{tracking_no}"),
    ("post", "/api/v1/track/{tracking_no}/evaluation"),
    ("post", "/api/v1/auth/login"),
    ("get", "/api/v1/reports/nearby"),
    ("post", "/api/v1/reports/{tracking_no}/supporters"),
    ("post", "/api/v1/residents/codes"),
    ("post", "/api/v1/residents/sessions"),
    ("get", "/api/v1/votes"),
    ("get", "/api/v1/votes/{id}"),
    ("get", "/api/v1/topics"),
    ("get", "/api/v1/topics/{id}"),
    ("get", "/api/v1/meetings"),
    ("get", "/api/v1/meetings/{id}"),
    ("get", "/api/v1/decisions"),
    ("get", "/api/v1/decisions/{id}"),
    ("get", "/api/v1/surveys"),
    ("get", "/api/v1/surveys/{id}"),
    ("get", "/api/v1/funds"),
    ("get", "/api/v1/funds/{id}"),
    ("get", "/api/v1/helpers/ranking"),
    ("get", "/api/v1/services"),
    ("get", "/api/v1/services/{code}"),
    ("get", "/api/v1/service-slots"),
    ("get", "/api/v1/projects"),
    ("get", "/api/v1/projects/{id}"),
    ("get", "/api/v1/compounds"),
    ("get", "/api/v1/compounds/{id}"),
    ("get", "/api/v1/powers"),
    ("get", "/api/v1/disclosures"),
    ("get", "/api/v1/disclosures/{id}/history"),
    ("post", "/api/v1/misconduct"),
    ("post", "/api/v1/misconduct/track"),
];
/// Operations for a signed-in resident (居民账号), by their session's token or cookie.
const RESIDENTS: &[(&str, &str)] = &[
    ("get", "/api/v1/residents/me"),
    ("delete", "/api/v1/residents/me"),
    ("delete", "/api/v1/residents/sessions/current"),
    ("get", "/api/v1/residents/me/household"),
    ("get", "/api/v1/residents/me/alerts"),
    ("put", "/api/v1/residents/me/alerts"),
    ("put", "/api/v1/residents/me/household"),
    ("get", "/api/v1/residents/me/votes"),
    ("post", "/api/v1/votes/{id}/ballots"),
    ("post", "/api/v1/residents/me/topics"),
    ("get", "/api/v1/residents/me/participation"),
    ("post", "/api/v1/topics/{id}/proposals"),
    ("post", "/api/v1/topics/{id}/comments"),
    ("post", "/api/v1/proposals/{id}/supporters"),
    ("post", "/api/v1/surveys/{id}/responses"),
    ("get", "/api/v1/residents/me/surveys"),
    ("get", "/api/v1/residents/me/helper"),
    ("post", "/api/v1/residents/me/helper"),
    ("get", "/api/v1/residents/me/needs"),
    ("post", "/api/v1/residents/me/needs"),
    ("get", "/api/v1/residents/me/applications"),
    ("post", "/api/v1/residents/me/applications"),
    ("post", "/api/v1/residents/me/appointments"),
    ("delete", "/api/v1/residents/me/appointments/{id}"),
    ("post", "/api/v1/compounds/{id}/ratings"),
];
/// Operations for staff or a resident: a need, read and moved by staff of its place, its helper
/// or the resident who asked; an application, by the centre's staff or the resident who applied.
const STAFF_OR_RESIDENT: &[(&str, &str)] = &[
    ("get", "/api/v1/needs/{id}"),
    ("post", "/api/v1/needs/{id}/moves"),
    ("get", "/api/v1/needs/{id}/photos/{digest}"),
    ("get", "/api/v1/applications/{id}"),
    ("post", "/api/v1/applications/{id}/moves"),
    ("get", "/api/v1/applications/{id}/files/{digest}"),
];

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if METHODS.contains(&method.as_str()) {
                ops.push((method.clone(), path.clone(), op));
            }
        }
    }
    ops
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => v,
    }
}

async fn the_document_describes_every_operation_with_its_answers_and_security(app: TestApp) {
    let doc = app.get("/api/docs").send().await.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "grassroots API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        (schemes["bearer"]["type"].as_str(), schemes["bearer"]["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    assert_eq!(
        (schemes["cookie"]["in"].as_str(), schemes["cookie"]["name"].as_str()),
        (Some("cookie"), Some("grassroots_session"))
    );
    assert_eq!(
        (schemes["resident_cookie"]["in"].as_str(), schemes["resident_cookie"]["name"].as_str()),
        (Some("cookie"), Some("grassroots_resident"))
    );
    let ops = operations(&doc);
    assert!(ops.len() >= 20, "{} operations", ops.len());
    for (method, path, op) in &ops {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: no responses"));
        assert!(responses.keys().any(|k| k.starts_with('2')), "{method} {path}: no success answer");
        let default = resolve(&doc, &responses["default"]);
        let error = &default["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(error, "#/components/schemas/ErrorBody", "{method} {path}: errors are not the error schema");
        let security: BTreeSet<&str> = op["security"]
            .as_array()
            .map(|s| s.iter().filter_map(Value::as_object).flat_map(|o| o.keys().map(String::as_str)).collect())
            .unwrap_or_default();
        if PUBLIC.contains(&(method.as_str(), path.as_str())) {
            assert!(security.is_empty(), "{method} {path} is public but asks for {security:?}");
            let limited = resolve(&doc, &responses["429"]);
            assert!(limited["headers"].get("Retry-After").is_some(), "{method} {path}: 429 without Retry-After");
        } else if RESIDENTS.contains(&(method.as_str(), path.as_str())) {
            let resident = BTreeSet::from(["resident_bearer", "resident_cookie"]);
            assert_eq!(security, resident, "{method} {path} should need a resident's session");
        } else if STAFF_OR_RESIDENT.contains(&(method.as_str(), path.as_str())) {
            let either = BTreeSet::from(["bearer", "cookie", "resident_bearer", "resident_cookie"]);
            assert_eq!(security, either, "{method} {path} should need a staff or resident session");
        } else {
            assert_eq!(security, BTreeSet::from(["bearer", "cookie"]), "{method} {path} should need a staff session");
        }
    }
    let error = &doc["components"]["schemas"]["ErrorBody"]["properties"]["error"];
    let detail = resolve(&doc, error);
    for field in ["code", "message", "zh", "en", "field"] {
        assert!(detail["properties"].get(field).is_some(), "the error lacks {field}");
    }
}

async fn every_move_is_a_variant_of_the_actions_body(app: TestApp) {
    let doc = app.get("/api/docs").send().await.json();
    let body =
        &doc["paths"]["/api/v1/cases/{id}/actions"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let body = resolve(&doc, body);
    let variants = body["oneOf"].as_array().unwrap_or_else(|| panic!("the actions body is a oneOf: {body}"));
    let mut documented = BTreeSet::new();
    for variant in variants {
        let variant = resolve(&doc, variant);
        let action = &variant["properties"]["action"];
        let names = action["enum"].as_array().unwrap_or_else(|| panic!("a variant without its action: {variant}"));
        for name in names.iter().filter_map(Value::as_str) {
            assert!(documented.insert(name.to_string()), "action {name} documented twice");
        }
        let required: Vec<&str> =
            variant["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        assert!(required.contains(&"action"), "{variant}: the action tag is required");
    }
    let names: BTreeSet<String> = MoveKind::ALL.iter().map(|k| k.as_str().to_string()).collect();
    assert_eq!(documented, names, "the actions body lists exactly the moves of the domain");
}

async fn every_reference_resolves(app: TestApp) {
    fn walk(doc: &Value, v: &Value, at: &str) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{at}: non-local $ref {r}"));
                    assert!(doc.pointer(pointer).is_some(), "{at}: dangling $ref {r}");
                }
                for (k, child) in o {
                    walk(doc, child, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => a.iter().enumerate().for_each(|(i, child)| walk(doc, child, &format!("{at}/{i}"))),
            _ => {}
        }
    }
    let doc = app.get("/api/docs").send().await.json();
    walk(&doc, &doc, "#");
}

api_tests!(
    the_document_describes_every_operation_with_its_answers_and_security,
    every_move_is_a_variant_of_the_actions_body,
    every_reference_resolves,
);
