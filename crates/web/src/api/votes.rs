//! Votes (表决) over JSON: anyone reads a vote and, once published, its results with turnout;
//! staff hold votes in their places, mark paper voters, enter paper counts and publish; a
//! signed-in resident sees the votes of their places and casts a ballot.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::votes::{self, PaperVoterForm, Standing, VoteForm};
use grassroots_domain::votes::PaperCount;
use grassroots_store::votes::{PaperEntry, Vote, Withdrawal};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::id_in_path as vote_id;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::limit_public;
use crate::session::{need, Can, SignedIn};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(list))
                .routes(routes!(show))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(create))
        .routes(routes!(cast))
        .routes(routes!(my_votes))
        .routes(routes!(mark_paper_voter))
        .routes(routes!(paper_counts, enter_paper_count))
        .routes(routes!(publish))
        .routes(routes!(withdraw))
}

/// Marks for one option.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptionCount {
    pub option: String,
    pub count: u64,
    /// Of the valid marks, as a fraction.
    pub share: Option<f64>,
}

/// A vote's published results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VoteResults {
    pub options: Vec<OptionCount>,
    /// Households or residents on the roll when published.
    pub eligible: u64,
    /// Voters over the roll, as a fraction.
    pub turnout: Option<f64>,
    pub published_at: DateTime<Utc>,
}

/// A vote or survey withdrawn before it opened: when, and the reason given.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WithdrawalView {
    pub at: DateTime<Utc>,
    pub reason: String,
}

pub(crate) fn withdrawal_view(w: Withdrawal) -> WithdrawalView {
    WithdrawalView { at: w.at, reason: w.reason }
}

/// Why a vote or survey is withdrawn (published with it).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalBody {
    pub reason: String,
}

/// A vote as anyone may read it: its running count never shows before publication.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VoteView {
    pub id: Uuid,
    /// The street, community or grid whose households or residents vote.
    pub region_code: String,
    pub region_name: Option<String>,
    pub title: String,
    pub body: String,
    /// `single` or `approval`.
    pub kind: String,
    pub kind_zh: String,
    /// `households` or `persons`.
    pub eligibility: String,
    pub eligibility_zh: String,
    pub options: Vec<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// `scheduled`, `open`, `closed`, `published` or `withdrawn`.
    pub phase: String,
    pub phase_zh: String,
    pub withdrawn: Option<WithdrawalView>,
    /// Voters on the roll so far (online and on paper).
    pub voters: u64,
    pub results: Option<VoteResults>,
}

