//! The OpenAPI document served at `/api/docs` stays in step with the router and the domain.

use std::collections::BTreeSet;

use grassroots_domain::MoveKind;
use serde_json::Value;

/// Every route of `grassroots_web::router`, by method and path (OpenAPI path syntax).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/docs"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/queues"),
    ("get", "/api/v1/export/cases"),
    ("get", "/api/v1/cases/{id}"),
    ("post", "/api/v1/cases/{id}/actions"),
    ("post", "/api/v1/cases/{id}/reveal"),
    ("get", "/api/v1/cases/{id}/attachments"),
    ("get", "/api/v1/cases/{id}/attachments/{attachment}"),
    ("post", "/api/v1/patrol"),
    ("get", "/api/v1/grids"),
    ("get", "/api/v1/grids/{code}"),
    ("get", "/api/v1/grids/{code}/visits"),
    ("post", "/api/v1/grids/{code}/visits"),
    ("get", "/api/v1/track/{tracking_no}"),
    ("post", "/api/v1/track/{tracking_no}/evaluation"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/me"),
    ("get", "/api/v1/reference"),
    ("get", "/api/v1/stats/rates"),
    ("get", "/api/v1/stats/coverage"),
];

/// Routes anyone may call, without a staff session.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/docs"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/track/{tracking_no}"),
    ("post", "/api/v1/track/{tracking_no}/evaluation"),
    ("post", "/api/v1/auth/login"),
];

/// Routes behind the per-address rate limiter.
const RATE_LIMITED: &[(&str, &str)] = &[
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/track/{tracking_no}"),
    ("post", "/api/v1/track/{tracking_no}/evaluation"),
    ("post", "/api/v1/auth/login"),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const ERROR_SCHEMA: &str = "#/components/schemas/Error";

fn doc() -> Value {
    serde_json::from_str(grassroots_web::OPENAPI).expect("openapi.json is valid JSON")
}

/// Follows a local `$ref` (`#/a/b`) to its target.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {r}"));
                v = doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {r}"));
            }
            None => return v,
        }
    }
    panic!("$ref chain too long")
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut ops = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().expect("path item is an object");
        for (key, op) in item {
            if METHODS.contains(&key.as_str()) {
                ops.push((key.clone(), path.clone(), op));
            }
        }
    }
    ops
}

fn op<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    doc["paths"][path].get(method).unwrap_or_else(|| panic!("{method} {path} is not documented"))
}

#[test]
fn is_openapi_3_1_with_info_and_server() {
    let doc = doc();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "openapi: {}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "grassroots API");
    assert_eq!(doc["info"]["version"], "0.1.0");
    assert!(doc["info"]["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(doc["servers"][0]["url"], "/");
}

#[test]
fn documents_exactly_the_routes_of_the_router() {
    let doc = doc();
    let documented: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    let routed: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(routed.len(), ROUTES.len(), "ROUTES has duplicates");
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "undocumented routes: {missing:?}; documented but not routed: {extra:?}"
    );
}

#[test]
fn every_operation_succeeds_somehow_and_fails_with_the_error_schema() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path} has no responses"));
        assert!(responses.keys().any(|k| k.starts_with('2')), "{method} {path} has no 2xx response");
        for (status, response) in responses {
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            let response = resolve(&doc, response);
            let schema = &response["content"]["application/json"]["schema"];
            assert_eq!(schema["$ref"], ERROR_SCHEMA, "{method} {path} {status} does not reference the Error schema");
        }
        assert!(op["operationId"].is_string(), "{method} {path} has no operationId");
    }
    let error = &doc["components"]["schemas"]["Error"];
    let inner = resolve(&doc, &error["properties"]["error"]);
    for field in ["code", "message", "field"] {
        assert!(inner["properties"].get(field).is_some(), "Error.error lacks {field}");
    }
}

#[test]
fn public_and_staff_operations_are_marked() {
    let doc = doc();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["type"], "http");
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["cookieAuth"]["type"], "apiKey");
    assert_eq!(schemes["cookieAuth"]["in"], "cookie");
    assert_eq!(schemes["cookieAuth"]["name"], "grassroots_session");
    for (method, path, op) in operations(&doc) {
        let security =
            op["security"].as_array().unwrap_or_else(|| panic!("{method} {path} does not state its security"));
        if PUBLIC.contains(&(method.as_str(), path.as_str())) {
            assert!(security.is_empty(), "{method} {path} is public but has security {security:?}");
        } else {
            let names: BTreeSet<&str> =
                security.iter().filter_map(Value::as_object).flat_map(|o| o.keys().map(String::as_str)).collect();
            assert_eq!(
                names,
                BTreeSet::from(["bearerAuth", "cookieAuth"]),
                "{method} {path} should need a staff session"
            );
            assert!(op["responses"].get("401").is_some(), "{method} {path} needs a session but documents no 401");
        }
    }
}

#[test]
fn rate_limited_operations_document_429_with_retry_after() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let limited = RATE_LIMITED.contains(&(method.as_str(), path.as_str()));
        let response = op["responses"].get("429");
        assert_eq!(
            response.is_some(),
            limited,
            "{method} {path}: 429 documented = {}, rate limited = {limited}",
            response.is_some()
        );
        if let Some(response) = response {
            let response = resolve(&doc, response);
            assert!(response["headers"].get("Retry-After").is_some(), "{method} {path}: 429 without Retry-After");
        }
    }
}

#[test]
fn every_move_is_a_variant_of_the_actions_body() {
    let doc = doc();
    let body = &op(&doc, "post", "/api/v1/cases/{id}/actions")["requestBody"]["content"]["application/json"]["schema"];
    let body = resolve(&doc, body);
    let variants = body["oneOf"].as_array().expect("the actions body is a oneOf");
    let mut documented = BTreeSet::new();
    for variant in variants {
        let variant = resolve(&doc, variant);
        let action = variant["properties"]["action"]["const"]
            .as_str()
            .unwrap_or_else(|| panic!("variant without an action const: {variant}"));
        assert!(documented.insert(action.to_string()), "action {action} documented twice");
        assert_eq!(variant["additionalProperties"], false, "action {action} must refuse unknown fields");
        let required: Vec<&str> =
            variant["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        assert!(required.contains(&"action"), "action {action} must require the action tag");
        for field in &required {
            assert!(variant["properties"].get(*field).is_some(), "action {action} requires undeclared field {field}");
        }
    }
    let names: BTreeSet<String> = MoveKind::ALL.iter().map(|k| k.as_str().to_string()).collect();
    assert_eq!(documented, names, "the actions body must list exactly Move::NAMES");
    let listed = &doc["components"]["schemas"]["ActionName"]["enum"];
    let listed: BTreeSet<String> =
        listed.as_array().expect("ActionName enum").iter().filter_map(Value::as_str).map(str::to_string).collect();
    assert_eq!(listed, names, "ActionName must list exactly Move::NAMES");
}

#[test]
fn every_reference_resolves() {
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
    let doc = doc();
    walk(&doc, &doc, "#");
}
