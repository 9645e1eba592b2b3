//! 五社联动, who helps: social organisations (with their unified social credit code), social
//! workers (with their qualification), volunteers, community self-organisations, units based in
//! the community (驻区单位) and in-service party members reporting to it (双报到), with what
//! they commit to provide each year and what they delivered; what they
//! can do and when they are free; the registration staff verify; and the order in which they
//! are suggested for a need, with the reasons shown beside each.

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::coded_enum;
use crate::personal::mask_name;
use crate::text::trimmed;
use crate::{free_text, FieldError, RegionCode, RegionLevel};

coded_enum! {
    /// The four kinds of helper of 五社联动 besides the community itself.
    HelperKind {
        Organisation = "organisation" / "社会组织" / "social organisation",
        SocialWorker = "social_worker" / "社会工作者" / "social worker",
        Volunteer = "volunteer" / "志愿者" / "volunteer",
        SelfOrganisation = "self_organisation" / "社区社会组织（自组织）" / "community self-organisation",
        ResidentUnit = "resident_unit" / "驻区单位" / "a unit based in the community",
        PartyMember = "party_member" / "在职党员（双报到）" / "an in-service party member reporting to their community",
    }
}

impl HelperKind {
    /// Whether the helper is one person, who registers on their phone and acts on it; an
    /// organisation is registered, and acted for, by staff.
    pub fn is_person(self) -> bool {
        match self {
            Self::SocialWorker | Self::Volunteer | Self::PartyMember => true,
            Self::Organisation | Self::SelfOrganisation | Self::ResidentUnit => false,
        }
    }
}

coded_enum! {
    /// What a helper can do, and what a need asks for.
    Skill {
        Companionship = "companionship" / "陪伴探访" / "company and visits",
        Meals = "meals" / "助餐送餐" / "meals and their delivery",
        Cleaning = "cleaning" / "家政保洁" / "housework and cleaning",
        Repairs = "repairs" / "水电家电维修" / "small repairs",
        Errands = "errands" / "代购代办" / "shopping and errands",
        Escort = "escort" / "陪同就医" / "escort to the doctor",
        Nursing = "nursing" / "护理康复" / "nursing and rehabilitation",
        Counselling = "counselling" / "心理疏导" / "counselling",
        Legal = "legal" / "法律咨询" / "legal advice",
        Tutoring = "tutoring" / "课业辅导" / "homework help",
        Digital = "digital" / "智能手机教学" / "help with smartphones",
        Activities = "activities" / "文体活动" / "cultural and sports activities",
        Environment = "environment" / "环境整治" / "clean-ups",
    }
}

coded_enum! {
    /// A part of the day, the unit of when a helper is free and when a need is to be met.
    DayPart {
        Morning = "morning" / "上午" / "morning",
        Afternoon = "afternoon" / "下午" / "afternoon",
        Evening = "evening" / "晚上" / "evening",
    }
}

coded_enum! {
    /// Where a registration stands: staff verify it before the helper is suggested for needs.
    HelperState {
        Pending = "pending" / "待核验" / "awaiting verification",
        Verified = "verified" / "已核验" / "verified",
        Deactivated = "deactivated" / "已停用" / "deactivated",
    }
}

coded_enum! {
    /// A social worker's qualification (社会工作者职业资格).
    Qualification {
        Assistant = "assistant" / "助理社会工作师" / "assistant social worker",
        Intermediate = "intermediate" / "社会工作师" / "social worker",
        Senior = "senior" / "高级社会工作师" / "senior social worker",
    }
}

/// The longest name of a helper.
pub const NAME_CHARS: usize = 60;
/// The longest description of what a helper offers.
pub const ABOUT_CHARS: usize = 500;

/// When a helper is free: a set of (day of the week, part of the day), 21 slots in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Availability(u32);

impl Availability {
    const SLOTS: u32 = 21;

    fn bit(day: Weekday, part: DayPart) -> u32 {
        let part = match part {
            DayPart::Morning => 0,
            DayPart::Afternoon => 1,
            DayPart::Evening => 2,
        };
        1 << (day.num_days_from_monday() * 3 + part)
    }

