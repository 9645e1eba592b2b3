//! Residents linked to their households: asked, decided by a grid worker, or made by one.

use chrono::{DateTime, Utc};
use grassroots_domain::households::LinkState;
use grassroots_domain::residents::Mobile;
use grassroots_domain::{Actor, FieldError, RegionLevel, Scope};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::households::{HouseholdLink, LinkDecision};
use crate::{Household, PlaceFilter, Result, StoreError};

const COLUMNS: &str = "l.resident_id, r.phone_masked, l.community_code, l.label, l.state, l.household_id, \
     l.grid_code, h.label AS household_label, l.asked_at, l.decided_at, l.reason";
const FROM: &str = "FROM resident_households l JOIN residents r ON r.id = l.resident_id \
     LEFT JOIN households h ON h.id = l.household_id";

fn link(r: &AnyRow) -> Result<HouseholdLink> {
    let household = match r.try_get::<Option<String>, _>("household_id")? {
        Some(_) => Some(Household {
            id: uuid_column(r, "household_id")?,
            grid_code: r.try_get::<Option<String>, _>("grid_code")?.unwrap_or_default(),
            label: r.try_get::<Option<String>, _>("household_label")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(HouseholdLink {
        resident_id: uuid_column(r, "resident_id")?,
        phone_masked: r.try_get("phone_masked")?,
        community_code: r.try_get("community_code")?,
        label: r.try_get("label")?,
        state: coded(LinkState::parse, "link state", r.try_get("state")?)?,
        household,
        asked_at: from_ms(r.try_get("asked_at")?),
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(from_ms),
        reason: r.try_get("reason")?,
    })
}

async fn link_of(conn: &mut AnyConnection, resident: Uuid) -> Result<Option<HouseholdLink>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE l.resident_id = $1"))
        .bind(resident.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(link).transpose()
}

/// The household of that label in a grid of the actor's scope, added if new.
pub(super) async fn household_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    grid_code: &str,
    label: &str,
) -> Result<Uuid> {
    if !scope.covers_place(grid_code)
        || sqlx::query("SELECT 1 FROM grids WHERE code = $1")
            .bind(grid_code.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .is_none()
    {
        return Err(StoreError::NotFound);
    }
    SqlStore::insert_household(conn, grid_code, label, Utc::now()).await?;
    let row = sqlx::query("SELECT id FROM households WHERE grid_code = $1 AND label = $2")
        .bind(grid_code.to_string())
        .bind(label.to_string())
        .fetch_one(&mut *conn)
        .await?;
    uuid_column(&row, "id")
}

#[async_trait::async_trait]
impl crate::HouseholdLinkStore for SqlStore {
    async fn ask_household(
        &self,
        resident: Uuid,
        community_code: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<HouseholdLink> {
        let mut tx = self.write.begin().await?;
        if sqlx::query("SELECT 1 FROM grids WHERE community_code = $1 LIMIT 1")
            .bind(community_code.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM resident_households WHERE resident_id = $1")
            .bind(resident.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO resident_households (resident_id, community_code, label, state, asked_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(resident.to_string())
        .bind(community_code.to_string())
        .bind(label.to_string())
        .bind(LinkState::Requested.as_str())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let asked = link_of(&mut tx, resident).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(asked)
    }

    async fn household_link(&self, resident: Uuid) -> Result<Option<HouseholdLink>> {
        let mut conn = self.read.acquire().await?;
        link_of(&mut conn, resident).await
    }

    async fn household_links(&self, scope: &Scope, state: LinkState, limit: i64) -> Result<Vec<HouseholdLink>> {
        let mut args = Args::default();
        let mut sql = format!("SELECT {COLUMNS} {FROM} WHERE l.state = {}", args.text(state.as_str()));
        let places = scope.place_prefixes().map_or(PlaceFilter::Everywhere, PlaceFilter::Within);
        sql += &format!(" AND {}", args.places("l.community_code", &places));
        sql += &format!(" ORDER BY l.asked_at, l.resident_id LIMIT {}", args.int(limit));
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(link).collect()
    }

    async fn decide_household_link(
        &self,
        actor: &Actor,
        resident: Uuid,
        decision: &LinkDecision,
        now: DateTime<Utc>,
    ) -> Result<HouseholdLink> {
        let Actor::Staff { scope, user_id, .. } = actor else { return Err(StoreError::NotFound) };
        let mut tx = self.write.begin().await?;
        let Some(asked) = link_of(&mut tx, resident).await? else { return Err(StoreError::NotFound) };
        if !scope.reaches(&asked.community_code) {
            return Err(StoreError::NotFound);
        }
        let subject = Some(Subject { kind: "resident", id: resident });
        match decision {
            LinkDecision::Confirm { grid_code, label } => {
                if asked.state != LinkState::Requested {
                    return Err(FieldError::new("state", "该申请已处理", "this request has been decided").into());
                }
                if !grid_code.starts_with(&asked.community_code) {
                    return Err(FieldError::new(
                        "grid_code",
                        "网格不在居民所选社区",
                        "the grid is not in the resident's community",
                    )
                    .into());
                }
                let household = household_in(&mut tx, scope, grid_code, label).await?;
                sqlx::query(
                    "UPDATE resident_households SET state = $2, household_id = $3, grid_code = $4, decided_at = $5, \
                     decided_by = $6, reason = NULL WHERE resident_id = $1",
                )
                .bind(resident.to_string())
                .bind(LinkState::Confirmed.as_str())
                .bind(household.to_string())
                .bind(grid_code.clone())
                .bind(ms(now))
                .bind(user_id.to_string())
                .execute(&mut *tx)
                .await?;
                let detail = serde_json::json!({ "grid": grid_code, "household": label });
                events::audit(&mut tx, now, actor, "household_link_confirmed", subject, detail).await?;
            }
            LinkDecision::Refuse { reason } => {
                if asked.state == LinkState::Refused {
                    return Err(FieldError::new("state", "该申请已处理", "this request has been decided").into());
                }
                sqlx::query(
                    "UPDATE resident_households SET state = $2, decided_at = $3, decided_by = $4, reason = $5 \
                     WHERE resident_id = $1",
                )
                .bind(resident.to_string())
                .bind(LinkState::Refused.as_str())
                .bind(ms(now))
                .bind(user_id.to_string())
                .bind(reason.clone())
                .execute(&mut *tx)
                .await?;
                let detail = serde_json::json!({ "was": asked.state.as_str(), "reason": reason });
                events::audit(&mut tx, now, actor, "household_link_refused", subject, detail).await?;
            }
        }
        let decided = link_of(&mut tx, resident).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(decided)
    }

    async fn link_resident(
        &self,
        actor: &Actor,
        mobile: &Mobile,
        grid_code: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<HouseholdLink> {
        let Actor::Staff { scope, user_id, .. } = actor else { return Err(StoreError::NotFound) };
        let mut tx = self.write.begin().await?;
        let household = household_in(&mut tx, scope, grid_code, label).await?;
        let Some(row) = sqlx::query("SELECT id FROM residents WHERE phone_tag = $1")
            .bind(self.cipher.phone_tag(mobile.as_str()))
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(FieldError::new(
                "phone",
                "该号码尚未开通居民账号，请居民先在“我的”页面登录",
                "no resident has signed in with this number yet: ask them to sign in on 我的 first",
            )
            .into());
        };
        let resident = uuid_column(&row, "id")?;
        sqlx::query("DELETE FROM resident_households WHERE resident_id = $1")
            .bind(resident.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO resident_households (resident_id, community_code, label, state, household_id, grid_code, \
             asked_at, decided_at, decided_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        )
        .bind(resident.to_string())
        .bind(grid_code.get(..RegionLevel::Community.digits()).unwrap_or(grid_code).to_string())
        .bind(label.to_string())
        .bind(LinkState::Confirmed.as_str())
        .bind(household.to_string())
        .bind(grid_code.to_string())
        .bind(ms(now))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
        let subject = Some(Subject { kind: "resident", id: resident });
        let detail = serde_json::json!({ "grid": grid_code, "household": label });
        events::audit(&mut tx, now, actor, "household_linked", subject, detail).await?;
        let linked = link_of(&mut tx, resident).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(linked)
    }
}
