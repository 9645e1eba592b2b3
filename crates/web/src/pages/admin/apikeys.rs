//! Keys of other systems (Open311 clients and others): issued (shown once), revoked.

use grassroots_app::keys::{self, KeyRequest};
use grassroots_app::AppError;

use super::{choice, input, Layout, Line, Saved};
use crate::error::ApiError;
use crate::pages::{beijing_minutes, Lang, Typed};
use crate::AppState;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let may = vec![
        ("post".into(), t("提交并完整查看诉求", "post requests and read them in full")),
        ("read".into(), t("只完整查看诉求", "only read requests in full")),
    ];
    Layout {
        heading: t("其他系统的接口密钥（Open311等）", "Keys of other systems (Open311 and others)"),
        columns: vec![
            t("编号", "Id"),
            t("名称", "Name"),
            t("权限", "May"),
            t("区域", "Region"),
            t("签发", "Issued"),
            t("状态", "State"),
        ],
        form: vec![
            input("name", t("新密钥的名称（签发新密钥时填写）", "Name of a new key (to issue one)")),
            choice("may", t("权限", "May"), may),
            input(
                "region",
                t(
                    "区域代码（只能提交、完整查看此区域的诉求；留空为全部）",
                    "Region code (posts and reads in full only there; blank: everywhere)",
                ),
            ),
        ],
    }
}

pub(super) async fn lines(state: &AppState, lang: Lang) -> Result<Vec<Line>, ApiError> {
    Ok(state
        .store
        .api_keys()
        .await?
        .into_iter()
        .map(|k| {
            let may =
                if k.may_post { lang.t("提交与查看", "post and read") } else { lang.t("只查看", "read only") };
            let state =
                if k.revoked_at.is_some() { lang.t("已吊销", "revoked") } else { lang.t("有效", "active") };
            let line = Line::new(vec![
                k.id.to_string(),
                k.name,
                may.to_string(),
                k.region.unwrap_or_else(|| lang.t("全部", "everywhere").to_string()),
                beijing_minutes(k.created_at),
                state.to_string(),
            ]);
            match k.revoked_at {
                Some(_) => line,
                None => line.with_action(lang.t("吊销", "Revoke").to_string(), vec![("revoke", k.id.to_string())]),
            }
        })
        .collect())
}

/// Issues a key (shown once on the page that answers, never again) or revokes one.
pub(super) async fn save(state: &AppState, typed: &Typed, lang: Lang) -> Result<Saved, AppError> {
    match (typed.get("revoke").trim(), typed.get("name").trim()) {
        ("", "") => Err(AppError::invalid("name", "请填写新密钥的名称", "name the new key")),
        ("", name) => {
            let request = KeyRequest {
                name: name.to_string(),
                read_only: typed.is("may", "read"),
                region: Some(typed.get("region").to_string()),
            };
            let issued = keys::issue(state, request).await?;
            let what = lang.t("新密钥（只显示这一次，请妥善保存）", "The new key (shown only this once; keep it safe)");
            Ok(Saved::ShowOnce { what: what.into(), secret: issued.secret })
        }
        (id, _) => {
            let id =
                uuid::Uuid::parse_str(id).map_err(|_| AppError::invalid("revoke", "密钥编号无效", "not a key id"))?;
            keys::revoke(state, id).await?;
            Ok(Saved::Done)
        }
    }
}
