//! 重复件: whether a report is the same matter as another, decided on facets — the place (how
//! far apart, the same community, the same building), the time between them, the category,
//! the thing named (路灯, 井盖, 电梯 …) and the caller (同人同事) — each stated as a reason.
//! Words alone do not decide: the same words at another building, or the same place with
//! another problem, are different matters. (The texts' similarity was a signal too; fitted on
//! pairs full of such near misses it weighed nothing beyond the others, and was dropped.)

use std::collections::BTreeSet;

use aho_corasick::AhoCorasick;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::support::distance_m;

/// A report as the comparison reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report<'a> {
    pub text: &'a str,
    pub category: &'a str,
    /// (lat, lng), where the report was put on the map.
    pub point: Option<(f64, f64)>,
    pub community: Option<&'a str>,
    pub address: Option<&'a str>,
    pub received_at: DateTime<Utc>,
    /// A keyed digest of the reporter's phone, equal for equal phones.
    pub caller: Option<&'a str>,
}

/// What two reports share and where they differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facets {
    pub distance_m: Option<f64>,
    /// Both in one community; none when either is not placed in one.
    pub same_community: Option<bool>,
    pub hours_apart: f64,
    pub same_category: bool,
    pub same_top_level: bool,
    /// Things both name (路灯, 电梯 …).
    pub shared_things: Vec<&'static str>,
    /// Both name things, and none of them the same.
    pub things_differ: bool,
    /// Both name a spot of one kind (a building, a unit, a room, a gate, a side of a road) and
    /// not the same one: 3号楼 and 5号楼, 南门 and 北门.
    pub spots_differ: bool,
    /// Both name the same building, unit or room, and no spot differently.
    pub same_spot: bool,
    pub same_caller: bool,
}

/// A reason for or against, in both languages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub zh: String,
    pub en: String,
    /// Whether it speaks for the same matter.
    pub for_same: bool,
}

/// The comparison's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub same_matter: bool,
    /// Above [`SAME_MATTER_FROM`] the same matter; higher is surer (the log-odds).
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// The score above which two reports are the same matter (a log-odds of even).
pub const SAME_MATTER_FROM: f64 = 0.0;

/// Things residents name, each with the words that name it: two reports about one of them may
/// be one matter; about two different ones, not.
const THINGS: &[(&str, &[&str])] = &[
    ("路灯", &["路灯", "灯杆"]),
    ("楼道灯", &["楼道灯", "楼道里的灯", "声控灯"]),
    ("井盖", &["井盖", "窨井", "雨水箅", "箅子"]),
    ("下水道", &["下水道", "污水", "化粪池", "管道堵", "返水", "冒水"]),
    ("电梯", &["电梯", "困人", "升降梯", "直梯", "扶梯"]),
    ("供水", &["停水", "水压", "自来水", "没水", "无水", "断水", "供水", "水管", "水表"]),
    ("供电", &["停电", "跳闸", "电表", "没电", "断电", "供电"]),
    ("燃气", &["燃气", "煤气", "天然气"]),
    ("暖气", &["暖气", "供暖", "采暖", "室温"]),
    ("垃圾", &["垃圾", "清运", "垃圾桶"]),
    ("施工", &["施工", "工地", "渣土", "打桩", "装修"]),
    ("噪声", &["噪音", "噪声", "广场舞", "音响", "喇叭", "酒吧", "吵"]),
    ("停车", &["停车", "违停", "车位", "僵尸车", "占道停"]),
    ("共享单车", &["共享单车", "单车"]),
    ("油烟", &["油烟", "排烟", "烟道"]),
    ("树木", &["树", "绿化", "杨絮", "柳絮"]),
    ("工资", &["工资", "欠薪", "薪水", "工钱"]),
    ("物业费", &["物业费", "收费", "停车费"]),
    ("电动车", &["电动车", "飞线", "充电"]),
    ("外墙", &["外墙", "瓷砖", "墙皮", "空调外机", "广告牌", "高空"]),
    ("群租", &["群租", "隔断", "地下室住人"]),
    ("道路", &["路面", "坑", "地砖", "盲道", "塌陷"]),
    ("消防通道", &["消防通道", "安全出口", "灭火器", "消火栓"]),
    ("摊贩", &["摆摊", "摊贩", "占道经营", "早市"]),
    ("公交地铁", &["公交", "地铁", "站牌", "班次"]),
    ("信号灯", &["红绿灯", "信号灯"]),
];

/// Things that fail for a whole area at once: reports of them far apart can be one matter.
const AREA_WIDE: [&str; 4] = ["供水", "供电", "燃气", "暖气"];

struct Matcher {
    words: AhoCorasick,
    /// The thing each word names.
    thing_of: Vec<&'static str>,
}