    /// Every part of the given days.
    pub fn of(days: &[Weekday], parts: &[DayPart]) -> Self {
        Self(days.iter().flat_map(|d| parts.iter().map(|p| Self::bit(*d, *p))).fold(0, |a, b| a | b))
    }

    pub fn covers(self, day: Weekday, part: DayPart) -> bool {
        self.0 & Self::bit(day, part) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// As the store keeps it.
    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn from_bits(bits: i64) -> Option<Self> {
        u32::try_from(bits).ok().filter(|b| *b < 1 << Self::SLOTS).map(Self)
    }

    /// The days it holds any part of (Monday first), and the parts it holds on any day.
    pub fn days_and_parts(self) -> (Vec<Weekday>, Vec<DayPart>) {
        let days = WEEK.iter().copied().filter(|d| DayPart::ALL.iter().any(|p| self.covers(*d, *p))).collect();
        let parts = DayPart::ALL.iter().copied().filter(|p| WEEK.iter().any(|d| self.covers(*d, *p))).collect();
        (days, parts)
    }
}

/// Monday to Sunday.
pub const WEEK: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

/// 周一 … 周日, Mon … Sun.
pub fn weekday_label(day: Weekday) -> (&'static str, &'static str) {
    match day {
        Weekday::Mon => ("周一", "Mon"),
        Weekday::Tue => ("周二", "Tue"),
        Weekday::Wed => ("周三", "Wed"),
        Weekday::Thu => ("周四", "Thu"),
        Weekday::Fri => ("周五", "Fri"),
        Weekday::Sat => ("周六", "Sat"),
        Weekday::Sun => ("周日", "Sun"),
    }
}

/// A day of the week from its number, 1 (Monday) to 7 (Sunday), as forms send it.
pub fn weekday_numbered(field: &'static str, raw: &str) -> Result<Weekday, FieldError> {
    match raw.trim().parse::<usize>() {
        Ok(n @ 1..=7) => Ok(WEEK[n - 1]),
        _ => {
            Err(FieldError::new(field, "星期应为1（周一）到7（周日）", "a day of the week is 1 (Monday) to 7 (Sunday)"))
        }
    }
}

/// The 18 characters a unified social credit code (统一社会信用代码, GB 32100-2015) is written
/// with, in the order that gives each its value.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Checks a unified social credit code: 18 characters of its alphabet and its check character
/// right. Lower case is accepted and made upper.
pub fn check_credit_code(raw: &str) -> Result<String, FieldError> {
    let code = trimmed(raw).to_ascii_uppercase();
    let bad = || {
        FieldError::new(
            "credit_code",
            "统一社会信用代码应为18位，且校验位正确",
            "a unified social credit code has 18 characters and a right check character",
        )
    };
    let values: Vec<u32> = code
        .bytes()
        .map(|b| CREDIT_ALPHABET.iter().position(|a| *a == b).and_then(|p| u32::try_from(p).ok()))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    if values.len() != 18 {
        return Err(bad());
    }
    let sum: u32 = values.iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        return Err(bad());
    }
    Ok(code)
}

/// Whether a checked code was given by the civil affairs authority (民政, registration
/// authority 5) to a social organisation: a 社会团体 (1), 民办非企业单位 (2), 基金会 (3) or
/// other (9).
fn is_civil_affairs(code: &str) -> bool {
    matches!(code.as_bytes().get(..2), Some([b'5', b'1' | b'2' | b'3' | b'9']))
}

/// A registration as checked: what a helper says of themselves, or staff of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub kind: HelperKind,
    pub name: String,
    /// Where the helper lives or is based: a community (people, self-organisations) or a
    /// street or community (organisations).
    pub region_code: String,
    pub skills: Vec<Skill>,
    pub availability: Availability,
    pub about: String,
    /// An organisation's unified social credit code.
    pub credit_code: Option<String>,
    pub qualification: Option<Qualification>,
    /// A social worker's certificate number.
    pub certificate_no: Option<String>,
    /// Where an in-service party member works (双报到: their unit reports them to the community
    /// they live in).
    pub affiliation: Option<String>,
}

