//! Checks of free-text fields shared by the use cases.

use crate::{AppError, Result};

/// A field's text, trimmed: required, at most `max` characters.
pub fn short_text(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("请填写（最多{max}个字符）"),
            format!("required, at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}