fn matcher() -> &'static Matcher {
    static MATCHER: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
    MATCHER.get_or_init(|| {
        let (mut patterns, mut thing_of) = (Vec::new(), Vec::new());
        for (thing, words) in THINGS {
            for word in *words {
                patterns.push(*word);
                thing_of.push(*thing);
            }
        }
        Matcher { words: AhoCorasick::new(patterns).expect("the things' words build a matcher"), thing_of }
    })
}

/// The things a text names.
pub fn things_named(text: &str) -> BTreeSet<&'static str> {
    let m = matcher();
    m.words.find_overlapping_iter(text).map(|hit| m.thing_of[hit.pattern().as_usize()]).collect()
}

/// A Chinese numeral up to 99 (三, 十二, 二十) as a number.
fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c).map(|d| d as u32);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        ['两'] => Some(2),
        [d] => digit(*d),
        _ => None,
    }
}

/// The spots a text names, each as (kind, value): buildings ("楼", "3"), units ("单元", "2"),
/// rooms ("室", "502"), courtyards ("院", "5"), blocks (座 A), sides and gates of a place (东门,
/// 西口 as gates, 北区 as districts, 南侧 and 路东 as sides), and numbered hutongs (头条, 三条). Two reports naming the same kind of spot
/// differently are about different places, however alike their words.
pub fn spots_named(text: &str) -> BTreeSet<(&'static str, String)> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            'Ａ'..='Ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let mut found = BTreeSet::new();
    let after = |i: usize, n: usize| -> String { chars[i..chars.len().min(i + n)].iter().collect() };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A number, in digits or Chinese numerals, and the word after it.
        let start = i;
        let mut value = None;
        if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            value = Some(chars[start..i].iter().collect::<String>().trim_start_matches('0').to_string());
        } else if "一二三四五六七八九十两".contains(c) {
            while i < chars.len() && "一二三四五六七八九十两".contains(chars[i]) && i - start < 3 {
                i += 1;
            }
            value = chinese_number(&chars[start..i].iter().collect::<String>()).map(|n| n.to_string());
        } else if c.is_ascii_uppercase() && after(i + 1, 1) == "座" {
            found.insert(("座", c.to_string()));
        }
        if let Some(value) = value {
            let next = after(i, 2);
            let kind = if next.starts_with("号楼") || next.starts_with('楼') || next.starts_with('栋') {
                Some("楼")
            } else if next.starts_with("单元") {
                Some("单元")
            } else if next.starts_with("号院") {
                Some("院")
            } else if next.starts_with('室')
                || (value.len() >= 3 && chars[..start].iter().rev().take(3).any(|c| *c == '楼'))
            {
                Some("室")
            } else if next.starts_with('条') && value.len() <= 2 {
                Some("条")
            } else {
                None
            };
            if let Some(kind) = kind {
                found.insert((kind, value));
            }
            continue;
        }
        if c == '头' && after(i + 1, 1) == "条" {
            found.insert(("条", "1".to_string()));
        }
        // 东门, 西口, 北区, 南侧, 东段 …; 路东, 路西 …
        if "东西南北".contains(c) {
            let next = after(i + 1, 1);
            match next.as_str() {
                "门" | "口" => {
                    found.insert(("门口", c.to_string()));
                }
                "区" => {
                    found.insert(("区", c.to_string()));
                }
                "侧" | "段" | "头" => {
                    found.insert(("侧", c.to_string()));
                }
                _ if i > 0 && (chars[i - 1] == '路' || chars[i - 1] == '街') && next != "边" => {
                    found.insert(("侧", c.to_string()));
                }
                _ => {}
            }
        }
        i += 1;
    }
    found
}

/// Whether two sets of spots name the same kind of spot differently.
fn spots_differ(a: &BTreeSet<(&'static str, String)>, b: &BTreeSet<(&'static str, String)>) -> bool {
    let kinds: BTreeSet<&str> = a.iter().map(|(k, _)| *k).filter(|k| b.iter().any(|(j, _)| j == k)).collect();
    kinds.into_iter().any(|kind| {
        let of = |set: &BTreeSet<(&'static str, String)>| -> BTreeSet<String> {
            set.iter().filter(|(k, _)| *k == kind).map(|(_, v)| v.clone()).collect()
        };
        of(a).is_disjoint(&of(b))
    })
}

/// A report with the things and spots its words name, read once however many others it is
/// compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Read<'a> {
    pub report: Report<'a>,
    things: BTreeSet<&'static str>,
    spots: BTreeSet<(&'static str, String)>,
}

impl<'a> Read<'a> {
    pub fn of(report: Report<'a>) -> Self {
        let words = format!("{} {}", report.address.unwrap_or_default(), report.text);
        Self { things: things_named(&words), spots: spots_named(&words), report }
    }
}

