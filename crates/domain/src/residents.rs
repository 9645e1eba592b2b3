//! Residents' accounts (居民账号): a resident signs in with a mainland mobile and a one-time code
//! texted to it. Here are the rules: which numbers may sign in, how often a code may be sent to
//! a number and from an address, what the text says, and what a code tried comes to. The store
//! keeps the counts and the digests.

use chrono::{DateTime, Duration, Utc};

use crate::personal::{is_mobile, normalize_phone};
use crate::FieldError;

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;
/// Wrong tries a code takes before it is spent.
pub const MAX_TRIES: i64 = 5;

/// How long a code may be used after it was sent.
pub fn code_valid() -> Duration {
    Duration::minutes(5)
}

/// How long a resident stays signed in on a device.
pub fn session_valid() -> Duration {
    Duration::days(30)
}

/// A resident's mobile, normalised (11 digits, 1[3-9]…): only a mobile can receive a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let refused =
            || FieldError::new("phone", "请填写大陆手机号（11位）", "must be a mainland mobile number (11 digits)");
        let number = normalize_phone(raw).map_err(|_| refused())?;
        if is_mobile(&number) {
            Ok(Self(number))
        } else {
            Err(refused())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `code` has the form of a code sent (six digits), checked before anything is read.
pub fn check_code_form(code: &str) -> Result<(), FieldError> {
    if code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FieldError::new("code", "验证码为6位数字", "must be the 6 digits of the code texted"))
    }
}

/// How often codes may be sent: one a minute to a number, five an hour and ten a day; twenty an
/// hour from an address (an office of many residents stays served, a script does not).
const GAP: i64 = 60;
const PER_NUMBER_HOUR: usize = 5;
const PER_NUMBER_DAY: usize = 10;
const PER_ADDRESS_HOUR: usize = 20;

/// The codes sent lately: to the number within the last day, from the address within the last
/// hour (see [`counted_since`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentSends {
    pub to_number: Vec<DateTime<Utc>>,
    pub from_address: Vec<DateTime<Utc>>,
}

/// From when the store counts a number's sends and an address's.
pub fn counted_since(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - Duration::days(1), now - Duration::hours(1))
}

/// Why no code is sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// A code went to this number less than a minute ago, or five within the hour.
    Wait { seconds: i64 },
    /// Ten codes went to this number within a day.
    NumberToday { seconds: i64 },
    /// Twenty codes were asked from this address within the hour.
    Address { seconds: i64 },
}

impl CodeRefusal {
    /// Seconds until asking again may succeed.
    pub fn retry_after(self) -> u64 {
        match self {
            Self::Wait { seconds } | Self::NumberToday { seconds } | Self::Address { seconds } => {
                seconds.max(1).unsigned_abs()
            }
        }
    }
}

/// Whether a code may be sent now, given the sends counted since [`counted_since`].
pub fn may_send(recent: &RecentSends, now: DateTime<Utc>) -> Result<(), CodeRefusal> {
    let newest_first = |times: &[DateTime<Utc>]| {
        let mut times = times.to_vec();
        times.sort_unstable_by(|a, b| b.cmp(a));
        times
    };
    let (to_number, from_address) = (newest_first(&recent.to_number), newest_first(&recent.from_address));
    let number_waits = wait_for(&to_number, Duration::seconds(GAP), 1, now)
        .or_else(|| wait_for(&to_number, Duration::hours(1), PER_NUMBER_HOUR, now));
    if let Some(seconds) = number_waits {
        return Err(CodeRefusal::Wait { seconds });
    }
    if let Some(seconds) = wait_for(&to_number, Duration::days(1), PER_NUMBER_DAY, now) {
        return Err(CodeRefusal::NumberToday { seconds });
    }
    if let Some(seconds) = wait_for(&from_address, Duration::hours(1), PER_ADDRESS_HOUR, now) {
        return Err(CodeRefusal::Address { seconds });
    }
    Ok(())
}

/// When `limit` of the sends (newest first) fall within `window` of `now`: the seconds until
/// the oldest of them leaves it.
fn wait_for(newest_first: &[DateTime<Utc>], window: Duration, limit: usize, now: DateTime<Utc>) -> Option<i64> {
    let within: Vec<&DateTime<Utc>> = newest_first.iter().filter(|&&at| now - at < window).collect();
    within.get(limit - 1).map(|&&oldest| (oldest + window - now).num_seconds() + 1)
}

/// The text that carries a code.
pub fn code_text(code: &str) -> String {
    format!(
        "【基层治理】您的登录验证码为{code}，{}分钟内有效，请勿告诉他人。Your sign-in code is {code}; it is valid for {} minutes. Do not share it.",
        code_valid().num_minutes(),
        code_valid().num_minutes()
    )
}

