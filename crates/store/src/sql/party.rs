//! Party organisations, members, 联户 links and contacts, 双报到 and activities: names and
//! phones sealed with masked names beside them for lists; one member per household at a time by
//! a unique index; the figures of grids and places read by counts over their place columns.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::party::{
    within_tree, ActivityKind, ContactMeans, LinkCoverage, MemberRole, OrgKind, MAX_LINKED_HOUSEHOLDS,
};
use grassroots_domain::personal::mask_name;
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, date_column, holding, optional_day, optional_uuid, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::party::{
    GridParty, LinkedHousehold, MemberPlace, NewActivity, NewContact, NewMember, NewOrg, NewPartyRegistration,
    OrgCount, PartyActivity, PartyContact, PartyMember, PartyOrg, PartyRegistration, PartyTally, SealedPerson,
    ServiceRecord,
};
use crate::{PlaceFilter, Result, StoreError};

const MEMBER_KIND: &str = "party_member";
const ORG_KIND: &str = "party_org";
const REGISTRATION_KIND: &str = "party_registration";

/// The context of a member's sealed name and phone (for re-sealing too).
pub(super) fn member_context(id: Uuid) -> Vec<u8> {
    context(id, "party_member.personal")
}

/// The context of an in-service member's sealed name and phone.
pub(super) fn registration_context(id: Uuid) -> Vec<u8> {
    context(id, "party_registration.personal")
}

const ORG_COLUMNS: &str = "o.id, o.kind, o.name, o.parent_id, o.place_code, o.building, o.created_at, \
     (SELECT COUNT(*) FROM party_members m WHERE m.org_id = o.id AND m.left_at IS NULL) AS members";

const MEMBER_COLUMNS: &str = "m.id, m.org_id, m.community_code, m.grid_code, m.role, m.name_masked, m.left_at, \
     (SELECT COUNT(*) FROM party_links l WHERE l.member_id = m.id AND l.ended_at IS NULL) AS linked";

const CONTACT_COLUMNS: &str = "c.id, c.member_id, m.name_masked, c.household_id, h.label, c.grid_code, \
     c.contacted_on, c.means, c.topic, c.follow_up, c.case_id";

const REGISTRATION_COLUMNS: &str = "r.id, r.community_code, r.grid_code, r.home_org, r.name_masked, \
     r.registered_on, r.ended_at, \
     (SELECT COUNT(*) FROM party_services s WHERE s.registration_id = r.id) AS services, \
     (SELECT CAST(COALESCE(SUM(s.half_hours), 0) AS BIGINT) FROM party_services s WHERE s.registration_id = r.id) \
     AS half_hours";

const ACTIVITY_COLUMNS: &str = "a.id, a.org_id, o.name AS org_name, a.place_code, a.kind, a.title, a.held_on, \
     a.venue, \
     (SELECT COUNT(*) FROM party_attendance t WHERE t.activity_id = a.id AND t.status = 'present') AS present, \
     (SELECT COUNT(*) FROM party_attendance t WHERE t.activity_id = a.id AND t.status = 'leave') AS on_leave, \
     (SELECT COUNT(*) FROM party_attendance t WHERE t.activity_id = a.id AND t.status = 'absent') AS absent";

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn org(r: &AnyRow) -> Result<PartyOrg> {
    Ok(PartyOrg {
        id: uuid_column(r, "id")?,
        kind: coded(OrgKind::parse, "party org kind", r.try_get("kind")?)?,
        name: r.try_get("name")?,
        parent_id: optional_uuid(r, "parent_id")?,
        place_code: r.try_get("place_code")?,
        building: r.try_get("building")?,
        members: r.try_get("members")?,
        created_at: from_ms(r.try_get("created_at")?),
    })
}

fn member(r: &AnyRow) -> Result<PartyMember> {
    Ok(PartyMember {
        id: uuid_column(r, "id")?,
        org_id: uuid_column(r, "org_id")?,
        community_code: r.try_get("community_code")?,
        grid_code: r.try_get("grid_code")?,
        role: coded(MemberRole::parse, "member role", r.try_get("role")?)?,
        name_masked: r.try_get("name_masked")?,
        linked_households: r.try_get("linked")?,
        left_at: r.try_get::<Option<i64>, _>("left_at")?.map(from_ms),
    })
}