/// What a registration form holds, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct RegistrationForm<'a> {
    pub name: &'a str,
    pub region_code: &'a str,
    pub skills: Vec<Skill>,
    pub availability: Availability,
    pub about: &'a str,
    pub credit_code: Option<&'a str>,
    pub qualification: Option<Qualification>,
    pub certificate_no: Option<&'a str>,
    pub affiliation: Option<&'a str>,
}

fn given(value: Option<&str>) -> Option<&str> {
    value.map(trimmed).filter(|v| !v.is_empty())
}

impl Registration {
    /// Checks a registration of a kind: a name; a community for people and self-organisations,
    /// a street or community for organisations; at least one skill; some time free; a social
    /// organisation's code given by the civil affairs authority; a social worker's
    /// qualification and certificate. Nothing that looks like a phone or ID number in the
    /// description, which staff and helpers read.
    pub fn check(kind: HelperKind, form: RegistrationForm<'_>) -> Result<Self, FieldError> {
        let name = trimmed(form.name);
        if name.chars().count() < 2 || name.chars().count() > NAME_CHARS || name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                format!("请填写名称或姓名（2到{NAME_CHARS}个字符）"),
                format!("give the name (2 to {NAME_CHARS} characters)"),
            ));
        }
        let region = RegionCode::parse(trimmed(form.region_code)).ok().filter(|r| match kind {
            HelperKind::Organisation | HelperKind::ResidentUnit => {
                matches!(r.level(), RegionLevel::Township | RegionLevel::Community)
            }
            HelperKind::SocialWorker
            | HelperKind::Volunteer
            | HelperKind::SelfOrganisation
            | HelperKind::PartyMember => r.level() == RegionLevel::Community,
        });
        let Some(region) = region else {
            return Err(match kind {
                HelperKind::Organisation | HelperKind::ResidentUnit => {
                    FieldError::new("region_code", "请选择服务的街道或社区", "choose the street or community served")
                }
                _ => FieldError::new("region_code", "请选择所在社区", "choose the community"),
            });
        };
        if form.skills.is_empty() {
            return Err(FieldError::new("skills", "请至少选择一项服务技能", "choose at least one skill"));
        }
        if form.availability.is_empty() {
            return Err(FieldError::new(
                "availability",
                "请选择可服务的时间（星期和时段）",
                "choose when you are free (days and parts of the day)",
            ));
        }
        let about = trimmed(form.about);
        if about.chars().count() > ABOUT_CHARS || !free_text::find(about).is_empty() {
            return Err(FieldError::new(
                "about",
                format!("简介最多{ABOUT_CHARS}个字符，不写电话或证件号"),
                format!("the description has at most {ABOUT_CHARS} characters, without phone or ID numbers"),
            ));
        }
        let credit_code = match (kind, given(form.credit_code)) {
            (HelperKind::Organisation, None) => {
                return Err(FieldError::new(
                    "credit_code",
                    "社会组织须填写统一社会信用代码",
                    "a social organisation gives its unified social credit code",
                ))
            }
            (HelperKind::Organisation, Some(raw)) => {
                let code = check_credit_code(raw)?;
                if !is_civil_affairs(&code) {
                    return Err(FieldError::new(
                        "credit_code",
                        "社会组织的统一社会信用代码应由民政部门登记（以51、52、53或59开头）",
                        "a social organisation's code is given by civil affairs (it begins 51, 52, 53 or 59)",
                    ));
                }
                Some(code)
            }
            // A community self-organisation is filed with the street (备案), often unregistered; a
            // unit based in the community may be any registered body (an agency has its own code).
            (HelperKind::SelfOrganisation | HelperKind::ResidentUnit, raw) => raw.map(check_credit_code).transpose()?,
            (HelperKind::SocialWorker | HelperKind::Volunteer | HelperKind::PartyMember, _) => None,
        };
        let (qualification, certificate_no) = match kind {
            HelperKind::SocialWorker => {
                let qualification = form.qualification.ok_or_else(|| {
                    FieldError::new("qualification", "请选择社会工作者职业资格等级", "choose the qualification")
                })?;
                let certificate = given(form.certificate_no)
                    .filter(|c| c.len() <= 40 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
                    .ok_or_else(|| {
                        FieldError::new(
                            "certificate_no",
                            "请填写职业资格证书编号（字母、数字，最多40位）",
                            "give the certificate's number (letters and digits, at most 40)",
                        )
                    })?;
                (Some(qualification), Some(certificate.to_string()))
            }
            HelperKind::Organisation
            | HelperKind::Volunteer
            | HelperKind::SelfOrganisation
            | HelperKind::ResidentUnit
            | HelperKind::PartyMember => (None, None),
        };
        let affiliation = match kind {
            HelperKind::PartyMember => Some(
                given(form.affiliation)
                    .filter(|a| a.chars().count() <= 60)
                    .ok_or_else(|| {
                        FieldError::new(
                            "affiliation",
                            "请填写工作单位（最多60个字符）",
                            "give the unit you work at (at most 60 characters)",
                        )
                    })?
                    .to_string(),
            ),
            HelperKind::Organisation
            | HelperKind::SocialWorker
            | HelperKind::Volunteer
            | HelperKind::SelfOrganisation
            | HelperKind::ResidentUnit => None,
        };
        let mut skills = form.skills;
        skills.sort();
        skills.dedup();
        Ok(Self {
            kind,
            name: name.to_string(),
            region_code: region.as_str().to_string(),
            skills,
            availability: form.availability,
            about: about.to_string(),
            credit_code,
            qualification,
            certificate_no,
            affiliation,
        })
    }

    /// The name as others read it: a person's masked (张**), an organisation's in full.
    pub fn shown_name(&self) -> String {
        match self.kind.is_person() {
            true => mask_name(&self.name),
            false => self.name.clone(),
        }
    }
}

