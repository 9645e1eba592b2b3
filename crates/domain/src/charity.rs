//! Charity resources (慈善资源): a community fund's ledger of donations in money or in kind and
//! of what was paid out, read by staff and, without the donors who asked not to be named, by
//! the public. Money is counted in fen; the fund never pays out more than it holds.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::{free_text, FieldError};

coded_enum! {
    /// What an entry of the ledger records.
    EntryKind {
        Donation = "donation" / "捐赠（资金）" / "a donation of money",
        GoodsDonation = "goods_donation" / "捐赠（物资）" / "a donation in kind",
        Spending = "spending" / "资金支出" / "money paid out",
        GoodsDistribution = "goods_distribution" / "物资发放" / "goods given out",
    }
}

impl EntryKind {
    /// Whether the entry moves money (and so the balance), rather than goods at their value.
    pub fn is_money(self) -> bool {
        matches!(self, Self::Donation | Self::Spending)
    }

    /// Whether the entry comes in (a donation) rather than goes out.
    pub fn is_in(self) -> bool {
        matches!(self, Self::Donation | Self::GoodsDonation)
    }
}

/// The largest single entry: ten million yuan, in fen.
pub const MOST_FEN: i64 = 1_000_000_000;
/// The longest description of an entry or name of a donor.
pub const TEXT_CHARS: usize = 200;
/// How the ledger names a donor who asked not to be named, or gave none.
pub const ANONYMOUS_DONOR: (&str, &str) = ("爱心人士", "a well-wisher");

/// An amount in yuan as people type it (`1200`, `35.5`, `0.01`), as fen: more than nothing, at
/// most `MOST_FEN`, at most two decimals.
pub fn parse_yuan(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "金额应为大于0的数，最多两位小数，单笔不超过1000万元",
            "an amount in yuan above zero, at most two decimals, at most 10 million",
        )
    };
    let raw = raw.trim();
    let (whole, cents) = match raw.split_once('.') {
        Some((whole, cents)) => (whole, Some(cents)),
        None => (raw, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let cents_fit = cents.is_none_or(|c| digits(c) && c.len() <= 2);
    if !digits(whole) || !cents_fit || whole.len() > 9 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{:0<2}", cents.unwrap_or("")).parse().map_err(|_| bad())?;
    let fen = whole * 100 + cents;
    if fen <= 0 || fen > MOST_FEN {
        return Err(bad());
    }
    Ok(fen)
}

/// Fen as yuan with two decimals: 123456 → "1234.56".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// An entry as staff record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    /// Money, or the value of the goods, in fen.
    pub fen: i64,
    /// What was given or paid for: "大米50袋", "重阳节慰问独居老人".
    pub description: String,
    /// Who gave it (donations only); `None` for a donor who gave no name.
    pub donor: Option<String>,
    /// Whether the donor agreed to be named in public.
    pub donor_public: bool,
}

fn text(field: &'static str, raw: &str, what_zh: &str, what_en: &str) -> Result<String, FieldError> {
    let t = trimmed(raw);
    if t.is_empty() || t.chars().count() > TEXT_CHARS || t.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!("请填写{what_zh}（最多{TEXT_CHARS}个字符）"),
            format!("give {what_en} (at most {TEXT_CHARS} characters)"),
        ));
    }
    // The ledger is public: no phone, ID or card numbers in it.
    if !free_text::find(t).is_empty() {
        return Err(FieldError::new(
            field,
            "账目公开，请勿填写电话、证件或卡号",
            "the ledger is public: no phone, ID or card numbers",
        ));
    }
    Ok(t.to_string())
}

impl Entry {
    /// Checks an entry: its amount, what it is for, and a donor only for donations. A
    /// spending's description says what for, never whom: those helped are not named in public.
    pub fn check(
        kind: EntryKind,
        amount: &str,
        description: &str,
        donor: Option<&str>,
        donor_public: bool,
    ) -> Result<Self, FieldError> {
        let fen = parse_yuan("amount", amount)?;
        let description = text("description", description, "用途或物品", "what it is or what it was for")?;
        let donor = match donor.map(trimmed).filter(|d| !d.is_empty()) {
            Some(_) if !kind.is_in() => {
                return Err(FieldError::new("donor", "支出不填捐赠人", "a spending has no donor"));
            }
            Some(d) => Some(text("donor", d, "捐赠人", "the donor")?),
            None => None,
        };
        Ok(Self { kind, fen, description, donor_public: donor_public && donor.is_some(), donor })
    }

