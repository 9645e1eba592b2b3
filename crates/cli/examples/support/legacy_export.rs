//! A hotline system's case export, as another system would give it: the rows behind
//! `examples/legacy_cases.rs` and the scale benchmark (`benches/scale.rs`).
//!
//! Columns are named in Chinese; categories by code, units and satisfaction in words, times in
//! Beijing time, rows in the order received over the days before `end`, at random spots inside
//! 东城区 (110101). Cases more than a month old are closed but for one in two hundred; younger
//! ones less often, the younger the fewer, as a working centre's backlog looks. Two in three
//! closed cases are evaluated.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::Taxonomy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Writes `rows` cases received over the `days` before `end` to `path` (CSV), and the import's
/// column mapping beside it; answers the mapping's path.
pub fn write(rows: usize, days: i64, end: DateTime<Utc>, path: &Path) -> anyhow::Result<PathBuf> {
    let district = grassroots_geo::beijing_districts()
        .into_iter()
        .find(|d| d.code == "110101")
        .ok_or_else(|| anyhow::anyhow!("the shipped boundaries lack 110101"))?;
    let (min_x, min_y, max_x, max_y) = grassroots_geo::bbox_of(&district.polygons);
    let taxonomy = Taxonomy::builtin();
    let categories: Vec<String> = taxonomy.iter().filter(|c| c.parent.is_some()).map(|c| c.code.0.clone()).collect();
    let units: Vec<String> =
        grassroots_domain::reference::departments().iter().map(|d| format!("东城区{}", d.name_zh)).collect();
    let mut rng = StdRng::seed_from_u64(12345);
    let mut out = csv::Writer::from_path(path)?;
    out.write_record([
        "工单编号",
        "受理时间",
        "问题分类",
        "诉求内容",
        "诉求类型",
        "紧急程度",
        "纬度",
        "经度",
        "地址",
        "来电人",
        "联系电话",
        "承办单位",
        "首次响应时间",
        "办结时间",
        "办理结果",
        "是否解决",
        "满意度",
    ])?;
    let start = end - Duration::days(days);
    let span = days * 86_400;
    let time = |t: DateTime<Utc>| t.with_timezone(&beijing()).format("%Y-%m-%d %H:%M:%S").to_string();
    for i in 0..rows {
        // In the order the other system numbered them, as exports are.
        let offset = (i as i64 * span) / rows as i64 + rng.gen_range(0..60);
        let received = start + Duration::seconds(offset.min(span - 1));
        // Written to six decimals, so checked as written.
        let (lng, lat) = loop {
            let round = |v: f64| (v * 1e6).round() / 1e6;
            let p = (round(rng.gen_range(min_x..max_x)), round(rng.gen_range(min_y..max_y)));
            if district.contains(p.0, p.1) {
                break p;
            }
        };
        let age_days = (end - received).num_days();
        let closed = rng.gen_bool(if age_days > 30 { 0.995 } else { 0.9 * age_days as f64 / 30.0 });
        let responded = received + Duration::minutes(rng.gen_range(10..2880));
        let closed_at = (responded + Duration::hours(rng.gen_range(1..240))).min(end);
        let evaluated = closed && rng.gen_bool(0.67);
        let category = &categories[rng.gen_range(0..categories.len())];
        out.write_record([
            format!("GD{:09}", i + 1),
            time(received),
            category.clone(),
            format!("市民反映东城区第{}号附近问题，请尽快处理。", rng.gen_range(1..500)),
            ["咨询", "求助", "投诉", "建议"][rng.gen_range(0..4)].to_string(),
            ["一般", "一般", "一般", "紧急"][rng.gen_range(0..4)].to_string(),
            format!("{lat:.6}"),
            format!("{lng:.6}"),
            format!("东城区某街道{}号", rng.gen_range(1..300)),
            if rng.gen_bool(0.8) {
                format!("王{}", ["伟", "芳", "静", "磊"][rng.gen_range(0..4)])
            } else {
                String::new()
            },
            format!("13{:09}", rng.gen_range(0..1_000_000_000u32)),
            units[rng.gen_range(0..units.len())].clone(),
            if responded < end { time(responded) } else { String::new() },
            if closed && closed_at > responded { time(closed_at) } else { String::new() },
            if closed && closed_at > responded { "已处理完毕并回复市民".to_string() } else { String::new() },
            if evaluated && closed_at > responded {
                ["是", "是", "否"][rng.gen_range(0..3)].to_string()
            } else {
                String::new()
            },
            if evaluated && closed_at > responded {
                ["非常满意", "满意", "基本满意", "不满意"][rng.gen_range(0..4)].to_string()
            } else {
                String::new()
            },
        ])?;
    }
    out.flush()?;
    let mapping = serde_json::json!({
        "source": "legacy-12345",
        "columns": {
            "external_id": "工单编号", "received_at": "受理时间", "category": "问题分类",
            "description": "诉求内容", "request_type": "诉求类型", "priority": "紧急程度",
            "lat": "纬度", "lng": "经度", "address": "地址", "reporter_name": "来电人",
            "reporter_phone": "联系电话", "unit": "承办单位", "responded_at": "首次响应时间",
            "closed_at": "办结时间", "result": "办理结果", "resolved": "是否解决", "satisfaction": "满意度"
        },
        "values": { "satisfaction": { "非常满意": "satisfied", "满意": "satisfied" } }
    });
    let mapping_path = path.with_extension("mapping.json");
    std::fs::File::create(&mapping_path)?.write_all(serde_json::to_string_pretty(&mapping)?.as_bytes())?;
    Ok(mapping_path)
}