/// What a unit or party member commits to provide in a year (双报到、驻区单位共建): "开放停车位"
/// 20 个, "义诊" 4 次.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Commitment {
    pub year: i32,
    pub what: String,
    pub unit: String,
    pub target: i64,
}

impl Commitment {
    /// Checks a commitment: for this year or the next, said in a few words, a positive target.
    pub fn check(year: &str, what: &str, unit: &str, target: &str, this_year: i32) -> Result<Self, FieldError> {
        let year =
            trimmed(year).parse::<i32>().ok().filter(|y| (this_year..=this_year + 1).contains(y)).ok_or_else(|| {
                FieldError::new(
                    "year",
                    format!("年度应为{this_year}或{}", this_year + 1),
                    format!("the year is {this_year} or the next"),
                )
            })?;
        let what = trimmed(what);
        if what.chars().count() < 2 || what.chars().count() > 100 || !free_text::find(what).is_empty() {
            return Err(FieldError::new(
                "what",
                "请写明承诺内容（2到100个字符）",
                "say what is committed (2 to 100 characters)",
            ));
        }
        let unit = trimmed(unit);
        if unit.is_empty() || unit.chars().count() > 10 {
            return Err(FieldError::new(
                "unit",
                "请填写计量单位，如次、个、小时",
                "give the unit counted, as 次, 个, 小时",
            ));
        }
        let target = trimmed(target)
            .parse::<i64>()
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| FieldError::new("target", "目标数应为正整数", "the target is a whole number above 0"))?;
        Ok(Self { year, what: what.to_string(), unit: unit.to_string(), target })
    }
}

/// Checks a delivery against a commitment: a positive amount, on a day not after today.
pub fn check_delivery(amount: &str, on: &str, today: NaiveDate) -> Result<(i64, NaiveDate), FieldError> {
    let amount = trimmed(amount)
        .parse::<i64>()
        .ok()
        .filter(|a| *a > 0)
        .ok_or_else(|| FieldError::new("amount", "完成数应为正整数", "the amount is a whole number above 0"))?;
    let on = NaiveDate::parse_from_str(trimmed(on), "%Y-%m-%d").ok().filter(|d| *d <= today).ok_or_else(|| {
        FieldError::new("on", "日期格式应为YYYY-MM-DD，且不晚于今天", "a date YYYY-MM-DD, not after today")
    })?;
    Ok((amount, on))
}

/// The reason a helper is deactivated, checked: said in a few words.
pub fn check_reason(raw: &str) -> Result<String, FieldError> {
    let reason = trimmed(raw);
    match reason.chars().count() {
        2..=200 => Ok(reason.to_string()),
        _ => Err(FieldError::new("reason", "请说明原因（2到200个字符）", "give the reason (2 to 200 characters)")),
    }
}

