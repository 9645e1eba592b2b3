//! Personal information rights (个人信息保护法): personal data kept no longer than each
//! category's retention period, and a resident's requests to see, correct or delete theirs,
//! carried out across every case with their phone number.

use chrono::{Duration, Utc};
use grassroots_domain::care::{KEPT_AFTER_CARE_DAYS, KEPT_UNFLAGGED_DAYS};
use grassroots_domain::personal::{normalize_phone, validate_name};
use grassroots_domain::residents::Mobile;
use grassroots_domain::Capability;
use grassroots_store::{RevealedPersonalData, User};
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// What the privacy job did on one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Housekeeping {
    /// Older cases whose phone number was tagged so that a request finds them.
    pub tagged: usize,
    /// Cases whose personal data was erased after its retention period.
    pub erased: usize,
    /// Residents' sign-in codes past the day they are counted in.
    pub codes_forgotten: u64,
    /// People no longer in care (or never flagged) whose sealed data was erased.
    pub care_erased: u64,
}

/// Tags the phone numbers of cases written before tags existed, forgets residents' sign-in
/// codes past their day and the sealed data of people out of care for a year (or recorded a
/// month ago and never flagged with consent), then erases, a batch at a time, the personal data of every case
/// finished longer ago than its category's retention period.
pub async fn housekeeping(platform: &Platform) -> Result<Housekeeping> {
    let mut done = Housekeeping::default();
    let (codes_counted_from, _) = grassroots_domain::residents::counted_since(Utc::now());
    done.codes_forgotten = platform.store.forget_codes_before(codes_counted_from).await?;
    let now = Utc::now();
    done.care_erased = platform
        .store
        .erase_lapsed_care(now - Duration::days(KEPT_AFTER_CARE_DAYS), now - Duration::days(KEPT_UNFLAGGED_DAYS), now)
        .await?;
    loop {
        match platform.store.tag_phones(1000).await? {
            0 => break,
            n => done.tagged += n,
        }
    }
    loop {
        match platform.store.erase_expired(Utc::now(), 200).await? {
            0 => return Ok(done),
            n => done.erased += n,
        }
    }
}

/// What a resident asks of their personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRequestKind {
    /// 查阅: what the platform holds of them.
    See,
    /// 更正: their name and/or phone number as they should be.
    Correct { name: Option<String>, phone: Option<String> },
    /// 删除: their personal data erased (the cases' facts stay).
    Delete,
}

/// A resident's request, as the staff member who verified their identity records it.
#[derive(Debug, Clone)]
pub struct SubjectRequest {
    /// The phone number the resident reported with.
    pub phone: String,
    pub kind: SubjectRequestKind,
    /// How the request and the resident's identity were verified (outside the platform).
    pub reference: String,
}

/// A case the request was carried out on.
#[derive(Debug, Clone)]
pub struct SubjectCase {
    pub id: Uuid,
    pub tracking_no: String,
    /// What the platform holds of the resident in it (for `See`).
    pub personal: Option<RevealedPersonalData>,
}

/// What a request reached: the cases, and whether a resident account of the number was closed
/// (a request to erase closes it).
#[derive(Debug, Clone)]
pub struct SubjectOutcome {
    pub cases: Vec<SubjectCase>,
    pub account_closed: bool,
}

/// Carries the request out across every case with the phone number, each audited with the
/// reference; a request to erase also closes the number's resident account. Administrators
/// only.
#[tracing::instrument(skip_all, fields(by = %by.username))]
pub async fn subject_request(platform: &Platform, by: &User, request: SubjectRequest) -> Result<SubjectOutcome> {
    if !by.role.may(Capability::Administer) {
        return Err(AppError::lacks(Capability::Administer));
    }
    let phone = normalize_phone(&request.phone).map_err(|e| AppError::invalid("phone", e.reason_zh, e.reason_en))?;
    let reference = crate::fields::short_text("reference", &request.reference, 200)?;
    let correction = match &request.kind {
        SubjectRequestKind::Correct { name, phone: new_phone } => {
            let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
            let name = given(name)
                .map(|n| validate_name(&n))
                .transpose()
                .map_err(|e| AppError::invalid("name", e.reason_zh, e.reason_en))?;
            let new_phone = given(new_phone)
                .map(|p| normalize_phone(&p))
                .transpose()
                .map_err(|e| AppError::invalid("new_phone", e.reason_zh, e.reason_en))?;
            if name.is_none() && new_phone.is_none() {
                return Err(AppError::invalid("name", "请填写更正后的姓名或电话", "give the corrected name or phone"));
            }
            Some((name, new_phone))
        }
        SubjectRequestKind::See | SubjectRequestKind::Delete => None,
    };
    let (actor, now) = (by.actor(), Utc::now());
    let mut done = Vec::new();
    for id in platform.store.cases_of_phone(&phone).await? {
        let Some(record) = platform.store.case_record(id).await? else { continue };
        let personal = match (&request.kind, &correction) {
            (SubjectRequestKind::See, _) => {
                let reason = format!("个人信息查阅请求 / subject access request: {reference}");
                Some(platform.store.reveal(&actor, id, &reason, now).await?)
            }
            (SubjectRequestKind::Correct { .. }, Some((name, new_phone))) => {
                platform
                    .store
                    .correct_reporter(&actor, id, name.as_deref(), new_phone.as_deref(), &reference, now)
                    .await?;
                None
            }
            (SubjectRequestKind::Delete, _) => {
                platform.store.erase_at_request(&actor, id, &reference, now).await?;
                None
            }
            (SubjectRequestKind::Correct { .. }, None) => None,
        };
        done.push(SubjectCase { id, tracking_no: record.tracking_no, personal });
    }
    // Only a mainland mobile signs in: another number has no account.
    let account = match (&request.kind, Mobile::parse(&phone)) {
        (SubjectRequestKind::Delete, Ok(mobile)) => platform.store.resident_by_phone(&mobile).await?,
        _ => None,
    };
    if let Some(resident) = &account {
        // Closed by the resident a moment ago is closed all the same.
        match platform.store.close_resident_account(&actor, resident.id, Some(&reference), now).await {
            Ok(()) | Err(grassroots_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(SubjectOutcome { cases: done, account_closed: account.is_some() })
}
