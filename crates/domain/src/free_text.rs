//! Personal data that people type into free text ("请联系我 13922223333 王先生"): mainland
//! mobile and landline numbers, 18-digit identity numbers (with a valid check digit), bank
//! card numbers (passing Luhn's check) and e-mail addresses, found and masked the way a
//! reporter's own fields are. The store keeps the masked text where everyone reads, and the
//! original sealed, for a reveal with a reason.

use std::ops::Range;

use crate::personal::mask_phone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalKind {
    Mobile,
    Landline,
    IdNumber,
    BankCard,
    Email,
}

/// Personal data found in a text: its kind and where it is (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: PersonalKind,
    pub at: Range<usize>,
}

/// A run of digits in a number as people write it: `139 2222 3333`, `010-6400 1234`.
#[derive(Debug, Clone)]
struct Group {
    digits: String,
    at: Range<usize>,
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{2010}'..='\u{2015}' | '\u{3000}')
}

/// Every piece of personal data in `text`, in order, not overlapping.
pub fn find(text: &str) -> Vec<Found> {
    let mut found = find_numbers(text);
    found.extend(find_emails(text));
    found.sort_by_key(|f| f.at.start);
    found.dedup_by(|later, earlier| later.at.start < earlier.at.end);
    found
}

/// The text with every piece of personal data masked; `None` when there is none.
pub fn mask(text: &str) -> Option<String> {
    let found = find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for f in found {
        out.push_str(&text[from..f.at.start]);
        out.push_str(&masked(f.kind, &text[f.at.clone()]));
        from = f.at.end;
    }
    out.push_str(&text[from..]);
    Some(out)
}

fn masked(kind: PersonalKind, raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    match kind {
        PersonalKind::Mobile | PersonalKind::Landline => {
            let national = if digits.len() == 13 && digits.starts_with("86") { &digits[2..] } else { &digits };
            mask_phone(national)
        }
        PersonalKind::IdNumber => format!("{}********{}", &digits[..6], &digits[14..]),
        PersonalKind::BankCard => format!("{}{}", "*".repeat(digits.len() - 4), &digits[digits.len() - 4..]),
        PersonalKind::Email => match raw.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".to_string(),
        },
    }
}

/// Runs of digits (separated by single spaces or dashes, an identity number's final X
/// included), each not glued to a Latin letter or another digit, cut into the longest pieces
/// that read as personal numbers.
fn find_numbers(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let glued = i > 0 && chars[i - 1].1.is_ascii_alphanumeric();
        if !c.is_ascii_digit() || glued {
            i += 1;
            continue;
        }
        // One token: groups of digits with one separator between them.
        let mut groups = vec![Group { digits: String::new(), at: start..start }];
        let mut j = i;
        while j < chars.len() {
            let (at, c) = chars[j];
            let group = groups.last_mut().expect("a group");
            if c.is_ascii_digit() || (matches!(c, 'X' | 'x') && group.digits.len() >= 3) {
                group.digits.push(c.to_ascii_uppercase());
                group.at.end = at + c.len_utf8();
                j += 1;
                if matches!(c, 'X' | 'x') {
                    break;
                }
            } else if is_separator(c) && chars.get(j + 1).is_some_and(|(_, n)| n.is_ascii_digit()) {
                groups.push(Group { digits: String::new(), at: chars[j + 1].0..chars[j + 1].0 });
                j += 1;
            } else {
                break;
            }
        }
        let glued_after = chars.get(j).is_some_and(|(_, n)| n.is_ascii_alphanumeric());
        if !glued_after {
            found.extend(pieces(&groups));
        }
        i = j.max(i + 1);
    }
    found
}

/// The longest spans of consecutive groups that read as personal numbers, left to right.
fn pieces(groups: &[Group]) -> Vec<Found> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        let hit = (i..groups.len()).rev().find_map(|j| classify(&groups[i..=j]).map(|kind| (j, kind)));
        match hit {
            Some((j, kind)) => {
                found.push(Found { kind, at: groups[i].at.start..groups[j].at.end });
                i = j + 1;
            }
            None => i += 1,
        }
    }
    found
}