/// The facets of a pair of reports.
pub fn facets(a: &Read<'_>, b: &Read<'_>) -> Facets {
    let shared_things: Vec<&'static str> = a.things.intersection(&b.things).copied().collect();
    let differ = spots_differ(&a.spots, &b.spots);
    let same_spot = a.spots.iter().any(|(k, v)| ["楼", "单元", "室"].contains(k) && b.spots.contains(&(*k, v.clone())));
    let (x, y) = (&a.report, &b.report);
    Facets {
        distance_m: x.point.zip(y.point).map(|(p, q)| distance_m(p, q)),
        same_community: x.community.zip(y.community).map(|(m, n)| m == n),
        hours_apart: (x.received_at - y.received_at).num_minutes().abs() as f64 / 60.0,
        same_category: x.category == y.category,
        same_top_level: x.category.get(..2) == y.category.get(..2),
        things_differ: !a.things.is_empty() && !b.things.is_empty() && shared_things.is_empty(),
        shared_things,
        spots_differ: differ,
        same_spot: !differ && same_spot,
        same_caller: x.caller.is_some() && x.caller == y.caller,
    }
}

/// A facet as it weighs: which of [`WEIGHTS`], how much of it, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub index: usize,
    pub value: f64,
    pub zh: String,
    pub en: String,
}

/// What each signal weighs, by index (the last is the bias): a logistic regression over the
/// signals, fitted on `data/duplicate-pairs-dev.csv` (the ignored test `fit` in
/// `tests/duplicate_pairs.rs` fits them again and prints them). A pair whose weighted sum is
/// above zero is one matter.
pub const WEIGHTS: [f64; SIGNALS] = [
    0.86, -0.27, -1.82, -3.19, 1.12, -0.06, -2.66, -0.23, -3.15, -0.90, 2.07, 1.08, -0.45, -2.54, 0.15, -1.04, 1.82,
    0.50, 1.12, -1.90,
];
/// How many signals there are, the bias included.
pub const SIGNALS: usize = 20;
const BIAS: usize = SIGNALS - 1;

/// The signals of a pair's facets.
pub fn signals(f: &Facets) -> Vec<Signal> {
    let mut out = Vec::new();
    let mut on = |index: usize, value: f64, zh: String, en: String| out.push(Signal { index, value, zh, en });
    // An outage covers an area; a caller chasing their own matter may call from anywhere.
    let wide = f.shared_things.iter().any(|t| AREA_WIDE.contains(t));
    let near = if wide { 600.0 } else { 200.0 };
    let apart = |d: f64| (format!("相距约{d:.0}米"), format!("about {d:.0} m apart"));
    match (f.distance_m, f.same_community) {
        (Some(d), _) if d <= 60.0 => {
            let (zh, en) = apart(d);
            on(0, 1.0, zh, en)
        }
        (Some(d), _) if d <= near => {
            let (zh, en) = apart(d);
            on(1, 1.0, zh, en)
        }
        (Some(d), _) if d <= 2.0 * near || f.same_caller => {
            let (zh, en) = apart(d);
            on(2, 1.0, zh, en)
        }
        (Some(d), _) => on(3, 1.0, format!("相距约{d:.0}米，不是同一地点"), format!("{d:.0} m apart: not one place")),
        (None, Some(true)) => on(4, 1.0, "同一社区（无坐标）".into(), "the same community (no point)".into()),
        (None, Some(false)) if !(f.same_caller || wide) => {
            on(5, 1.0, "不在同一社区".into(), "in different communities".into())
        }
        (None, _) => {}
    }
    if f.spots_differ {
        on(6, 1.0, "楼号、单元、门牌或方位不同".into(), "different buildings, units, doors or sides".into());
    } else if f.same_spot {
        on(7, 1.0, "同一楼号或单元".into(), "the same building or unit".into());
    }
    let (h, days) = (f.hours_apart, f.hours_apart / 24.0);
    if days > 45.0 {
        on(8, 1.0, format!("相隔{days:.0}天，可能是复发"), format!("{days:.0} days apart: a recurrence"));
    } else if days > 7.0 && !f.same_caller {
        on(9, 1.0, format!("相隔{days:.0}天"), format!("{days:.0} days apart"));
    } else if h <= 72.0 {
        on(10, 1.0, "三天之内".into(), "within three days".into());
    }
    match (f.same_category, f.same_top_level) {
        (true, _) => on(11, 1.0, "同一类别".into(), "the same category".into()),
        (false, true) => {
            on(12, 1.0, "同一大类，小类不同".into(), "the same top-level category, another sub-category".into())
        }
        (false, false) => on(13, 1.0, "类别不同".into(), "different categories".into()),
    }
    if !f.shared_things.is_empty() {
        let things = f.shared_things.join("、");
        on(14, 1.0, format!("同一对象：{things}"), format!("the same thing: {things}"));
        // Filed apart, yet about one thing: categories are chosen by people and may differ.
        if !f.same_top_level {
            on(18, 1.0, String::new(), String::new());
        }
    } else if f.things_differ {
        on(15, 1.0, "所说对象不同".into(), "different things named".into());
    }
    if f.same_caller {
        on(16, 1.0, "同一来电人（同人同事）".into(), "the same caller".into());
        if !f.same_top_level {
            on(17, 1.0, String::new(), String::new());
        }
    }
    on(BIAS, 1.0, String::new(), String::new());
    out
}

