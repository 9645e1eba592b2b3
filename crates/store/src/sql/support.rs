//! 附议: open cases near a place, and the residents who join one.

use chrono::{DateTime, Utc};
use grassroots_domain::personal::mask_phone;
use grassroots_domain::support::{box_around, distance_m, joinable};
use grassroots_domain::{Actor, CaseState, MoveError};
use sqlx::Row;
use uuid::Uuid;

use super::cases::CASE;
use super::events::{self, Subject};
use super::rows::{record_from_row, state_list, uuid_column, CASE_COLUMNS};
use super::{ms, SqlStore};
use crate::crypto::context;
use crate::support::{Joined, NearbyCase, NewSupporter};
use crate::{Result, StoreError};

/// Cases read around a point before the nearest are kept: a street corner rarely has more. In
/// no order: an order would lead the database to walk another index.
const SCANNED: i64 = 500;

/// What binds a supporter's sealed phone to them.
pub(super) fn phone_context(supporter: Uuid) -> Vec<u8> {
    context(supporter, "supporter_phone")
}

#[async_trait::async_trait]
impl crate::SupportStore for SqlStore {
    async fn open_cases_near(
        &self,
        category_code: &str,
        (lat, lng): (f64, f64),
        radius_m: f64,
        limit: usize,
    ) -> Result<Vec<NearbyCase>> {
        let (dlat, dlng) = box_around(lat, radius_m);
        let sql = format!(
            "SELECT {CASE_COLUMNS}, (SELECT COUNT(*) FROM case_supporters s WHERE s.case_id = c.id) AS supporters \
             FROM cases c WHERE c.category_code = $1 AND c.state IN ({}) \
             AND c.lat BETWEEN $2 AND $3 AND c.lng BETWEEN $4 AND $5 LIMIT $6",
            state_list(joinable)
        );
        let rows = sqlx::query(&sql)
            .bind(category_code.to_string())
            .bind(lat - dlat)
            .bind(lat + dlat)
            .bind(lng - dlng)
            .bind(lng + dlng)
            .bind(SCANNED)
            .fetch_all(&self.read)
            .await?;
        let mut near = Vec::new();
        for row in &rows {
            let record = record_from_row(row)?;
            let Some(point) = record.place.lat.zip(record.place.lng) else { continue };
            let distance_m = distance_m((lat, lng), point);
            if distance_m <= radius_m {
                near.push(NearbyCase { record, distance_m, supporters: row.try_get("supporters")? });
            }
        }
        near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        near.truncate(limit);
        Ok(near)
    }

    async fn join_case(&self, tracking_no: &str, supporter: &NewSupporter, now: DateTime<Utc>) -> Result<Joined> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT id, state FROM cases WHERE tracking_no = $1")
            .bind(tracking_no.trim().to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let case_id = uuid_column(&row, "id")?;
        let state: String = row.try_get("state")?;
        if !CaseState::parse(&state).is_some_and(joinable) {
            return Err(MoveError::Conflict {
                reason_zh: "该问题已办结或已合并，不能再附议".into(),
                reason_en: "this case is finished or merged and can no longer be joined".into(),
            }
            .into());
        }
        let id = Uuid::now_v7();
        let phone = supporter.phone.as_deref();
        sqlx::query(
            "INSERT INTO case_supporters (id, case_id, phone_enc, phone_masked, notify, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(case_id.to_string())
        .bind(phone.map(|p| self.cipher.seal(&phone_context(id), p)))
        .bind(phone.map(mask_phone))
        .bind(i64::from(supporter.notify && phone.is_some()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "supporter": id, "notify": supporter.notify });
        events::audit(&mut tx, now, &Actor::Resident, "support", Some(Subject { kind: CASE, id: case_id }), detail)
            .await?;
        let supporters: i64 = sqlx::query("SELECT COUNT(*) AS n FROM case_supporters WHERE case_id = $1")
            .bind(case_id.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        tx.commit().await?;
        Ok(Joined { case_id, tracking_no: tracking_no.trim().to_string(), supporters })
    }

    async fn supporters(&self, case_id: Uuid) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM case_supporters WHERE case_id = $1")
            .bind(case_id.to_string())
            .fetch_one(&self.read)
            .await?
            .try_get("n")?)
    }
}