fn classify(span: &[Group]) -> Option<PersonalKind> {
    let lens: Vec<usize> = span.iter().map(|g| g.digits.len()).collect();
    let digits: String = span.iter().map(|g| g.digits.as_str()).collect();
    let whole = span.len() == 1;
    let national = if digits.len() == 13 && digits.starts_with("86") && (whole || lens[0] == 2) {
        &digits[2..]
    } else {
        digits.as_str()
    };
    let b = national.as_bytes();
    let numeric = national.bytes().all(|c| c.is_ascii_digit());
    if digits.len() == 18 && (whole || lens == [6, 8, 4]) && id_number_valid(&digits) {
        return Some(PersonalKind::IdNumber);
    }
    let mobile_layout = whole || matches!(lens.as_slice(), [3, 4, 4] | [3, 8] | [2, 3, 4, 4] | [2, 11]);
    if numeric && b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && mobile_layout {
        return Some(PersonalKind::Mobile);
    }
    let landline_layout = whole || (span.len() == 2 && (3..=4).contains(&lens[0]) && (7..=8).contains(&lens[1]));
    if numeric && b[0] == b'0' && b.get(1) != Some(&b'0') && (10..=12).contains(&b.len()) && landline_layout {
        return Some(PersonalKind::Landline);
    }
    let card_layout = whole || (lens[..lens.len() - 1].iter().all(|l| *l == 4) && span.len() >= 4);
    if numeric && (16..=19).contains(&digits.len()) && card_layout && luhn_valid(&digits) {
        return Some(PersonalKind::BankCard);
    }
    None
}

/// GB 11643: weights 2^(17-i) mod 11 over the first 17 digits, the check character from the
/// sum mod 11; and a birth date that can be one.
fn id_number_valid(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let number = |r: Range<usize>| id[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    CHECK[(sum % 11) as usize] == b[17]
        && (1900..=2100).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
}

fn luhn_valid(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Addresses `local@domain.tld` (ASCII), the local part not glued to a preceding letter of it.
fn find_emails(text: &str) -> Vec<Found> {
    let local_char = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let domain_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at].char_indices().rev().take_while(|(_, c)| local_char(*c)).last().map(|(i, _)| i);
        let end = at + 1 + text[at + 1..].chars().take_while(|c| domain_char(*c)).map(char::len_utf8).sum::<usize>();
        let Some(start) = start else { continue };
        let domain = text[at + 1..end].trim_end_matches(['.', '-']);
        let end = at + 1 + domain.len();
        let tld = domain.rsplit_once('.').map(|(_, tld)| tld);
        if tld.is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic())) {
            found.push(Found { kind: PersonalKind::Email, at: start..end });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PersonalKind, &str)> {
        find(text).into_iter().map(|f| (f.kind, &text[f.at])).collect()
    }

    #[test]
    fn phones_as_people_write_them() {
        use PersonalKind::*;
        assert_eq!(kinds("请联系我 13922223333 王先生"), [(Mobile, "13922223333")]);
        assert_eq!(kinds("电话139 2222 3333谢谢"), [(Mobile, "139 2222 3333")]);
        assert_eq!(kinds("手机：+86 139-2222-3333"), [(Mobile, "86 139-2222-3333")]);
        assert_eq!(
            kinds("座机010-64001234，或0755 88889999"),
            [(Landline, "010-64001234"), (Landline, "0755 88889999")]
        );
        assert_eq!(mask("请联系我 13922223333 王先生").unwrap(), "请联系我 139****3333 王先生");
    }

    #[test]
    fn identity_numbers_need_their_check_digit_and_cards_luhn() {
        use PersonalKind::*;
        // 11010519491231002X is the standard's own example.
        assert_eq!(kinds("身份证11010519491231002X"), [(IdNumber, "11010519491231002X")]);
        assert!(kinds("编号110105194912310021").is_empty(), "a wrong check digit is not an identity number");
        assert_eq!(kinds("卡号 6222 0202 0011 2233 445"), []);
        assert_eq!(kinds("卡号 4111 1111 1111 1111"), [(BankCard, "4111 1111 1111 1111")]);
        assert_eq!(kinds("卡号6222021234567890128"), [(BankCard, "6222021234567890128")]);
        assert_eq!(mask("身份证11010519491231002X").unwrap(), "身份证110105********002X");
        assert_eq!(mask("卡号4111111111111111").unwrap(), "卡号************1111");
    }

    #[test]
    fn e_mail_addresses() {
        assert_eq!(kinds("发到 wang.er@example.com。"), [(PersonalKind::Email, "wang.er@example.com")]);
        assert_eq!(mask("发到 wang.er@example.com。").unwrap(), "发到 w***@example.com。");
        assert!(kinds("@所有人 看一下").is_empty());
    }

    #[test]
    fn ordinary_numbers_are_left_alone() {
        for text in [
            "路灯不亮，编号26120200000017的案件",
            "2026-12-02 下午3点",
            "3号楼2单元401",
            "金额 12345678901234567",
            "型号A13922223333B",
            "共 100 户",
        ] {
            assert!(find(text).is_empty(), "{text}: {:?}", kinds(text));
            assert_eq!(mask(text), None);
        }
    }

    #[test]
    fn several_in_one_text_are_all_masked() {
        let masked = mask("王先生13922223333，邮箱a@b.cn，身份证11010519491231002X").unwrap();
        assert_eq!(masked, "王先生139****3333，邮箱a***@b.cn，身份证110105********002X");
    }
}