/// Whether two reports are the same matter, and why: the signals that weighed, for and
/// against (interactions and the bias, which say nothing by themselves, and signals that
/// weighed nothing are not listed).
pub fn judge(a: &Read<'_>, b: &Read<'_>) -> Verdict {
    let signals = signals(&facets(a, b));
    let score: f64 = signals.iter().map(|g| WEIGHTS[g.index] * g.value).sum();
    let mut reasons: Vec<Reason> = signals
        .into_iter()
        .filter(|g| !g.zh.is_empty() && WEIGHTS[g.index] * g.value != 0.0)
        .map(|g| Reason { for_same: WEIGHTS[g.index] * g.value > 0.0, zh: g.zh, en: g.en })
        .collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.for_same));
    Verdict { same_matter: score > SAME_MATTER_FROM, score, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn report<'a>(text: &'a str, category: &'a str, point: (f64, f64), hours: i64) -> Read<'a> {
        Read::of(Report {
            text,
            category,
            point: Some(point),
            community: Some("110101001001"),
            address: None,
            received_at: DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::hours(hours),
            caller: None,
        })
    }

    const HERE: (f64, f64) = (39.9149, 116.4109);
    /// About 500 m north.
    const THERE: (f64, f64) = (39.9194, 116.4109);

    #[test]
    fn the_same_lamp_in_other_words_is_the_same_matter() {
        let a = report("胡同口的路灯坏了，晚上黑乎乎的", "0301", HERE, 0);
        let b = report("这边路灯不亮好几天了", "0301", (HERE.0 + 0.0002, HERE.1), 20);
        let v = judge(&a, &b);
        assert!(v.same_matter, "{v:?}");
        assert!(v.reasons.iter().any(|r| r.zh.contains("路灯") && r.for_same), "{v:?}");
    }

    #[test]
    fn the_same_words_elsewhere_or_at_another_building_are_not() {
        let a = report("3号楼电梯坏了，困人了", "0501", HERE, 0);
        let elsewhere = report("3号楼电梯坏了，困人了", "0501", THERE, 2);
        assert!(!judge(&a, &elsewhere).same_matter);
        let next_door = report("5号楼电梯坏了，困人了", "0501", HERE, 2);
        let v = judge(&a, &next_door);
        assert!(!v.same_matter && v.reasons.iter().any(|r| r.zh.contains("楼号")), "{v:?}");
        let other_gate = report("小区南门外井盖松动", "0302", HERE, 1);
        assert!(!judge(&report("小区北门外井盖松动", "0302", HERE, 0), &other_gate).same_matter);
    }

    #[test]
    fn the_same_place_with_another_problem_is_not() {
        let a = report("小区门口路灯不亮", "0301", HERE, 0);
        let b = report("小区门口垃圾没人清运", "0101", HERE, 1);
        assert!(!judge(&a, &b).same_matter);
    }

    #[test]
    fn a_recurrence_months_later_is_not_the_same_matter() {
        let a = report("胡同口的路灯坏了", "0301", HERE, 0);
        let b = report("胡同口的路灯又坏了", "0301", HERE, 24 * 120);
        assert!(!judge(&a, &b).same_matter);
    }

    #[test]
    fn the_things_and_buildings_named_are_read_from_the_words() {
        assert_eq!(things_named("楼道里电动车飞线充电，电梯也坏了"), BTreeSet::from(["电动车", "电梯"]));
        let spots = |text| {
            let mut named: Vec<String> = spots_named(text).into_iter().map(|(k, v)| format!("{v}{k}")).collect();
            named.sort();
            named
        };
        assert_eq!(spots("和平里七区12号楼3单元502室"), ["12楼", "3单元", "502室"]);
        assert_eq!(spots("六号楼二单元"), ["2单元", "6楼"]);
        assert_eq!(spots("北新桥头条胡同东口，春和园A座"), ["1条", "A座", "东门口"]);
        assert_eq!(spots("天坛东路路西便道"), ["西侧"]);
    }
}