fn contact(r: &AnyRow) -> Result<PartyContact> {
    Ok(PartyContact {
        id: uuid_column(r, "id")?,
        member_id: uuid_column(r, "member_id")?,
        member_masked: r.try_get("name_masked")?,
        household_id: uuid_column(r, "household_id")?,
        household_label: r.try_get("label")?,
        grid_code: r.try_get("grid_code")?,
        contacted_on: date_column(r, "contacted_on")?,
        means: coded(ContactMeans::parse, "contact means", r.try_get("means")?)?,
        topic: r.try_get("topic")?,
        follow_up: r.try_get("follow_up")?,
        case_id: optional_uuid(r, "case_id")?,
    })
}

fn registration(r: &AnyRow) -> Result<PartyRegistration> {
    let half_hours: i64 = r.try_get("half_hours")?;
    Ok(PartyRegistration {
        id: uuid_column(r, "id")?,
        community_code: r.try_get("community_code")?,
        grid_code: r.try_get("grid_code")?,
        home_org: r.try_get("home_org")?,
        name_masked: r.try_get("name_masked")?,
        registered_on: date_column(r, "registered_on")?,
        services: r.try_get("services")?,
        hours: half_hours as f64 / 2.0,
        ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
    })
}

fn service(r: &AnyRow) -> Result<ServiceRecord> {
    Ok(ServiceRecord {
        id: uuid_column(r, "id")?,
        registration_id: uuid_column(r, "registration_id")?,
        served_on: date_column(r, "served_on")?,
        half_hours: u32::try_from(r.try_get::<i64, _>("half_hours")?).map_err(corrupt)?,
        what: r.try_get("what")?,
    })
}

fn activity(r: &AnyRow) -> Result<PartyActivity> {
    Ok(PartyActivity {
        id: uuid_column(r, "id")?,
        org_id: uuid_column(r, "org_id")?,
        org_name: r.try_get("org_name")?,
        place_code: r.try_get("place_code")?,
        kind: coded(ActivityKind::parse, "activity kind", r.try_get("kind")?)?,
        title: r.try_get("title")?,
        held_on: date_column(r, "held_on")?,
        venue: r.try_get("venue")?,
        present: r.try_get("present")?,
        on_leave: r.try_get("on_leave")?,
        absent: r.try_get("absent")?,
    })
}

async fn org_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<PartyOrg>> {
    sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM party_orgs o WHERE o.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(org)
        .transpose()
}

