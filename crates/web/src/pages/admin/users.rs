//! Staff accounts: their roles, scopes and passwords, and whether they may log in.

use grassroots_app::accounts::{self, AccountForm};
use grassroots_app::AppError;
use grassroots_domain::Role;

use super::{choice, input, Input, Layout, Line, Saved};
use crate::error::ApiError;
use crate::pages::{Lang, Typed};
use crate::session::Staff;
use crate::AppState;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let roles = Role::ALL.iter().map(|r| (r.as_str().to_string(), lang.t(r.label_zh(), r.label_en()).to_string()));
    Layout {
        heading: t("人员与权限", "Staff and their access"),
        columns: vec![
            t("用户名", "Username"),
            t("姓名", "Name"),
            t("角色", "Role"),
            t("范围", "Scope"),
            t("状态", "State"),
        ],
        form: vec![
            input("username", t("用户名", "Username")),
            input("display_name", t("姓名", "Name")),
            choice("role", t("角色", "Role"), roles.collect()),
            input(
                "scope",
                t(
                    "范围（all / region:110101 / unit:ID / grid:编码）",
                    "Scope (all / region:110101 / unit:ID / grid:CODE)",
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

pub(super) async fn lines(state: &AppState, lang: Lang) -> Result<Vec<Line>, ApiError> {
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
                a.user.scope.to_spec(),
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
        scope: typed.get("scope").to_string(),
        password: Some(typed.get("password").to_string()),
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