/// A number's newest code as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptCode {
    pub expires_at: DateTime<Utc>,
    pub tries: i64,
    pub used: bool,
}

/// Why a code tried did not sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTry {
    Wrong {
        tries_left: i64,
    },
    /// Tried wrongly too often: a new code must be asked for.
    Spent,
    Expired,
    /// No code was sent to this number, or the last was used already.
    NoneSent,
}

impl CodeTry {
    pub fn reason(self) -> (String, String) {
        match self {
            Self::Wrong { tries_left } => {
                (format!("验证码不正确，还可尝试{tries_left}次"), format!("the code is wrong; {tries_left} tries left"))
            }
            Self::Spent => ("验证码错误次数过多，请重新获取".into(), "too many wrong tries; ask for a new code".into()),
            Self::Expired => ("验证码已过期，请重新获取".into(), "the code has expired; ask for a new code".into()),
            Self::NoneSent => ("请先获取验证码".into(), "ask for a code first".into()),
        }
    }
}

/// Whether the newest code may still be tried, before it is compared: `None` when it may.
pub fn untriable(kept: Option<KeptCode>, now: DateTime<Utc>) -> Option<CodeTry> {
    match kept {
        None => Some(CodeTry::NoneSent),
        Some(code) if code.used => Some(CodeTry::NoneSent),
        Some(code) if code.expires_at <= now => Some(CodeTry::Expired),
        Some(code) if code.tries >= MAX_TRIES => Some(CodeTry::Spent),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::seconds(seconds_ago)
    }

    #[test]
    fn only_mainland_mobiles_sign_in() {
        assert_eq!(Mobile::parse("+86 138-0013-8000").unwrap().as_str(), "13800138000");
        for bad in ["010-6512-3456", "12800138000", "1380013800", "abc", ""] {
            assert_eq!(Mobile::parse(bad).unwrap_err().field, "phone", "{bad}");
        }
    }

    #[test]
    fn codes_have_six_digits() {
        assert!(check_code_form("012345").is_ok());
        for bad in ["12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(check_code_form(bad).unwrap_err().field, "code", "{bad}");
        }
    }

    #[test]
    fn a_number_waits_a_minute_between_codes_and_has_five_an_hour_ten_a_day() {
        let now = Utc::now();
        let sends =
            |ago: &[i64]| RecentSends { to_number: ago.iter().map(|&s| at(s, now)).collect(), ..Default::default() };
        assert_eq!(may_send(&sends(&[]), now), Ok(()));
        assert_eq!(may_send(&sends(&[20]), now), Err(CodeRefusal::Wait { seconds: 41 }));
        assert_eq!(may_send(&sends(&[61]), now), Ok(()));
        // Five within the hour: the next waits until the oldest of them is an hour old.
        assert_eq!(may_send(&sends(&[100, 200, 300, 400, 3000]), now), Err(CodeRefusal::Wait { seconds: 601 }));
        assert_eq!(may_send(&sends(&[100, 200, 300, 400, 3700]), now), Ok(()));
        let day: Vec<i64> = (0..10).map(|i| 4000 + i * 3600).collect();
        assert!(matches!(may_send(&sends(&day), now), Err(CodeRefusal::NumberToday { .. })));
        assert_eq!(may_send(&sends(&day[..9]), now), Ok(()));
    }

    #[test]
    fn an_address_asks_twenty_codes_an_hour() {
        let now = Utc::now();
        let from =
            |n: i64| RecentSends { from_address: (0..n).map(|i| at(100 + i, now)).collect(), ..Default::default() };
        assert_eq!(may_send(&from(19), now), Ok(()));
        let refused = may_send(&from(20), now).unwrap_err();
        assert!(matches!(refused, CodeRefusal::Address { .. }));
        assert_eq!(refused.retry_after(), 3600 - 119 + 1);
    }

    #[test]
    fn a_code_is_tried_while_fresh_unused_and_not_spent() {
        let now = Utc::now();
        let code = KeptCode { expires_at: now + Duration::minutes(1), tries: 0, used: false };
        assert_eq!(untriable(Some(code), now), None);
        assert_eq!(untriable(None, now), Some(CodeTry::NoneSent));
        assert_eq!(untriable(Some(KeptCode { used: true, ..code }), now), Some(CodeTry::NoneSent));
        assert_eq!(untriable(Some(KeptCode { expires_at: now, ..code }), now), Some(CodeTry::Expired));
        assert_eq!(untriable(Some(KeptCode { tries: MAX_TRIES, ..code }), now), Some(CodeTry::Spent));
        assert_eq!(untriable(Some(KeptCode { tries: MAX_TRIES - 1, ..code }), now), None);
    }

    #[test]
    fn the_text_carries_the_code_and_its_lifetime() {
        let text = code_text("042917");
        assert!(text.contains("042917") && text.contains("5分钟") && text.contains("5 minutes"));
    }
}