/// Ends a member's household links; how many were ended.
async fn end_links(conn: &mut AnyConnection, member_id: Uuid, now: DateTime<Utc>) -> Result<u64> {
    let ended = sqlx::query("UPDATE party_links SET ended_at = $1 WHERE member_id = $2 AND ended_at IS NULL")
        .bind(ms(now))
        .bind(member_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(ended.rows_affected())
}

async fn member_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<PartyMember>> {
    sqlx::query(&format!("SELECT {MEMBER_COLUMNS} FROM party_members m WHERE m.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(member)
        .transpose()
}

async fn registration_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<PartyRegistration>> {
    sqlx::query(&format!("SELECT {REGISTRATION_COLUMNS} FROM party_registrations r WHERE r.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(registration)
        .transpose()
}

async fn linked_in(conn: &mut AnyConnection, member_id: Uuid) -> Result<Vec<LinkedHousehold>> {
    sqlx::query(
        "SELECT l.household_id, h.label, l.grid_code, l.linked_on, \
           (SELECT MAX(c.contacted_on) FROM party_contacts c WHERE c.member_id = l.member_id \
              AND c.household_id = l.household_id) AS last_contact \
         FROM party_links l JOIN households h ON h.id = l.household_id \
         WHERE l.member_id = $1 AND l.ended_at IS NULL ORDER BY l.grid_code, h.label",
    )
    .bind(member_id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(LinkedHousehold {
            household_id: uuid_column(r, "household_id")?,
            label: r.try_get("label")?,
            grid_code: r.try_get("grid_code")?,
            linked_on: date_column(r, "linked_on")?,
            last_contact_on: optional_day(r, "last_contact")?,
        })
    })
    .collect()
}

/// The one number a query answers.
async fn scalar(conn: &mut AnyConnection, sql: &str, args: Args) -> Result<i64> {
    Ok(args.bind(sqlx::query(sql)).fetch_one(&mut *conn).await?.try_get(0)?)
}

fn sealed(person: &SealedPerson) -> Result<String> {
    serde_json::to_string(person).map_err(corrupt)
}

fn households_error(zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    FieldError::new("households", zh, en).into()
}

/// The organisation and those under it, of the organisations at and below its place.
async fn subtree(conn: &mut AnyConnection, root: &PartyOrg) -> Result<HashSet<String>> {
    let rows = sqlx::query("SELECT id, parent_id FROM party_orgs WHERE place_code LIKE $1")
        .bind(format!("{}%", root.place_code))
        .fetch_all(&mut *conn)
        .await?;
    let parents: Vec<(String, Option<String>)> =
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("parent_id")?))).collect::<Result<_>>()?;
    Ok(within_tree(&root.id.to_string(), &parents))
}

#[async_trait::async_trait]
impl crate::PartyStore for SqlStore {
    async fn create_party_org(&self, actor: &Actor, new: &NewOrg, now: DateTime<Utc>) -> Result<PartyOrg> {
        holding(actor, &new.place_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO party_orgs (id, kind, name, parent_id, place_code, building, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(new.kind.as_str())
        .bind(new.name.clone())
        .bind(new.parent_id.map(|p| p.to_string()))
        .bind(new.place_code.clone())
        .bind(new.building.clone())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "kind": new.kind.as_str(), "place_code": new.place_code, "name": new.name });
        events::audit(&mut tx, now, actor, "party_org_created", Some(Subject { kind: ORG_KIND, id }), detail).await?;
        let created = org_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn party_org(&self, id: Uuid) -> Result<Option<PartyOrg>> {
        let mut conn = self.read.acquire().await?;
        org_in(&mut conn, id).await
    }

    async fn rename_party_org(&self, actor: &Actor, id: Uuid, name: &str, now: DateTime<Utc>) -> Result<PartyOrg> {
        let mut tx = self.write.begin().await?;
        let org = org_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &org.place_code)?;
        sqlx::query("UPDATE party_orgs SET name = $1 WHERE id = $2")
            .bind(name.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "from": org.name, "to": name });
        events::audit(&mut tx, now, actor, "party_org_renamed", Some(Subject { kind: ORG_KIND, id }), detail).await?;
        let renamed = org_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(renamed)
    }

    async fn remove_party_org(&self, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let org = org_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &org.place_code)?;
        let attached: i64 = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM party_orgs WHERE parent_id = $1) \
             + (SELECT COUNT(*) FROM party_members WHERE org_id = $1) \
             + (SELECT COUNT(*) FROM party_activities WHERE org_id = $1) AS n",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if attached > 0 {
            return Err(FieldError::new(
                "org_id",
                "该组织下有党组织、党员或活动记录，不能删除，可以改名",
                "it has organisations, members or activities: it cannot be removed, only renamed",
            )
            .into());
        }
        sqlx::query("DELETE FROM party_orgs WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        let detail = serde_json::json!({ "name": org.name, "kind": org.kind.as_str(), "place_code": org.place_code });
        events::audit(&mut tx, now, actor, "party_org_removed", Some(Subject { kind: ORG_KIND, id }), detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn party_orgs(&self, places: &PlaceFilter) -> Result<Vec<PartyOrg>> {
        let mut args = Args::default();
        let condition = args.places("o.place_code", places);
        let sql = format!(
            "SELECT {ORG_COLUMNS} FROM party_orgs o WHERE {condition} ORDER BY o.place_code, CASE o.kind \
             WHEN 'committee' THEN 0 WHEN 'general_branch' THEN 1 WHEN 'branch' THEN 2 ELSE 3 END, o.name, o.id"
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(org).collect()
    }

    async fn add_party_member(&self, actor: &Actor, new: &NewMember, now: DateTime<Utc>) -> Result<PartyMember> {
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        let org = org_in(&mut tx, new.org_id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &org.place_code)?;
        sqlx::query(
            "INSERT INTO party_members (id, org_id, community_code, grid_code, role, name_masked, personal_enc, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(new.org_id.to_string())
        .bind(new.community_code.clone())
        .bind(new.grid_code.clone())
        .bind(new.role.as_str())
        .bind(mask_name(&new.person.name))
        .bind(self.cipher.seal(&member_context(id), &sealed(&new.person)?))
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "org_id": new.org_id, "role": new.role.as_str() });
        events::audit(&mut tx, now, actor, "party_member_added", Some(Subject { kind: MEMBER_KIND, id }), detail)
            .await?;
        let added = member_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(added)
    }

    async fn party_member(&self, id: Uuid) -> Result<Option<PartyMember>> {
        let mut conn = self.read.acquire().await?;
        member_in(&mut conn, id).await
    }

    async fn party_members(&self, places: &PlaceFilter) -> Result<Vec<PartyMember>> {
        let mut args = Args::default();
        let condition = args.places("m.community_code", places);
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM party_members m WHERE m.left_at IS NULL AND {condition} \
             ORDER BY m.org_id, m.name_masked, m.id"
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(member).collect()
    }

    async fn reveal_party_member(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<SealedPerson> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT community_code, personal_enc FROM party_members WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        reaching(actor, &row.try_get::<String, _>("community_code")?)?;
        let plain = self
            .cipher
            .open(&member_context(id), &row.try_get::<Vec<u8>, _>("personal_enc")?)
            .map_err(StoreError::Crypto)?;
        let detail = serde_json::json!({ "reason": reason });
        events::audit(&mut tx, now, actor, "party_member_revealed", Some(Subject { kind: MEMBER_KIND, id }), detail)
            .await?;
        tx.commit().await?;
        serde_json::from_str(&plain).map_err(corrupt)
    }

    async fn party_member_leaves(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let member = member_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let org = org_in(&mut tx, member.org_id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &org.place_code)?;
        let left =
            sqlx::query("UPDATE party_members SET left_at = $1, left_reason = $2 WHERE id = $3 AND left_at IS NULL")
                .bind(ms(now))
                .bind(reason.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if left.rows_affected() == 0 {
            return Err(FieldError::new("member", "该党员已转出", "the member has left already").into());
        }
        end_links(&mut tx, id, now).await?;
        let detail = serde_json::json!({ "reason": reason });
        events::audit(&mut tx, now, actor, "party_member_left", Some(Subject { kind: MEMBER_KIND, id }), detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn transfer_party_member(
        &self,
        actor: &Actor,
        id: Uuid,
        to: &MemberPlace,
        now: DateTime<Utc>,
    ) -> Result<PartyMember> {
        let mut tx = self.write.begin().await?;
        let member = member_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        if member.left_at.is_some() {
            return Err(FieldError::new("member", "该党员已转出", "the member has left already").into());
        }
        for org_id in [member.org_id, to.org_id] {
            let org = org_in(&mut tx, org_id).await?.ok_or(StoreError::NotFound)?;
            holding(actor, &org.place_code)?;
        }
        sqlx::query(
            "UPDATE party_members SET org_id = $1, community_code = $2, grid_code = $3, role = $4 WHERE id = $5",
        )
        .bind(to.org_id.to_string())
        .bind(to.community_code.clone())
        .bind(to.grid_code.clone())
        .bind(to.role.as_str())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let unlinked = if member.community_code == to.community_code { 0 } else { end_links(&mut tx, id, now).await? };
        let detail = serde_json::json!({
            "from_org": member.org_id, "to_org": to.org_id, "role": to.role.as_str(), "households_unlinked": unlinked,
        });
        events::audit(&mut tx, now, actor, "party_member_transferred", Some(Subject { kind: MEMBER_KIND, id }), detail)
            .await?;
        let moved = member_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(moved)
    }

    async fn link_households(
        &self,
        actor: &Actor,
        member_id: Uuid,
        households: &[Uuid],
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<LinkedHousehold>> {
        let mut tx = self.write.begin().await?;
        let member = member_in(&mut tx, member_id).await?.ok_or(StoreError::NotFound)?;
        if member.left_at.is_some() {
            return Err(households_error("该党员已转出", "the member has left"));
        }
        let mut linked = usize::try_from(member.linked_households).unwrap_or(0);
        for household in households {
            let grid: Option<String> = sqlx::query_scalar("SELECT grid_code FROM households WHERE id = $1")
                .bind(household.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            let grid = grid.filter(|g| g.starts_with(&member.community_code)).ok_or_else(|| {
                households_error("住户应在该党员所在社区", "households lie in the member's community")
            })?;
            holding(actor, &grid)?;
            let holder: Option<String> =
                sqlx::query_scalar("SELECT member_id FROM party_links WHERE household_id = $1 AND ended_at IS NULL")
                    .bind(household.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            match holder {
                Some(m) if m == member_id.to_string() => continue,
                Some(_) => {
                    return Err(households_error(
                        "有住户已由其他党员联系",
                        "a household is linked to another member already",
                    ))
                }
                None => {}
            }
            linked += 1;
            if linked > MAX_LINKED_HOUSEHOLDS {
                return Err(households_error(
                    format!("每名党员最多联系{MAX_LINKED_HOUSEHOLDS}户"),
                    format!("a member keeps contact with at most {MAX_LINKED_HOUSEHOLDS} households"),
                ));
            }
            let inserted = sqlx::query(
                "INSERT INTO party_links (id, member_id, household_id, grid_code, linked_on, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(member_id.to_string())
            .bind(household.to_string())
            .bind(grid)
            .bind(on.to_string())
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from);
            // Linked by someone else meanwhile (PostgreSQL; SQLite's one writer serialises them).
            match inserted {
                Err(e) if e.is_unique_violation() => {
                    return Err(households_error(
                        "有住户已由其他党员联系",
                        "a household is linked to another member already",
                    ))
                }
                other => other?,
            };
        }
        let detail = serde_json::json!({ "households": households });
        let subject = Some(Subject { kind: MEMBER_KIND, id: member_id });
        events::audit(&mut tx, now, actor, "party_households_linked", subject, detail).await?;
        let all = linked_in(&mut tx, member_id).await?;
        tx.commit().await?;
        Ok(all)
    }

    async fn unlink_household(
        &self,
        actor: &Actor,
        member_id: Uuid,
        household_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let grid: String = sqlx::query_scalar(
            "SELECT grid_code FROM party_links WHERE member_id = $1 AND household_id = $2 AND ended_at IS NULL",
        )
        .bind(member_id.to_string())
        .bind(household_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        holding(actor, &grid)?;
        sqlx::query(
            "UPDATE party_links SET ended_at = $1 WHERE member_id = $2 AND household_id = $3 AND ended_at IS NULL",
        )
        .bind(ms(now))
        .bind(member_id.to_string())
        .bind(household_id.to_string())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "household_id": household_id });
        let subject = Some(Subject { kind: MEMBER_KIND, id: member_id });
        events::audit(&mut tx, now, actor, "party_household_unlinked", subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn linked_households(&self, member_id: Uuid) -> Result<Vec<LinkedHousehold>> {
        let mut conn = self.read.acquire().await?;
        linked_in(&mut conn, member_id).await
    }

    async fn record_party_contact(&self, actor: &Actor, new: &NewContact, now: DateTime<Utc>) -> Result<PartyContact> {
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        let grid: String = sqlx::query_scalar(
            "SELECT grid_code FROM party_links WHERE member_id = $1 AND household_id = $2 AND ended_at IS NULL",
        )
        .bind(new.member_id.to_string())
        .bind(new.household_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::from(FieldError::new(
                "household_id",
                "该住户不是这名党员的联系户",
                "the household is not one the member keeps contact with",
            ))
        })?;
        holding(actor, &grid)?;
        sqlx::query(
            "INSERT INTO party_contacts (id, member_id, household_id, grid_code, contacted_on, means, topic, \
             follow_up, case_id, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.to_string())
        .bind(new.member_id.to_string())
        .bind(new.household_id.to_string())
        .bind(grid)
        .bind(new.contacted_on.to_string())
        .bind(new.means.as_str())
        .bind(new.topic.clone())
        .bind(new.follow_up.clone())
        .bind(new.case_id.map(|c| c.to_string()))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let recorded = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM party_contacts c JOIN party_members m ON m.id = c.member_id \
             JOIN households h ON h.id = c.household_id WHERE c.id = $1"
        ))
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        contact(&recorded)
    }

    async fn party_contacts(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<PartyContact>> {
        let mut args = Args::default();
        let condition = args.places("c.grid_code", places);
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM party_contacts c JOIN party_members m ON m.id = c.member_id \
             JOIN households h ON h.id = c.household_id WHERE {condition} \
             ORDER BY c.contacted_on DESC, c.id DESC LIMIT {}",
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(contact).collect()
    }

    async fn register_in_service(
        &self,
        actor: &Actor,
        new: &NewPartyRegistration,
        now: DateTime<Utc>,
    ) -> Result<PartyRegistration> {
        reaching(actor, &new.community_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO party_registrations (id, community_code, grid_code, home_org, name_masked, personal_enc, \
             registered_on, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(new.community_code.clone())
        .bind(new.grid_code.clone())
        .bind(new.home_org.clone())
        .bind(mask_name(&new.person.name))
        .bind(self.cipher.seal(&registration_context(id), &sealed(&new.person)?))
        .bind(new.registered_on.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "community_code": new.community_code, "home_org": new.home_org });
        let subject = Some(Subject { kind: REGISTRATION_KIND, id });
        events::audit(&mut tx, now, actor, "party_registered", subject, detail).await?;
        let created = registration_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn registrations(&self, places: &PlaceFilter) -> Result<Vec<PartyRegistration>> {
        let mut args = Args::default();
        let condition = args.places("r.community_code", places);
        let sql = format!(
            "SELECT {REGISTRATION_COLUMNS} FROM party_registrations r WHERE r.ended_at IS NULL AND {condition} \
             ORDER BY r.community_code, r.registered_on DESC, r.id"
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(registration).collect()
    }

    async fn registration(&self, id: Uuid) -> Result<Option<PartyRegistration>> {
        let mut conn = self.read.acquire().await?;
        registration_in(&mut conn, id).await
    }

    async fn record_service(
        &self,
        actor: &Actor,
        registration_id: Uuid,
        served_on: NaiveDate,
        half_hours: u32,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<ServiceRecord> {
        let mut tx = self.write.begin().await?;
        let registered = registration_in(&mut tx, registration_id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &registered.community_code)?;
        if registered.ended_at.is_some() {
            return Err(FieldError::new("registration", "该报到已结束", "the registration has ended").into());
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO party_services (id, registration_id, community_code, served_on, half_hours, what, \
             recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(registration_id.to_string())
        .bind(registered.community_code.clone())
        .bind(served_on.to_string())
        .bind(i64::from(half_hours))
        .bind(what.to_string())
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ServiceRecord { id, registration_id, served_on, half_hours, what: what.to_string() })
    }

    async fn services_of(&self, registration_id: Uuid) -> Result<Vec<ServiceRecord>> {
        sqlx::query(
            "SELECT id, registration_id, served_on, half_hours, what FROM party_services \
             WHERE registration_id = $1 ORDER BY served_on DESC, id DESC",
        )
        .bind(registration_id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(service)
        .collect()
    }

    async fn record_party_activity(
        &self,
        actor: &Actor,
        new: &NewActivity,
        now: DateTime<Utc>,
    ) -> Result<PartyActivity> {
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        let org = org_in(&mut tx, new.org_id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &org.place_code)?;
        let within = subtree(&mut tx, &org).await?;
        sqlx::query(
            "INSERT INTO party_activities (id, org_id, place_code, kind, title, held_on, venue, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(org.id.to_string())
        .bind(org.place_code.clone())
        .bind(new.kind.as_str())
        .bind(new.title.clone())
        .bind(new.held_on.to_string())
        .bind(new.venue.clone())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        for (member_id, status) in &new.attendance {
            let member = member_in(&mut tx, *member_id).await?;
            if !member.is_some_and(|m| m.left_at.is_none() && within.contains(&m.org_id.to_string())) {
                return Err(FieldError::new(
                    "attendance",
                    "参加人员应为本组织及下级组织的党员",
                    "those attending are members of the organisation or those under it",
                )
                .into());
            }
            sqlx::query(
                "INSERT INTO party_attendance (activity_id, member_id, status) VALUES ($1, $2, $3) \
                 ON CONFLICT (activity_id, member_id) DO UPDATE SET status = excluded.status",
            )
            .bind(id.to_string())
            .bind(member_id.to_string())
            .bind(status.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({ "org_id": org.id, "kind": new.kind.as_str(), "held_on": new.held_on });
        events::audit(
            &mut tx,
            now,
            actor,
            "party_activity_recorded",
            Some(Subject { kind: "party_activity", id }),
            detail,
        )
        .await?;
        let recorded = sqlx::query(&format!(
            "SELECT {ACTIVITY_COLUMNS} FROM party_activities a JOIN party_orgs o ON o.id = a.org_id WHERE a.id = $1"
        ))
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        activity(&recorded)
    }

    async fn party_activities(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<PartyActivity>> {
        let mut args = Args::default();
        let condition = args.places("a.place_code", places);
        let sql = format!(
            "SELECT {ACTIVITY_COLUMNS} FROM party_activities a JOIN party_orgs o ON o.id = a.org_id \
             WHERE {condition} ORDER BY a.held_on DESC, a.id DESC LIMIT {}",
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(activity).collect()
    }

    async fn party_grids(&self, within: &str, today: NaiveDate) -> Result<Vec<GridParty>> {
        let since = |days: i64| (today - chrono::Duration::days(days - 1)).to_string();
        let reached = "(SELECT COUNT(DISTINCT c.household_id) FROM party_contacts c JOIN party_links l \
             ON l.household_id = c.household_id AND l.ended_at IS NULL \
             WHERE c.grid_code = g.code AND c.contacted_on >= {since} AND c.contacted_on <= $3)";
        let sql = format!(
            "SELECT g.code, \
               (SELECT COUNT(*) FROM households h WHERE h.grid_code = g.code) AS households, \
               (SELECT COUNT(*) FROM party_links l WHERE l.grid_code = g.code AND l.ended_at IS NULL) AS linked, \
               {} AS r30, {} AS r90, \
               (SELECT COUNT(*) FROM party_members m WHERE m.grid_code = g.code AND m.left_at IS NULL) AS members, \
               (SELECT COUNT(*) FROM party_orgs o WHERE o.place_code = g.code \
                  AND o.kind IN ('branch', 'group')) AS orgs \
             FROM grids g WHERE g.code LIKE $4 ORDER BY g.code",
            reached.replace("{since}", "$1"),
            reached.replace("{since}", "$2"),
        );
        sqlx::query(&sql)
            .bind(since(30))
            .bind(since(90))
            .bind(today.to_string())
            .bind(format!("{within}%"))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(GridParty {
                    grid_code: r.try_get("code")?,
                    organised: r.try_get::<i64, _>("orgs")? > 0,
                    members: r.try_get("members")?,
                    coverage: LinkCoverage {
                        households: r.try_get("households")?,
                        linked: r.try_get("linked")?,
                        reached_30_days: r.try_get("r30")?,
                        reached_90_days: r.try_get("r90")?,
                    },
                })
            })
            .collect()
    }

    async fn party_tally(&self, places: &PlaceFilter, from: NaiveDate, to: NaiveDate) -> Result<PartyTally> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let condition = args.places("place_code", places);
        let sql = format!("SELECT kind, COUNT(*) AS n FROM party_orgs WHERE {condition} GROUP BY kind");
        let mut orgs = args
            .bind(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok(OrgCount {
                    kind: coded(OrgKind::parse, "party org kind", r.try_get("kind")?)?,
                    count: r.try_get("n")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        orgs.sort_by_key(|c| c.kind);
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let members = scalar(
            &mut conn,
            &format!("SELECT COUNT(*) FROM party_members WHERE left_at IS NULL AND {condition}"),
            args,
        )
        .await?;
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let sql = format!("SELECT COUNT(*) FROM party_registrations WHERE ended_at IS NULL AND {condition}");
        let registered = scalar(&mut conn, &sql, args).await?;
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let (from_day, to_day) = (args.text(from.to_string()), args.text(to.to_string()));
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(half_hours), 0) AS BIGINT) FROM party_services WHERE {condition} \
             AND served_on >= {from_day} AND served_on <= {to_day}"
        );
        let service_half_hours = scalar(&mut conn, &sql, args).await?;
        let mut args = Args::default();
        let condition = args.places("a.place_code", places);
        let (from_day, to_day) = (args.text(from.to_string()), args.text(to.to_string()));
        let row = args
            .bind(sqlx::query(&format!(
                "SELECT COUNT(DISTINCT a.id) AS activities, \
                   CAST(COALESCE(SUM(CASE t.status WHEN 'present' THEN 1 ELSE 0 END), 0) AS BIGINT) AS present, \
                   COUNT(t.member_id) AS expected \
                 FROM party_activities a LEFT JOIN party_attendance t ON t.activity_id = a.id \
                 WHERE {condition} AND a.held_on >= {from_day} AND a.held_on <= {to_day}"
            )))
            .fetch_one(&mut *conn)
            .await?;
        Ok(PartyTally {
            orgs,
            members,
            registered,
            service_half_hours,
            activities: row.try_get("activities")?,
            present: row.try_get("present")?,
            expected: row.try_get("expected")?,
        })
    }
}
