//! Residents' accounts (居民账号): a code texted to a mainland mobile, then a session; the
//! resident's own page. Called alike by the JSON API and the pages.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use grassroots_domain::personal::mask_phone;
use grassroots_domain::residents::{check_code_form, code_text, code_valid, session_valid, Mobile, CODE_DIGITS};
use grassroots_domain::Actor;
use grassroots_store::auth::{digest, new_token};
use grassroots_store::residents::{CodeKept, Resident, ResidentReport, SignIn};
use rand::Rng;

use crate::{AppError, Platform, Result};

/// Sends a text now, for what cannot wait in the message queue (a sign-in code is kept only as
/// a digest, so it is sent while it is known, and its asker told whether it went).
#[async_trait::async_trait]
pub trait Texter: Send + Sync {
    /// `Err` with why the provider did not take it.
    async fn send(&self, to: &Mobile, text: &str) -> std::result::Result<(), String>;
}

/// A text the development sink took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkText {
    pub to: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Where texts go when no SMS provider is configured (development and the demo): the server's
/// log and the last few kept in memory, so that a developer can sign in as a resident.
#[derive(Default)]
pub struct DevelopmentTexts {
    kept: Mutex<VecDeque<SinkText>>,
}

/// Texts the development sink keeps.
const KEPT_TEXTS: usize = 50;

impl DevelopmentTexts {
    /// The texts kept, newest last.
    pub fn texts(&self) -> Vec<SinkText> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}

#[async_trait::async_trait]
impl Texter for DevelopmentTexts {
    async fn send(&self, to: &Mobile, text: &str) -> std::result::Result<(), String> {
        tracing::info!(to = %mask_phone(to.as_str()), %text, "development sink: a text not sent (no SMS provider)");
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() == KEPT_TEXTS {
            kept.pop_front();
        }
        kept.push_back(SinkText { to: to.as_str().to_string(), text: text.to_string(), at: Utc::now() });
        Ok(())
    }
}

/// A code sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub phone_masked: String,
    pub expires_at: DateTime<Utc>,
}

/// Texts a sign-in code to `phone`, within the limits per number and per `address`.
pub async fn send_code(platform: &Platform, phone: &str, address: IpAddr) -> Result<CodeSent> {
    let mobile = Mobile::parse(phone)?;
    let now = Utc::now();
    let code = draw_code();
    let expires_at = now + code_valid();
    // Kept before it is sent: a code that reaches a phone can always be tried, and counts.
    if let CodeKept::Refused(refusal) = platform.store.keep_code(&mobile, address, &code, now, expires_at).await? {
        return Err(AppError::TooManyAttempts { retry_after_secs: refusal.retry_after() });
    }
    platform.texter().send(&mobile, &code_text(&code)).await.map_err(|why| {
        tracing::warn!(error = %why, "a sign-in code was not taken by the SMS provider");
        AppError::Unavailable("验证码短信未能发出，请稍后再试 / the text could not be sent; try again later".into())
    })?;
    Ok(CodeSent { phone_masked: mask_phone(mobile.as_str()), expires_at })
}

fn draw_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_DIGITS).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// A session opened: its token (shown once, to the device) and until when it lasts.
#[derive(Debug, Clone)]
pub struct ResidentSession {
    pub token: String,
    pub resident: Resident,
    pub expires_at: DateTime<Utc>,
}

/// Signs in with the code texted to `phone`.
pub async fn sign_in(platform: &Platform, phone: &str, code: &str) -> Result<ResidentSession> {
    let mobile = Mobile::parse(phone)?;
    let code = code.trim();
    check_code_form(code)?;
    let now = Utc::now();
    let token = new_token();
    let expires_at = now + session_valid();
    match platform.store.sign_in_resident(&mobile, code, &digest(&token), now, expires_at).await? {
        SignIn::SignedIn(resident) => Ok(ResidentSession { token, resident, expires_at }),
        SignIn::Refused(why) => {
            let (zh, en) = why.reason();
            Err(AppError::invalid("code", zh, en))
        }
    }
}

/// The resident of a session token, if it is live.
pub async fn resident_of(platform: &Platform, token: &str) -> Result<Option<Resident>> {
    Ok(platform.store.resident_session(&digest(token), Utc::now()).await?)
}

pub async fn sign_out(platform: &Platform, token: &str) -> Result<()> {
    Ok(platform.store.end_resident_session(&digest(token)).await?)
}

/// What a resident sees of their own: their reports (the cases reported from their number).
#[derive(Debug, Clone)]
pub struct MyPage {
    pub resident: Resident,
    pub reports: Vec<MyReport>,
}

/// A report of the resident's, with the signed token of its tracking page (`/track?t=…`), as a
/// text message's link: their own case opens without its query code.
#[derive(Debug, Clone)]
pub struct MyReport {
    pub report: ResidentReport,
    pub link_token: String,
}

/// Reports listed on a resident's page.
const LISTED: i64 = 100;

pub async fn my_page(platform: &Platform, resident: Resident) -> Result<MyPage> {
    let reports = platform.store.resident_reports(resident.id, LISTED).await?;
    let expires = Utc::now() + chrono::Duration::days(grassroots_domain::notices::LINK_VALID_DAYS);
    let reports = reports
        .into_iter()
        .map(|report| MyReport { link_token: platform.store.resident_link_token(&report.tracking_no, expires), report })
        .collect();
    Ok(MyPage { resident, reports })
}

/// Closes the resident's account at their asking (注销): signed out everywhere, their number
/// forgotten with it. What they reported stays as cases.
pub async fn close_account(platform: &Platform, resident: &Resident) -> Result<()> {
    Ok(platform.store.close_resident_account(&Actor::Resident, resident.id, None, Utc::now()).await?)
}
