//! What counts as text in a field: a value trimmed of whitespace and of the invisible
//! formatting characters (zero-width spaces and joiners, direction marks, the byte-order mark,
//! soft hyphens) that would otherwise let a field of nothing visible pass as filled in.

/// Characters that take no space and show nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
        || c.is_control()
}

/// The value without leading and trailing whitespace or invisible characters: empty when
/// nothing visible was typed.
pub fn trimmed(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() || is_invisible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_visible_is_empty() {
        for blank in ["", "   ", "\u{200B}\u{200B}", "\u{FEFF}", " \u{200D}\u{2060} ", "\u{3000}", "\u{3164}"] {
            assert_eq!(trimmed(blank), "", "{blank:?}");
        }
        assert_eq!(trimmed("\u{200B} 路灯不亮 \u{FEFF}"), "路灯不亮");
        assert_eq!(trimmed("a\u{200B}b"), "a\u{200B}b", "only the ends are trimmed");
    }
}
