//! A resident's requests to see, correct or delete their personal data (个人信息保护法),
//! recorded by an administrator who verified them, carried out across every case with the
//! resident's phone number.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use grassroots_app::privacy::{self, SubjectRequest, SubjectRequestKind};
use grassroots_store::RevealedPersonalData;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(request))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectRequestBody {
    /// The phone number the resident reported with.
    phone: String,
    /// `see`, `correct` or `delete`.
    #[schema(pattern = "^(see|correct|delete)$")]
    kind: String,
    /// How the request and the resident's identity were verified: 1 to 200 characters, kept in
    /// the audit of every case.
    #[schema(min_length = 1, max_length = 200)]
    reference: String,
    /// For `correct`: the name as it should be.
    name: Option<String>,
    /// For `correct`: the phone number as it should be.
    new_phone: Option<String>,
}

/// A case the request was carried out on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubjectCaseView {
    pub id: Uuid,
    pub tracking_no: String,
    /// For `see`: what the platform holds of the resident in this case.
    pub personal: Option<RevealedPersonalData>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubjectRequestAnswer {
    pub cases: Vec<SubjectCaseView>,
    /// A request to erase closed the number's resident account (我的).
    pub account_closed: bool,
}

/// Carries out a resident's request across every case with their phone number, each case's
/// act audited with the reference.
#[utoipa::path(post, path = "/v1/privacy/requests", tag = "audit", request_body = SubjectRequestBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SubjectRequestAnswer), (status = "default", description = "Not an administrator (403), a bad field (422), …", body = ErrorBody)))]
pub async fn request(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
    ApiJson(body): ApiJson<SubjectRequestBody>,
) -> Result<Json<SubjectRequestAnswer>, ApiError> {
    let kind = match body.kind.as_str() {
        "see" => SubjectRequestKind::See,
        "correct" => SubjectRequestKind::Correct { name: body.name, phone: body.new_phone },
        "delete" => SubjectRequestKind::Delete,
        _ => return Err(ApiError::field("kind", "可选：see, correct, delete", "one of: see, correct, delete")),
    };
    let request = SubjectRequest { phone: body.phone, kind, reference: body.reference };
    let outcome = privacy::subject_request(&state, &admin.user, request).await?;
    let cases = outcome
        .cases
        .into_iter()
        .map(|c| SubjectCaseView { id: c.id, tracking_no: c.tracking_no, personal: c.personal })
        .collect();
    Ok(Json(SubjectRequestAnswer { cases, account_closed: outcome.account_closed }))
}
