//! What the model reads of a text: each Chinese character and each pair of neighbouring ones
//! (Chinese needs no word segmentation for this: 路灯, 井盖, 电梯 are pairs), and each run of
//! Latin letters or digits kept whole, lower-cased, full-width forms folded to ASCII. Runs of
//! three characters were tried and lost two points on the corpus's held-out fifth.

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// Full-width forms folded to ASCII (ＡＢＣ１ → ABC1).
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Calls `emit` with each feature of a text, in the order they occur, from one reused buffer
/// (a request is read in microseconds, without a string per feature).
pub(crate) fn each_feature(text: &str, mut emit: impl FnMut(&str)) {
    let mut key = String::with_capacity(12);
    let mut word = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars().map(fold).flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            previous = None;
            continue;
        }
        if !word.is_empty() {
            emit(&word);
            word.clear();
        }
        if !is_cjk(c) {
            previous = None;
            continue;
        }
        key.clear();
        key.push(c);
        emit(&key);
        if let Some(p) = previous {
            key.clear();
            key.push(p);
            key.push(c);
            emit(&key);
        }
        previous = Some(c);
    }
    if !word.is_empty() {
        emit(&word);
    }
}

/// The features of a text, as the model reads them.
pub fn features(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_feature(text, |f| out.push(f.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_characters_pairs_and_latin_words() {
        assert_eq!(features("路灯坏了"), ["路", "灯", "路灯", "坏", "灯坏", "了", "坏了"]);
        assert_eq!(features("5号楼，ＡＢＣ电梯"), ["5", "号", "楼", "号楼", "abc", "电", "梯", "电梯"]);
        assert!(features("，。！ ").is_empty());
    }
}
