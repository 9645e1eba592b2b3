//! Responsible units (承办单位): departments, street offices, the command centre, others.

use grassroots_app::{reference, AppError};
use grassroots_domain::reference::{unit_kind_name, UNIT_KINDS};
use grassroots_store::{Reference, Unit};

use super::{choice, input, Layout, Line, Saved};
use crate::pages::{Lang, Typed};
use crate::AppState;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    Layout {
        heading: t("承办单位", "Units"),
        columns: vec![
            t("编号", "Id"),
            t("名称", "Name"),
            t("英文名", "English name"),
            t("类型", "Kind"),
            t("区划", "Region"),
        ],
        form: vec![
            input("id", t("编号（小写字母、数字、-）", "Id (lower-case letters, digits, -)")),
            input("name_zh", t("名称", "Name")),
            input("name_en", t("英文名", "English name")),
            choice(
                "kind",
                t("类型", "Kind"),
                UNIT_KINDS
                    .iter()
                    .map(|k| {
                        let (zh, en) = unit_kind_name(k);
                        (k.to_string(), t(zh, en))
                    })
                    .collect(),
            ),
            input("region_code", t("服务区划代码", "Region served (code)")),
        ],
    }
}

pub(super) fn lines(reference: &Reference) -> Vec<Line> {
    let line = |u: &Unit| {
        Line::new(vec![u.id.clone(), u.name_zh.clone(), u.name_en.clone(), u.kind.clone(), u.region_code.clone()])
    };
    reference.units.iter().map(line).collect()
}

pub(super) async fn save(state: &AppState, typed: &Typed) -> Result<Saved, AppError> {
    let unit = Unit {
        id: typed.get("id").to_string(),
        name_zh: typed.get("name_zh").to_string(),
        name_en: typed.get("name_en").to_string(),
        kind: typed.get("kind").to_string(),
        region_code: typed.get("region_code").to_string(),
    };
    reference::save_unit(state, unit).await?;
    Ok(Saved::Done)
}