pub(crate) fn vote_view(state: &AppState, v: Vote) -> VoteView {
    let phase = v.phase(Utc::now());
    let results = v.published_at.map(|published_at| {
        let marks: u64 = v.results.iter().sum();
        let eligible = v.eligible.unwrap_or(0);
        VoteResults {
            options: v
                .options
                .iter()
                .zip(&v.results)
                .map(|(option, &count)| OptionCount {
                    option: option.clone(),
                    count,
                    share: (marks > 0).then(|| count as f64 / marks as f64),
                })
                .collect(),
            eligible,
            turnout: (eligible > 0).then(|| v.voters as f64 / eligible as f64),
            published_at,
        }
    });
    VoteView {
        id: v.id,
        region_name: state.atlas().outline(&v.region_code).map(|o| o.name.clone()),
        region_code: v.region_code,
        title: v.title,
        body: v.body,
        kind: v.kind.as_str().to_string(),
        kind_zh: v.kind.label_zh().to_string(),
        eligibility: v.eligibility.as_str().to_string(),
        eligibility_zh: v.eligibility.label_zh().to_string(),
        options: v.options,
        opens_at: v.opens_at,
        closes_at: v.closes_at,
        phase: phase.as_str().to_string(),
        phase_zh: phase.label_zh().to_string(),
        withdrawn: v.withdrawn.map(withdrawal_view),
        voters: v.voters,
        results,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Votes {
    /// Newest opening first.
    pub votes: Vec<VoteView>,
}

/// Every vote, newest first (公示): results once published, never a running count.
#[utoipa::path(get, path = "/v1/votes", tag = "participation",
    responses((status = 200, body = Votes), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Votes>, ApiError> {
    let votes = votes::public(&state).await?;
    Ok(Json(Votes { votes: votes.into_iter().map(|v| vote_view(&state, v)).collect() }))
}

/// One vote, with its results once published.
#[utoipa::path(get, path = "/v1/votes/{id}", tag = "participation", params(("id" = Uuid, Path)),
    responses((status = 200, body = VoteView), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<VoteView>, ApiError> {
    let vote = votes::get(&state, vote_id(&id)?).await?;
    Ok(Json(vote_view(&state, vote)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVoteBody {
    /// A street, community or grid code within the caller's scope.
    pub region: String,
    pub title: String,
    pub body: String,
    /// `single` or `approval`.
    pub kind: String,
    /// `households` or `persons`.
    pub eligibility: String,
    /// Two to twenty.
    pub options: Vec<String>,
    /// RFC 3339 or Beijing time (`2026-12-03T09:00`); not in the past.
    pub opens_at: String,
    /// At least an hour after opening, at most ninety days.
    pub closes_at: String,
}

/// Holds a vote in one of the caller's places.
#[utoipa::path(post, path = "/v1/votes", tag = "participation", request_body = NewVoteBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = VoteView), (status = "default", description = "A field wrong (422, naming it), …", body = ErrorBody)))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<NewVoteBody>,
) -> Result<(StatusCode, Json<VoteView>), ApiError> {
    let form = VoteForm {
        region: b.region,
        title: b.title,
        body: b.body,
        kind: b.kind,
        eligibility: b.eligibility,
        options: b.options,
        opens_at: b.opens_at,
        closes_at: b.closes_at,
    };
    let vote = votes::create(&state, &staff.user, form).await?;
    Ok((StatusCode::CREATED, Json(vote_view(&state, vote))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The options chosen, by position from 0: one for a single choice, one or more for approval.
    pub choices: Vec<u32>,
}

/// A ballot received: it names nobody, so there is nothing to show of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BallotReceived {
    pub vote_id: Uuid,
    pub voters: u64,
}

/// The signed-in resident casts their ballot (or their household's). One per voter: a second
/// answers 409. The ballot is kept without the voter or the time.
#[utoipa::path(post, path = "/v1/votes/{id}/ballots", tag = "participation", request_body = BallotBody,
    params(("id" = Uuid, Path)), security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = BallotReceived),
        (status = "default", description = "Not signed in (401), no confirmed household there (403), voted already or not open (409), bad choices (422), …", body = ErrorBody)))]
pub async fn cast(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<BallotBody>,
) -> Result<(StatusCode, Json<BallotReceived>), ApiError> {
    let id = vote_id(&id)?;
    votes::cast(&state, &signed_in.resident, id, &b.choices).await?;
    let voters = votes::get(&state, id).await?.voters;
    Ok((StatusCode::CREATED, Json(BallotReceived { vote_id: id, voters })))
}

/// A vote of the resident's places and where they stand in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyVote {
    pub vote: VoteView,
    /// `may_vote`, `voted` or `elsewhere`.
    pub standing: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyVotes {
    /// Whether the resident has a confirmed household (without one, no vote is theirs).
    pub household_confirmed: bool,
    pub votes: Vec<MyVote>,
}

/// The votes of the signed-in resident's street, community and grid, and whether they voted.
#[utoipa::path(get, path = "/v1/residents/me/votes", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = MyVotes), (status = "default", description = "Not signed in (401), …", body = ErrorBody)))]
pub async fn my_votes(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Json<MyVotes>, ApiError> {
    let mine = votes::for_resident(&state, &signed_in.resident).await?;
    let household_confirmed = grassroots_app::households::mine(&state, &signed_in.resident)
        .await?
        .is_some_and(|l| l.state == grassroots_domain::households::LinkState::Confirmed);
    let votes = mine
        .into_iter()
        .map(|(vote, standing)| MyVote {
            vote: vote_view(&state, vote),
            standing: match standing {
                Standing::MayVote(_) => "may_vote",
                Standing::Voted => "voted",
                Standing::Elsewhere | Standing::NoHousehold => "elsewhere",
            }
            .to_string(),
        })
        .collect();
    Ok(Json(MyVotes { household_confirmed, votes }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperVoterBody {
    /// For a vote by household: the household's grid and label.
    pub grid_code: Option<String>,
    pub label: Option<String>,
    /// For a vote by person: the resident's mobile.
    pub phone: Option<String>,
}

/// Marks a voter as having voted on paper (a ballot handed in at a meeting); one who voted
/// online is refused (409), so nobody votes twice.
#[utoipa::path(post, path = "/v1/votes/{id}/paper-voters", tag = "participation", request_body = PaperVoterBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = VoteView), (status = "default", body = ErrorBody)))]
pub async fn mark_paper_voter(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PaperVoterBody>,
) -> Result<(StatusCode, Json<VoteView>), ApiError> {
    let id = vote_id(&id)?;
    let form = PaperVoterForm { grid_code: b.grid_code, label: b.label, phone: b.phone };
    votes::mark_paper_voter(&state, &staff.user, id, form).await?;
    Ok((StatusCode::CREATED, Json(vote_view(&state, votes::get(&state, id).await?))))
}

/// Paper ballots as counted aloud (唱票) and entered by one staff member.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaperCountBody {
    /// Ballots in the box, valid and invalid; no more than the paper voters marked.
    pub ballots: u32,
    /// Blank or spoilt ballots.
    pub invalid: u32,
    /// Marks per option, in the options' order.
    pub counts: Vec<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaperEntryView {
    pub entered_by: String,
    pub count: PaperCountBody,
    pub entered_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaperCounts {
    pub entries: Vec<PaperEntryView>,
    /// Whether two entries, by different staff members, agree: the count that stands.
    pub agreed: bool,
}

fn paper_counts_view(entries: Vec<PaperEntry>) -> PaperCounts {
    let counts: Vec<PaperCount> = entries.iter().map(|e| e.count.clone()).collect();
    let agreed = grassroots_domain::votes::agreed_paper_count(&counts).is_some();
    let entries = entries
        .into_iter()
        .map(|e| PaperEntryView {
            entered_by: e.entered_by,
            count: PaperCountBody { ballots: e.count.ballots, invalid: e.count.invalid, counts: e.count.counts },
            entered_at: e.entered_at,
        })
        .collect();
    PaperCounts { entries, agreed }
}

/// The entries of the vote's paper count.
#[utoipa::path(get, path = "/v1/votes/{id}/paper-counts", tag = "participation",
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PaperCounts), (status = "default", body = ErrorBody)))]
pub async fn paper_counts(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
) -> Result<Json<PaperCounts>, ApiError> {
    Ok(Json(paper_counts_view(votes::paper_entries(&state, &staff.user, vote_id(&id)?).await?)))
}

/// Enters the paper count as this staff member read it, after the vote closes; it stands
/// once a second staff member's entry agrees.
#[utoipa::path(post, path = "/v1/votes/{id}/paper-counts", tag = "participation", request_body = PaperCountBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PaperCounts),
        (status = "default", description = "Counts that do not add up (422, naming the field), the count already agreed or the vote open (422), …", body = ErrorBody)))]
pub async fn enter_paper_count(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PaperCountBody>,
) -> Result<(StatusCode, Json<PaperCounts>), ApiError> {
    let count = PaperCount { ballots: b.ballots, invalid: b.invalid, counts: b.counts };
    let entries = votes::enter_paper_count(&state, &staff.user, vote_id(&id)?, count).await?;
    Ok((StatusCode::CREATED, Json(paper_counts_view(entries))))
}

/// Withdraws a vote announced by mistake, before it opens, with a reason its page shows.
#[utoipa::path(post, path = "/v1/votes/{id}/withdrawal", tag = "participation", request_body = WithdrawalBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = VoteView),
        (status = "default", description = "Open already or withdrawn (422 on `phase`), no reason (422), …", body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WithdrawalBody>,
) -> Result<Json<VoteView>, ApiError> {
    let vote = votes::withdraw(&state, &staff.user, vote_id(&id)?, &body.reason).await?;
    Ok(Json(vote_view(&state, vote)))
}

/// Publishes the results of a closed vote: its ballots and agreed paper count tallied, with
/// the roll's size for the turnout.
#[utoipa::path(post, path = "/v1/votes/{id}/publication", tag = "participation",
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = VoteView),
        (status = "default", description = "Still open, paper ballots not agreed, or published already (422), …", body = ErrorBody)))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
) -> Result<Json<VoteView>, ApiError> {
    let vote = votes::publish(&state, &staff.user, vote_id(&id)?).await?;
    Ok(Json(vote_view(&state, vote)))
}