/// How near a helper is to a need, by the places' codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Nearness {
    SameCommunity,
    SameStreet,
    SameDistrict,
    Farther,
}

impl Nearness {
    /// Between the helper's place and the need's community (or street).
    pub fn between(helper: &str, need: &str) -> Self {
        let shared = |level: RegionLevel| {
            let digits = level.digits();
            helper.len() >= digits && need.len() >= digits && helper[..digits] == need[..digits]
        };
        if shared(RegionLevel::Community) {
            Self::SameCommunity
        } else if shared(RegionLevel::Township) {
            Self::SameStreet
        } else if shared(RegionLevel::County) {
            Self::SameDistrict
        } else {
            Self::Farther
        }
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::SameCommunity => ("同社区", "same community"),
            Self::SameStreet => ("同街道", "same street"),
            Self::SameDistrict => ("同区", "same district"),
            Self::Farther => ("区外", "another district"),
        }
    }
}

/// A helper who could meet a need, as the store finds them: verified, with the skill asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub region_code: String,
    pub availability: Availability,
    /// Kilometres between the centres of the helper's place and the need's, when both are on
    /// the map.
    pub km: Option<f64>,
    /// Needs offered to or accepted by them and not yet done.
    pub open_tasks: u32,
    /// Minutes of help confirmed so far.
    pub confirmed_minutes: i64,
}

/// Why a candidate stands where they do in the suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchReasons {
    /// Free on the need's day at the need's part of the day.
    pub free_then: bool,
    pub nearness: Nearness,
    pub km: Option<f64>,
    pub open_tasks: u32,
    pub confirmed_minutes: i64,
}

/// When and where a need is to be met, as matching reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted<'a> {
    pub region_code: &'a str,
    pub on: NaiveDate,
    pub part: DayPart,
}

/// Orders candidates for a need: those free at the time first; then the nearer by place
/// (community, street, district), then by distance; then those with fewer tasks open, so that
/// help is spread; then the more experienced (more hours confirmed); the id last, so that the
/// order is the same on every reading.
pub fn rank(wanted: &Wanted<'_>, candidates: Vec<Candidate>) -> Vec<(Candidate, MatchReasons)> {
    use chrono::Datelike;
    let day = wanted.on.weekday();
    let mut ranked: Vec<(Candidate, MatchReasons)> = candidates
        .into_iter()
        .map(|c| {
            let reasons = MatchReasons {
                free_then: c.availability.covers(day, wanted.part),
                nearness: Nearness::between(&c.region_code, wanted.region_code),
                km: c.km,
                open_tasks: c.open_tasks,
                confirmed_minutes: c.confirmed_minutes,
            };
            (c, reasons)
        })
        .collect();
    ranked.sort_by(|(a, ra), (b, rb)| {
        rb.free_then
            .cmp(&ra.free_then)
            .then(ra.nearness.cmp(&rb.nearness))
            .then(ra.km.unwrap_or(f64::INFINITY).total_cmp(&rb.km.unwrap_or(f64::INFINITY)))
            .then(ra.open_tasks.cmp(&rb.open_tasks))
            .then(rb.confirmed_minutes.cmp(&ra.confirmed_minutes))
            .then(a.id.cmp(&b.id))
    });
    ranked
}

