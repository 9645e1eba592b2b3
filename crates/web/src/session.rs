//! Who is asking: a staff session (its token is both the API's bearer token and the pages'
//! cookie; only a digest is stored) and the extractors that require one, or a capability; a
//! resident's session (居民账号), kept apart under its own cookie.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use grassroots_app::{accounts, AppError};
use grassroots_domain::{Actor, Capability};
use grassroots_store::residents::Resident;
use grassroots_store::User;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "grassroots_session";
/// The cookie of a resident's session (居民账号), apart from staff's.
pub const RESIDENT_COOKIE: &str = "grassroots_resident";

/// A logged-in staff member.
pub struct Staff {
    pub user: User,
    pub token: String,
}

impl Staff {
    /// Refuses (403, saying why) unless the staff member's role has the capability.
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        if self.user.role.may(capability) {
            return Ok(());
        }
        Err(AppError::lacks(capability).into())
    }

    pub fn may(&self, capability: Capability) -> bool {
        self.user.role.may(capability)
    }

    pub fn actor(&self) -> Actor {
        self.user.actor()
    }
}

pub fn token_from(headers: &HeaderMap) -> Option<String> {
    bearer_or_cookie(headers, SESSION_COOKIE)
}

/// The bearer token of the request, else the value of the cookie `name`.
pub fn bearer_or_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token);
    if let Some(token) = bearer {
        return Some(token.trim().to_string());
    }
    cookie(headers, name)
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')).map(str::to_string))
}

async fn staff_from(parts: &Parts, state: &AppState) -> Result<Option<Staff>, ApiError> {
    let Some(token) = token_from(&parts.headers) else { return Ok(None) };
    let user = accounts::session_user(state, &token).await?.ok_or(ApiError::unauthorized())?;
    Ok(Some(Staff { user, token }))
}

impl FromRequestParts<Arc<AppState>> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        staff_from(parts, state).await?.ok_or(ApiError::unauthorized())
    }
}

/// Staff when a session is presented, nobody otherwise (a bad token is still refused).
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<Arc<AppState>> for MaybeStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        Ok(Self(staff_from(parts, state).await?))
    }
}

/// A signed-in resident (居民账号): the resident of the request's bearer token or resident
/// cookie. A staff session is no resident's.
pub struct SignedIn {
    pub resident: Resident,
    pub token: String,
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        MaybeResident::from_request_parts(parts, state).await?.0.ok_or_else(ApiError::unauthorized)
    }
}

/// A resident when a live session is presented, nobody otherwise: a page then asks them to sign
/// in (a session ended or closed elsewhere leaves its cookie behind).
pub struct MaybeResident(pub Option<SignedIn>);

impl FromRequestParts<Arc<AppState>> for MaybeResident {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer_or_cookie(&parts.headers, RESIDENT_COOKIE) else { return Ok(Self(None)) };
        let resident = grassroots_app::residents::resident_of(state, &token).await?;
        Ok(Self(resident.map(|resident| SignedIn { resident, token })))
    }
}

/// A logged-in staff member whose role has the capability `C` (a marker of [`need`]):
/// without a session 401, without the capability 403 saying why. Handlers of the API and of
/// the pages ask for the same one, so the same act is checked the same way everywhere.
pub struct Can<C>(pub Staff, PhantomData<C>);

/// A capability a handler needs, as a type.
pub trait Need {
    const CAPABILITY: Capability;
}

/// One marker type per capability, for [`Can`].
pub mod need {
    use grassroots_domain::Capability;

    macro_rules! needs {
        ($($name:ident),* $(,)?) => {
            $(
                pub struct $name;
                impl super::Need for $name {
                    const CAPABILITY: Capability = Capability::$name;
                }
            )*
        };
    }

    needs!(
        AnswerCalls,
        ReportOnPatrol,
        RecordVisits,
        WorkOnCases,
        RevealPersonalData,
        ViewStatistics,
        PlanDuty,
        RunParticipation,
        CareForResidents,
        CoordinateHelp,
        HandleApplications,
        MediateDisputes,
        CommandEmergencies,
        OrganiseParty,
        ReduceBurden,
        InvestigateMisconduct,
        ManageWorkforce,
        Administer
    );
}

impl<C> std::ops::Deref for Can<C> {
    type Target = Staff;

    fn deref(&self) -> &Staff {
        &self.0
    }
}

impl<C: Need> FromRequestParts<Arc<AppState>> for Can<C> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let staff = Staff::from_request_parts(parts, state).await?;
        staff.require(C::CAPABILITY)?;
        Ok(Self(staff, PhantomData))
    }
}

/// A session just opened, with the cookie that carries it.
pub struct OpenedSession {
    pub user: User,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub cookie: String,
}

/// Checks a username and password tried from `client` and opens a session with its cookie;
/// `None` when they do not match (the failure is audited).
pub async fn open_session(
    state: &AppState,
    username: &str,
    password: &str,
    client: std::net::IpAddr,
) -> Result<Option<OpenedSession>, ApiError> {
    let Some(session) = accounts::log_in(state, username, password, client).await? else { return Ok(None) };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.token,
        state.settings.session_ttl.num_seconds(),
        if state.config.secure_cookies { "; Secure" } else { "" }
    );
    Ok(Some(OpenedSession { user: session.user, token: session.token, expires_at: session.expires_at, cookie }))
}

/// The cookie that carries a resident's session (居民账号) until it expires.
pub fn resident_cookie(state: &AppState, session: &grassroots_app::residents::ResidentSession) -> String {
    format!(
        "{RESIDENT_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session.token,
        (session.expires_at - chrono::Utc::now()).num_seconds().max(0),
        if state.config.secure_cookies { "; Secure" } else { "" }
    )
}

/// The cookie that clears a resident's session in the browser.
pub fn cleared_resident_cookie() -> String {
    format!("{RESIDENT_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// Ends the session; returns the cookie that clears it in the browser.
pub async fn close_session(state: &AppState, staff: &Staff) -> Result<String, ApiError> {
    accounts::log_out(state, &staff.token).await?;
    Ok(format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"))
}

/// The signed-in resident, else staff signed in; refused with 401 for neither, before a body
/// is read: for what a resident and staff both read, each their own (a need, an application).
pub enum StaffOrResident {
    Staff(Staff),
    Resident(SignedIn),
}

impl FromRequestParts<Arc<AppState>> for StaffOrResident {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        // A resident's bearer token is no staff session: asked first, it is not refused as one.
        if let MaybeResident(Some(resident)) = MaybeResident::from_request_parts(parts, state).await? {
            return Ok(Self::Resident(resident));
        }
        match MaybeStaff::from_request_parts(parts, state).await? {
            MaybeStaff(Some(staff)) => Ok(Self::Staff(staff)),
            MaybeStaff(None) => Err(ApiError::unauthorized()),
        }
    }
}

impl StaffOrResident {
    pub fn reader(&self) -> grassroots_app::Reader<'_> {
        match self {
            Self::Staff(s) => grassroots_app::Reader::Staff(&s.user),
            Self::Resident(r) => grassroots_app::Reader::Resident(&r.resident),
        }
    }
}

/// For a page that staff and residents both open: staff if signed in as staff, else the
/// signed-in resident, else nobody.
pub fn reader_of<'a>(staff: &'a MaybeStaff, resident: &'a MaybeResident) -> Option<grassroots_app::Reader<'a>> {
    match (&staff.0, &resident.0) {
        (Some(s), _) => Some(grassroots_app::Reader::Staff(&s.user)),
        (None, Some(r)) => Some(grassroots_app::Reader::Resident(&r.resident)),
        (None, None) => None,
    }
}
