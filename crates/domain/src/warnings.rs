//! 风险预警: what the platform warns people of before a small problem grows — a surge of
//! reports against the same weekday of the weeks before, the same caller again and again, a
//! case reopened after a resident found it unresolved, words of danger in a report (a threat
//! to life, violence, many people gathering, petitions to higher levels), and many reports of
//! one matter (a group complaint, or a copy-paste flood). Each warning
//! says why; people see it, act on it or dismiss it with a reason, and what they did is counted
//! against the rule that raised it.

use chrono::{DateTime, Duration, Utc};
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
        Group = "group" / "群体诉求" / "a group complaint: many reports of one matter",
        CareMissed = "care_missed" / "关爱对象逾期未走访" / "people in care not visited in time",
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
    /// The states of a warning still waiting for someone.
    pub const OPEN: [WarningState; 2] = [Self::New, Self::Seen];

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

/// Characters that deny what follows them closely: 没(有)、无、未、非. A bare 不 is not one: it
/// is inside danger itself (不想活, 受不了了要跳楼), and a missed threat to life costs far more
/// than a warning dismissed.
const DENIALS: [char; 4] = ['没', '无', '未', '非'];
/// How many characters before a word a denial reaches: 没有煤气味, 没闻到煤气味; not 没人管要跳楼.
const DENIAL_REACH: usize = 3;
/// Where a clause ends: a denial does not reach across it.
const CLAUSE_ENDS: [char; 10] = ['，', '。', '；', '！', '？', ',', '.', ';', '!', '?'];

/// Whether this occurrence of a word, starting at byte `at`, is denied by the few characters
/// before it in its clause.
fn denied(text: &str, at: usize) -> bool {
    text[..at].chars().rev().take(DENIAL_REACH).take_while(|c| !CLAUSE_ENDS.contains(c)).any(|c| DENIALS.contains(&c))
}

/// The danger words a text holds, each once, in the list's order; a word found only where the
/// text denies it (没有煤气味) does not count.
pub fn dangers_in<'a>(text: &str, words: &'a [DangerWord]) -> Vec<&'a DangerWord> {
    words.iter().filter(|w| text.match_indices(w.word.as_str()).any(|(at, _)| !denied(text, at))).collect()
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

/// Reports within 24 hours that make a cluster, for measuring how early surges are warned of.
pub const CLUSTER: usize = 10;

/// A cluster of one place and category: when its reports first reached [`CLUSTER`] within 24
/// hours, and when the surge rule would first have warned of it (within the 48 hours before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    pub reached_at: DateTime<Utc>,
    pub warned_at: Option<DateTime<Utc>>,
}

/// What replaying the surge rule over one place and category's history found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    pub episodes: Vec<Episode>,
    /// Days the rule warned with no cluster in the 48 hours after: false alarms.
    pub false_alarms: usize,
}

/// Replays the surge rule at each report of one place and category (receipt times, sorted)
/// against the same 24 hours of the four weeks before, as the scan would see it, and finds the
/// clusters: the moments their reports first reach [`CLUSTER`] within 24 hours, 48 hours
/// apart at least.
pub fn replay(times: &[DateTime<Utc>]) -> Replay {
    let day = Duration::hours(24);
    let within = |from: DateTime<Utc>, to: DateTime<Utc>| {
        times.partition_point(|t| *t <= to) - times.partition_point(|t| *t <= from)
    };
    let mut surges: Vec<DateTime<Utc>> = Vec::new();
    let mut reached: Vec<DateTime<Utc>> = Vec::new();
    for &t in times {
        let count = within(t - day, t);
        let before: Vec<u32> =
            (1..=4).map(|k| within(t - day - Duration::weeks(k), t - Duration::weeks(k)) as u32).collect();
        if surge(count as u32, &before).is_some() && surges.last().is_none_or(|s| t - *s >= day) {
            surges.push(t);
        }
        if count >= CLUSTER && reached.last().is_none_or(|r| t - *r >= day * 2) {
            reached.push(t);
        }
    }
    let episodes = reached
        .iter()
        .map(|&r| Episode { reached_at: r, warned_at: surges.iter().copied().find(|s| *s <= r && r - *s <= day * 2) })
        .collect();
    let false_alarms = surges.iter().filter(|s| !reached.iter().any(|r| *r >= **s && *r - **s <= day * 2)).count();
    Replay { episodes, false_alarms }
}

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
    fn a_word_the_text_denies_does_not_count() {
        let words = default_danger_words();
        let found = |text: &str| dangers_in(text, &words).iter().map(|w| w.word.clone()).collect::<Vec<_>>();
        assert!(found("检查过了，没有煤气味").is_empty());
        assert!(found("没闻到煤气味，但是燃气表一直在走").is_empty());
        assert!(found("并无燃气泄漏，只是灶台打不着火").is_empty());
        // Denied once and stated again, it counts.
        assert_eq!(found("刚才没有煤气味，现在又有煤气味了"), ["煤气味"]);
        // A denial does not reach across a clause, nor from further away.
        assert_eq!(found("没人管，他说要跳楼"), ["跳楼"]);
        assert_eq!(found("没人管要跳楼"), ["跳楼"]);
        // 不 is part of danger itself.
        assert_eq!(found("实在受不了了要跳楼"), ["跳楼"]);
        assert_eq!(found("他说不想活了"), ["不想活"]);
    }

    #[test]
    fn a_cluster_is_warned_of_before_it_reaches_ten_reports() {
        let start = DateTime::parse_from_rfc3339("2026-10-01T08:00:00Z").unwrap().with_timezone(&Utc);
        // A quiet month (one report a week), then a burst of one report every two hours.
        let mut times: Vec<DateTime<Utc>> = (0..5).map(|w| start + Duration::weeks(w)).collect();
        let burst = start + Duration::weeks(5);
        times.extend((0..14).map(|k| burst + Duration::hours(2 * k)));
        let found = replay(&times);
        assert_eq!(found.episodes.len(), 1, "{found:?}");
        let episode = found.episodes[0];
        assert_eq!(episode.reached_at, burst + Duration::hours(18), "the tenth report of the burst");
        assert_eq!(episode.warned_at, Some(burst + Duration::hours(8)), "the fifth: five against a quiet baseline");
        assert_eq!(found.false_alarms, 0);
        // The same reports every week: no surge, and the clusters come unwarned.
        let steady: Vec<DateTime<Utc>> =
            (0..6).flat_map(|w| (0..12).map(move |k| start + Duration::weeks(w) + Duration::hours(k))).collect();
        let found = replay(&steady);
        assert!(found.episodes.iter().skip(4).all(|e| e.warned_at.is_none()), "{found:?}");
    }

    #[test]
    fn a_danger_word_is_checked() {
        assert!(DangerWord::new(" 持械 ", DangerKind::Violence).is_ok());
        assert_eq!(DangerWord::new("打", DangerKind::Violence).unwrap_err().field, "word");
        assert_eq!(DangerWord::new("打 人", DangerKind::Violence).unwrap_err().field, "word");
    }
}