    /// The donor as the public reads them.
    pub fn public_donor(&self) -> Option<&str> {
        self.donor.as_deref().filter(|_| self.donor_public)
    }
}

/// What the ledger holds: money in and out, goods in and out at their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub money_in: i64,
    pub money_out: i64,
    pub goods_in: i64,
    pub goods_out: i64,
}

impl Totals {
    /// Adds an entry.
    pub fn add(&mut self, kind: EntryKind, fen: i64) {
        match kind {
            EntryKind::Donation => self.money_in += fen,
            EntryKind::Spending => self.money_out += fen,
            EntryKind::GoodsDonation => self.goods_in += fen,
            EntryKind::GoodsDistribution => self.goods_out += fen,
        }
    }

    /// The money the fund holds.
    pub fn balance(&self) -> i64 {
        self.money_in - self.money_out
    }
}

/// Whether the fund may pay out `fen` holding `balance`: never below nothing.
pub fn may_pay(balance: i64, fen: i64) -> Result<(), FieldError> {
    if fen > balance {
        return Err(FieldError::new(
            "amount",
            format!("余额不足：现有{}元", yuan(balance)),
            format!("not enough in the fund: it holds {} yuan", yuan(balance)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_yuan_with_at_most_two_decimals() {
        assert_eq!(parse_yuan("amount", "1200").unwrap(), 120_000);
        assert_eq!(parse_yuan("amount", " 35.5 ").unwrap(), 3_550);
        assert_eq!(parse_yuan("amount", "0.01").unwrap(), 1);
        for bad in ["", "0", "0.00", "-5", "1.234", "1,000", "abc", "12.", ".5", "10000000.01", "1e3"] {
            assert_eq!(parse_yuan("amount", bad).unwrap_err().field, "amount", "{bad:?}");
        }
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-250), "-2.50");
    }

    #[test]
    fn entries_name_donors_only_for_donations_and_in_public_only_if_agreed() {
        let named = Entry::check(EntryKind::Donation, "500", "重阳节捐款", Some("东华门商会"), true).unwrap();
        assert_eq!(named.public_donor(), Some("东华门商会"));
        let quiet = Entry::check(EntryKind::Donation, "500", "捐款", Some("王先生"), false).unwrap();
        assert_eq!((quiet.public_donor(), quiet.donor.as_deref()), (None, Some("王先生")));
        let nameless = Entry::check(EntryKind::GoodsDonation, "800", "大米50袋", None, true).unwrap();
        assert!(!nameless.donor_public);
        let spent = Entry::check(EntryKind::Spending, "300", "慰问独居老人", Some("某人"), false);
        assert_eq!(spent.unwrap_err().field, "donor");
        let personal = Entry::check(EntryKind::Spending, "300", "资助 13912345678", None, false);
        assert_eq!(personal.unwrap_err().field, "description");
        assert_eq!(Entry::check(EntryKind::Spending, "300", " ", None, false).unwrap_err().field, "description");
    }

    #[test]
    fn the_balance_is_money_in_less_money_out_and_never_paid_below_nothing() {
        let mut t = Totals::default();
        t.add(EntryKind::Donation, 10_000);
        t.add(EntryKind::GoodsDonation, 50_000);
        t.add(EntryKind::Spending, 4_000);
        t.add(EntryKind::GoodsDistribution, 20_000);
        assert_eq!((t.balance(), t.goods_in - t.goods_out), (6_000, 30_000));
        assert!(may_pay(t.balance(), 6_000).is_ok());
        assert_eq!(may_pay(t.balance(), 6_001).unwrap_err().field, "amount");
    }
}