/// Kilometres between two points (longitude, latitude) on the earth's mean sphere.
pub fn km_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_KM: f64 = 6371.0;
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_KM * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMUNITY: &str = "110101001001";

    fn form(name: &str) -> RegistrationForm<'_> {
        RegistrationForm {
            name,
            region_code: COMMUNITY,
            skills: vec![Skill::Meals, Skill::Companionship, Skill::Meals],
            availability: Availability::of(&[Weekday::Sat], &[DayPart::Morning]),
            ..RegistrationForm::default()
        }
    }

    /// Builds a code with its check character, from 17 characters.
    fn with_check(first17: &str) -> String {
        let sum: u32 = first17
            .bytes()
            .zip(CREDIT_WEIGHTS)
            .map(|(b, w)| u32::try_from(CREDIT_ALPHABET.iter().position(|a| *a == b).unwrap()).unwrap() * w)
            .sum();
        let check = CREDIT_ALPHABET[usize::try_from((31 - sum % 31) % 31).unwrap()] as char;
        format!("{first17}{check}")
    }

    #[test]
    fn credit_codes_of_real_registrations_check_and_a_changed_character_does_not() {
        // Published codes of two companies in Beijing.
        assert_eq!(check_credit_code("91110000802100433B").unwrap(), "91110000802100433B");
        assert_eq!(check_credit_code(" 91110108551385082q ").unwrap(), "91110108551385082Q");
        for bad in ["91110000802100433C", "91110000802100433", "9111000080210043IB", ""] {
            assert_eq!(check_credit_code(bad).unwrap_err().field, "credit_code", "{bad}");
        }
    }

    #[test]
    fn a_social_organisation_needs_a_code_from_civil_affairs() {
        let org = |code: Option<&str>| {
            Registration::check(
                HelperKind::Organisation,
                RegistrationForm { credit_code: code, ..form("东城区阳光社工事务所") },
            )
        };
        assert_eq!(org(None).unwrap_err().field, "credit_code");
        let company = org(Some("91110000802100433B")).unwrap_err();
        assert!(company.reason_zh.contains("民政"), "{company:?}");
        let civil = with_check("52110101MJ0000001");
        assert_eq!(org(Some(&civil)).unwrap().credit_code, Some(civil));
        // A self-organisation may have none.
        let choir = Registration::check(HelperKind::SelfOrganisation, form("史家胡同合唱队")).unwrap();
        assert_eq!(choir.credit_code, None);
    }

    #[test]
    fn people_register_in_a_community_with_skills_and_time_and_social_workers_with_a_certificate() {
        let volunteer = Registration::check(HelperKind::Volunteer, form("张三丰")).unwrap();
        assert_eq!(volunteer.skills, vec![Skill::Companionship, Skill::Meals], "sorted, once each");
        assert_eq!(volunteer.shown_name(), mask_name("张三丰"));
        let street = RegistrationForm { region_code: "110101001", ..form("张三丰") };
        assert_eq!(Registration::check(HelperKind::Volunteer, street).unwrap_err().field, "region_code");
        let idle = RegistrationForm { availability: Availability::default(), ..form("张三丰") };
        assert_eq!(Registration::check(HelperKind::Volunteer, idle).unwrap_err().field, "availability");
        let unskilled = RegistrationForm { skills: vec![], ..form("张三丰") };
        assert_eq!(Registration::check(HelperKind::Volunteer, unskilled).unwrap_err().field, "skills");
        let phone = RegistrationForm { about: "有事打13800138000", ..form("张三丰") };
        assert_eq!(Registration::check(HelperKind::Volunteer, phone).unwrap_err().field, "about");
        assert_eq!(Registration::check(HelperKind::SocialWorker, form("李四")).unwrap_err().field, "qualification");
        let no_certificate = RegistrationForm { qualification: Some(Qualification::Intermediate), ..form("李四") };
        assert_eq!(Registration::check(HelperKind::SocialWorker, no_certificate).unwrap_err().field, "certificate_no");
        let worker = Registration::check(
            HelperKind::SocialWorker,
            RegistrationForm {
                qualification: Some(Qualification::Intermediate),
                certificate_no: Some("BJ2019-0042"),
                ..form("李四")
            },
        )
        .unwrap();
        assert_eq!(worker.certificate_no.as_deref(), Some("BJ2019-0042"));
    }

    #[test]
    fn units_and_party_members_register_and_commit() {
        let unit = RegistrationForm {
            region_code: "110101001",
            credit_code: Some("91110000802100433B"),
            ..form("某银行东华门支行")
        };
        let bank = Registration::check(HelperKind::ResidentUnit, unit).unwrap();
        assert_eq!(
            bank.credit_code.as_deref(),
            Some("91110000802100433B"),
            "any registered body, not only civil affairs"
        );
        assert_eq!(bank.shown_name(), "某银行东华门支行");
        assert_eq!(Registration::check(HelperKind::PartyMember, form("王党员")).unwrap_err().field, "affiliation");
        let member = Registration::check(
            HelperKind::PartyMember,
            RegistrationForm { affiliation: Some("区教委"), ..form("王党员") },
        )
        .unwrap();
        assert_eq!((member.affiliation.as_deref(), member.shown_name()), (Some("区教委"), mask_name("王党员")));
        assert!(HelperKind::PartyMember.is_person() && !HelperKind::ResidentUnit.is_person());
        let pledged = Commitment::check("2026", "开放停车位", "个", "20", 2026).unwrap();
        assert_eq!((pledged.year, pledged.target), (2026, 20));
        assert_eq!(Commitment::check("2024", "开放停车位", "个", "20", 2026).unwrap_err().field, "year");
        assert_eq!(Commitment::check("2026", "开放停车位", "个", "0", 2026).unwrap_err().field, "target");
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(
            check_delivery("5", "2026-12-01", today).unwrap(),
            (5, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        assert_eq!(check_delivery("5", "2026-12-06", today).unwrap_err().field, "on");
        assert_eq!(check_delivery("-1", "2026-12-01", today).unwrap_err().field, "amount");
    }

    #[test]
    fn availability_holds_the_slots_of_the_days_and_parts_chosen() {
        let free = Availability::of(&[Weekday::Mon, Weekday::Sat], &[DayPart::Morning, DayPart::Evening]);
        assert!(free.covers(Weekday::Sat, DayPart::Evening) && free.covers(Weekday::Mon, DayPart::Morning));
        assert!(!free.covers(Weekday::Sat, DayPart::Afternoon) && !free.covers(Weekday::Tue, DayPart::Morning));
        assert_eq!(Availability::from_bits(free.bits()), Some(free));
        assert_eq!(Availability::from_bits(1 << 21), None);
        assert_eq!(free.days_and_parts(), (vec![Weekday::Mon, Weekday::Sat], vec![DayPart::Morning, DayPart::Evening]));
        assert_eq!(weekday_numbered("days", "7").unwrap(), Weekday::Sun);
        assert_eq!(weekday_numbered("days", "0").unwrap_err().field, "days");
    }

    #[test]
    fn suggestions_put_the_free_first_then_the_near_then_the_less_busy_then_the_experienced() {
        let saturday = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let wanted = Wanted { region_code: COMMUNITY, on: saturday, part: DayPart::Morning };
        let weekends = Availability::of(&[Weekday::Sat, Weekday::Sun], &[DayPart::Morning]);
        let weekdays = Availability::of(&[Weekday::Mon], &[DayPart::Morning]);
        let candidate = |n: u128, region: &str, availability, km, open_tasks, confirmed_minutes| Candidate {
            id: Uuid::from_u128(n),
            region_code: region.to_string(),
            availability,
            km,
            open_tasks,
            confirmed_minutes,
        };
        let ranked = rank(
            &wanted,
            vec![
                candidate(1, COMMUNITY, weekdays, Some(0.0), 0, 600),
                candidate(2, "110101002003", weekends, Some(1.5), 0, 0),
                candidate(3, "110101001002", weekends, Some(0.8), 0, 0),
                candidate(4, COMMUNITY, weekends, Some(0.0), 2, 600),
                candidate(5, COMMUNITY, weekends, Some(0.0), 0, 60),
                candidate(6, COMMUNITY, weekends, Some(0.0), 0, 600),
                candidate(7, "110105001001", weekends, None, 0, 6000),
                candidate(8, "110101001003", weekends, None, 0, 0),
            ],
        );
        let order: Vec<u128> = ranked.iter().map(|(c, _)| c.id.as_u128()).collect();
        assert_eq!(order, vec![6, 5, 4, 3, 8, 2, 7, 1]);
        assert_eq!(ranked[0].1.nearness, Nearness::SameCommunity);
        assert_eq!(ranked[3].1.nearness, Nearness::SameStreet);
        assert_eq!(ranked[6].1.nearness, Nearness::Farther);
        assert!(!ranked[7].1.free_then && ranked[0].1.free_then);
    }

    #[test]
    fn distance_between_two_places_of_dongcheng() {
        // 天安门 to 雍和宫: about 5 km as the crow flies.
        let km = km_between((116.3975, 39.9087), (116.4170, 39.9470));
        assert!((4.3..4.7).contains(&km), "{km}");
    }
}
