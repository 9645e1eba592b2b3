//! 风险预警: what the platform warns people of before a small problem grows — a surge of
//! reports against the same weekday of the weeks before, the same caller again and again, a
//! case reopened after a resident found it unresolved, and words of danger in a report (a
//! threat to life, violence, many people gathering, petitions to higher levels). Each warning
//! says why; people see it, act on it or dismiss it with a reason, and what they did is counted
//! against the rule that raised it.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::FieldError;

coded_enum! {
    /// What a warning is about.
    WarningKind {
        Surge = "surge" / "诉求激增" / "surge",
        Danger = "danger" / "危险信号" / "danger in the words",
        RepeatedCaller = "repeated_caller" / "同一人反复反映" / "the same caller again and again",
        Reopened = "reopened" / "评价未解决后重办" / "reopened after a bad evaluation",
    }
}

coded_enum! {
    /// Where a warning is in people's hands.
    WarningState {
        New = "new" / "新预警" / "new",
        Seen = "seen" / "已查看" / "seen",
        Acted = "acted" / "已处置" / "acted on",
        Dismissed = "dismissed" / "已排除" / "dismissed",
    }
}

impl WarningState {
    /// Still waiting for someone to act or dismiss it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Seen)
    }
}

coded_enum! {
    /// The kind of danger a word signals.
    DangerKind {
        Life = "life" / "人身安全" / "a threat to life",
        Violence = "violence" / "暴力冲突" / "violence",
        Gathering = "gathering" / "人员聚集" / "many people gathering",
        Petition = "petition" / "越级上访" / "petitions to higher levels",
        Building = "building" / "建筑与燃气险情" / "danger in a building",
    }
}

/// A word that marks a report as dangerous, and what danger it signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DangerWord {
    pub word: String,
    pub kind: DangerKind,
}

impl DangerWord {
    /// Checks a word an administrator adds: 2 to 20 characters, no spaces inside.
    pub fn new(word: &str, kind: DangerKind) -> Result<Self, FieldError> {
        let word = crate::text::trimmed(word);
        if !(2..=20).contains(&word.chars().count()) || word.chars().any(char::is_whitespace) {
            return Err(FieldError::new(
                "word",
                "预警词应为2到20个字，不含空格",
                "a word is 2 to 20 characters, no spaces",
            ));
        }
        Ok(Self { word: word.to_string(), kind })
    }
}

/// The words a new platform starts with; administrators change the list.
pub fn default_danger_words() -> Vec<DangerWord> {
    use DangerKind::*;
    let words: [(&str, DangerKind); 26] = [
        ("自杀", Life),
        ("轻生", Life),
        ("跳楼", Life),
        ("不想活", Life),
        ("寻死", Life),
        ("喝药", Life),
        ("打人", Violence),
        ("持刀", Violence),
        ("砍人", Violence),
        ("报复", Violence),
        ("同归于尽", Violence),
        ("殴打", Violence),
        ("聚集", Gathering),
        ("堵路", Gathering),
        ("拉横幅", Gathering),
        ("围堵", Gathering),
        ("集体维权", Gathering),
        ("上访", Petition),
        ("进京", Petition),
        ("到市里去告", Petition),
        ("燃气泄漏", Building),
        ("煤气味", Building),
        ("天然气味", Building),
        ("外墙脱落", Building),
        ("墙皮脱落砸", Building),
        ("楼体开裂", Building),
    ];
    words.into_iter().map(|(word, kind)| DangerWord { word: word.into(), kind }).collect()
}

/// The danger words a text holds, each once, in the list's order.
pub fn dangers_in<'a>(text: &str, words: &'a [DangerWord]) -> Vec<&'a DangerWord> {
    words.iter().filter(|w| text.contains(w.word.as_str())).collect()
}

/// A count far above its baseline: the mean of the same window in the weeks before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surge {
    pub count: u32,
    pub baseline: f64,
    pub excess: f64,
}

/// The fewest reports that make a surge, however quiet the weeks before were.
pub const SURGE_FLOOR: u32 = 5;

/// Whether `count` reports in a window are a surge against `previous`, the counts of the same
/// window on the same weekday of the weeks before: at least [`SURGE_FLOOR`], at least twice the
/// baseline, and above the baseline by more than three times its spread as counts of rare
/// events have it (the square root of the baseline, at least 1).
pub fn surge(count: u32, previous: &[u32]) -> Option<Surge> {
    if previous.is_empty() {
        return None;
    }
    let baseline = previous.iter().map(|c| f64::from(*c)).sum::<f64>() / previous.len() as f64;
    let count_f = f64::from(count);
    let spread = baseline.sqrt().max(1.0);
    let surging = count >= SURGE_FLOOR && count_f >= 2.0 * baseline && count_f - baseline > 3.0 * spread;
    surging.then_some(Surge { count, baseline, excess: count_f - baseline })
}

/// Reports from one caller within the window that make them a repeated caller.
pub const REPEATED_CALLER_FROM: u32 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_surge_is_far_above_the_same_weekday_of_the_weeks_before() {
        assert_eq!(surge(12, &[2, 3, 1, 2]).map(|s| (s.baseline, s.excess)), Some((2.0, 10.0)));
        assert!(surge(4, &[0, 0, 0, 0]).is_none(), "a few reports are no surge, however quiet it was");
        assert!(surge(5, &[0, 0, 0, 0]).is_some());
        assert!(surge(30, &[20, 22, 18, 20]).is_none(), "a busy place is busy: not twice its baseline");
        assert!(surge(45, &[20, 22, 18, 20]).is_some());
        assert!(surge(9, &[]).is_none(), "no weeks before: nothing to compare with");
    }

    #[test]
    fn danger_words_are_found_in_the_text() {
        let words = default_danger_words();
        let found: Vec<&str> =
            dangers_in("楼道里有很重的煤气味，邻居说要跳楼", &words).iter().map(|w| w.word.as_str()).collect();
        assert_eq!(found, ["跳楼", "煤气味"]);
        assert!(dangers_in("路灯下有人下棋", &words).is_empty());
    }

    #[test]
    fn a_danger_word_is_checked() {
        assert!(DangerWord::new(" 持械 ", DangerKind::Violence).is_ok());
        assert_eq!(DangerWord::new("打", DangerKind::Violence).unwrap_err().field, "word");
        assert_eq!(DangerWord::new("打 人", DangerKind::Violence).unwrap_err().field, "word");
    }
}
