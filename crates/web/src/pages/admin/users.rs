//! Staff accounts: their roles, scopes and passwords, and whether they may log in.

use grassroots_app::accounts::{self, AccountForm};
use grassroots_app::AppError;
use grassroots_domain::region::spoken_name;
use grassroots_domain::{RegionCode, Role, Scope};
use grassroots_geo::atlas::Atlas;
use grassroots_store::Reference;

use super::{choice, input, Input, Layout, Line, OptionGroup, Saved};
use crate::error::ApiError;
use crate::pages::{Lang, Typed};
use crate::session::Staff;
use crate::AppState;

pub(super) fn layout(reference: &Reference, atlas: &Atlas, lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let roles = Role::ALL.iter().map(|r| (r.as_str().to_string(), lang.t(r.label_zh(), r.label_en()).to_string()));
    Layout {
        heading: t("人员与权限", "Staff and their access"),
        columns: vec![
            t("用户名", "Username"),
            t("姓名", "Name"),
            t("角色", "Role"),
            t("范围", "Scope"),
            t("值班手机", "Mobile on duty"),
            t("状态", "State"),
        ],
        form: vec![
            input("username", t("用户名", "Username")),
            input("display_name", t("姓名", "Name")),
            choice("role", t("角色", "Role"), roles.collect()),
            Input {
                groups: scope_choices(reference, atlas, lang),
                multiple: true,
                ..input(
                    "scope",
                    t(
                        "范围：处理人员选一个单位，网格员选其网格，其他人员选区划（可多选）",
                        "Scope: a handler's unit, a grid worker's grids, or regions for the others (several may be chosen)",
                    ),
                )
            },
            input(
                "phone",
                t(
                    "值班手机（含危险信号的诉求短信告知当班人员；留空则不改，填 - 删除）",
                    "Mobile for duty (texted about reports holding words of danger; blank keeps it, - removes it)",
                ),
            ),
            Input {
                secret: true,
                ..input(
                    "password",
                    t(
                        "密码（新账号必填，至少8位；留空则不改）",
                        "Password (new accounts; 8+ characters; blank keeps it)",
                    ),
                )
            },
        ],
    }
}

pub(super) async fn lines(state: &AppState, reference: &Reference, lang: Lang) -> Result<Vec<Line>, ApiError> {
    let atlas = state.atlas();
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .map(|a| {
            Line::new(vec![
                a.user.username,
                a.user.display_name,
                lang.t(a.user.role.label_zh(), a.user.role.label_en()).to_string(),
                scope_in_words(&a.user.scope, reference, &atlas, lang),
                a.phone_masked.unwrap_or_default(),
                if a.disabled { lang.t("已停用", "disabled") } else { lang.t("启用", "active") }.to_string(),
            ])
        })
        .collect())
}

pub(super) async fn save(state: &AppState, staff: &Staff, typed: &Typed) -> Result<Saved, AppError> {
    let form = AccountForm {
        username: typed.get("username").to_string(),
        display_name: Some(typed.get("display_name").to_string()),
        role: typed.get("role").to_string(),
        scope: Scope::from_choices(&typed.all("scope"))
            .map_err(|e| AppError::invalid("scope", e.reason_zh, e.reason_en))?
            .to_spec(),
        password: Some(typed.get("password").to_string()),
        // Blank keeps the stored mobile; "-" forgets it.
        phone: match typed.get("phone").trim() {
            "" => None,
            "-" => Some(String::new()),
            given => Some(given.to_string()),
        },
        // The stored state is kept unless the form changes it.
        disabled: match typed.get("state") {
            "disabled" => Some(true),
            "active" => Some(false),
            _ => None,
        },
    };
    accounts::save(state, Some(&staff.user), form).await?;
    Ok(Saved::Done)
}

/// The scopes an account may be given: everywhere, the district and its streets and
/// communities, the units by name, and the grids of each street.
fn scope_choices(reference: &Reference, atlas: &Atlas, lang: Lang) -> Vec<OptionGroup> {
    let mut groups = vec![OptionGroup {
        label: lang.t("全部", "Everywhere").to_string(),
        options: vec![("all".into(), lang.t("全部（管理员）", "Everywhere (administrators)").to_string())],
    }];
    let region = |code: &RegionCode, name: String| (format!("region:{}", code.as_str()), name);
    for district in atlas.served_districts() {
        let mut regions = vec![region(&district.code, lang.place(&district.name))];
        let mut grids = Vec::new();
        for street in atlas.children(&district.code) {
            regions.push(region(&street.code, lang.place(&street.name)));
            for community in atlas.children(&street.code) {
                let name = spoken_name(&community.name);
                regions.push(region(&community.code, format!("{}（{}）", lang.place(name), street.name)));
                for grid in atlas.grids_within(&community.code) {
                    let code = grid.code.as_str();
                    grids.push((format!("grid:{code}"), format!("{code} {name}")));
                }
            }
        }
        groups.push(OptionGroup {
            label: lang.t("区划", "Regions").to_string() + " · " + &district.name,
            options: regions,
        });
        groups
            .push(OptionGroup {
                label: lang.t("网格", "Grids").to_string() + " · " + &district.name, options: grids
            });
    }
    let mut units: Vec<(String, String)> = reference
        .units
        .iter()
        .map(|u| (format!("unit:{}", u.id), lang.t(&u.name_zh, &u.name_en).to_string()))
        .collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    groups.push(OptionGroup { label: lang.t("承办单位", "Units").to_string(), options: units });
    groups
}

/// A scope as an administrator reads it: names, not codes.
fn scope_in_words(scope: &Scope, reference: &Reference, atlas: &Atlas, lang: Lang) -> String {
    match scope {
        Scope::All => lang.t("全部", "everywhere").to_string(),
        Scope::Regions { codes } => {
            let names: Vec<String> = codes
                .iter()
                .map(|c| {
                    atlas
                        .outline(c.as_str())
                        .map_or_else(|| c.as_str().to_string(), |o| lang.place(spoken_name(&o.name)))
                })
                .collect();
            names.join("、")
        }
        Scope::Unit { unit } => {
            reference.unit(unit).map_or_else(|| unit.clone(), |u| lang.t(&u.name_zh, &u.name_en).to_string())
        }
        Scope::Grids { codes } => match codes.as_slice() {
            [one] => format!("{} {one}", lang.t("网格", "grid")),
            many => format!("{} {} {}", many.len(), lang.t("个网格：", "grids:"), many.join(", ")),
        },
    }
}
