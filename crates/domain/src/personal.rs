//! Personal data rules: validation and masking of reporters' names and phone numbers.
//! Encryption at rest lives in the store; here is only what the rules say.

use crate::FieldError;

/// Normalises a Chinese mobile (11 digits starting 1[3-9]) or landline (0 + area code +
/// 7–8 digits) number; accepts spaces, dashes and a +86 / 86 prefix.
pub fn normalize_phone(raw: &str) -> Result<String, FieldError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits).to_string();
    let digits = if digits.len() == 13 && digits.starts_with("86") { digits[2..].to_string() } else { digits };
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let b = digits.as_bytes();
    let mobile = is_mobile(&digits);
    let landline = all_digits && b[0] == b'0' && (10..=12).contains(&b.len());
    if mobile || landline {
        Ok(digits)
    } else {
        // The value is not repeated back: an answer or a log line would carry it.
        Err(FieldError::new(
            "reporter_phone",
            "不是有效的手机号（11位）或固定电话号码（含区号）",
            "not a valid mobile (11 digits) or landline number (with its area code)",
        ))
    }
}

/// Whether a normalised number is a mainland mobile, which text messages can reach.
pub fn is_mobile(normalised: &str) -> bool {
    let b = normalised.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// 张三 → 张*, 欧阳娜娜 → 欧***, Alice → A****.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// 13812345678 → 138****5678; landlines keep the first 3 and last 4 digits too.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Validates a reporter's name: 1–50 characters, no control characters.
pub fn validate_name(raw: &str) -> Result<String, FieldError> {
    let name = crate::text::trimmed(raw);
    let len = name.chars().count();
    if len == 0 || len > 50 || name.chars().any(char::is_control) {
        return Err(FieldError::new("reporter_name", "姓名应为1到50个字符", "must be 1 to 50 characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("张"), "张*");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("01064001234"), "010****1234");
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("+86 138-1234-5678").unwrap(), "13812345678");
        assert_eq!(normalize_phone("010-64001234").unwrap(), "01064001234");
        for bad in ["12345", "23812345678", "1381234567x", "", "12812345678"] {
            assert_eq!(normalize_phone(bad).unwrap_err().field, "reporter_phone", "{bad}");
        }
    }
}
