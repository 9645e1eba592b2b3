//! 重复件: the open cases a case may repeat, each way of finding them walking its own index
//! (category, state and latitude; community, state and id; the caller's digest).

use grassroots_domain::support::box_around;
use grassroots_domain::{CaseState, Scope};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{coded, parse_uuid, place_from_row, scope_clause, state_list};
use super::{from_ms, ms, Args, SqlStore};
use crate::duplicates::{Candidate, Probe, SuspectedRepeats};
use crate::Result;

const COLUMNS: &str = "c.id, c.tracking_no, c.state, c.category_code, c.description, c.district_code, c.street_code, \
     c.community_code, c.grid_code, c.lat, c.lng, c.address, c.located_by, c.received_at, c.reporter_phone_tag";

fn candidate(r: &AnyRow) -> Result<Candidate> {
    Ok(Candidate {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        tracking_no: r.try_get("tracking_no")?,
        state: coded(CaseState::parse, "state", r.try_get("state")?)?,
        category_code: r.try_get("category_code")?,
        description: r.try_get("description")?,
        place: place_from_row(r)?,
        received_at: from_ms(r.try_get("received_at")?),
        caller: r.try_get("reporter_phone_tag")?,
    })
}

#[async_trait::async_trait]
impl crate::DuplicateStore for SqlStore {
    async fn duplicate_candidates(
        &self,
        scope: &Scope,
        case_id: Uuid,
        probe: &Probe<'_>,
        limit: usize,
    ) -> Result<Vec<Candidate>> {
        let mut ways: Vec<(String, Args)> = Vec::new();
        // The states a repeated matter may still be merged into.
        let open = state_list(|s| !s.is_terminal());
        let common = |args: &mut Args| {
            let scoped = scope_clause(scope, args);
            let id = args.text(case_id.to_string());
            let since = args.int(ms(probe.since));
            format!("c.id <> {id} AND c.received_at >= {since} AND c.state IN ({open}) AND {scoped}")
        };
        if let Some((lat, lng)) = probe.place.lat.zip(probe.place.lng) {
            let mut args = Args::default();
            let category = args.text(probe.category_code.to_string());
            let (dlat, dlng) = box_around(lat, probe.radius_m);
            let near = format!(
                "c.category_code = {category} AND c.lat BETWEEN {} AND {} AND c.lng BETWEEN {} AND {}",
                args.real(lat - dlat),
                args.real(lat + dlat),
                args.real(lng - dlng),
                args.real(lng + dlng)
            );
            let rest = common(&mut args);
            ways.push((format!("{near} AND {rest}"), args));
        }
        // Reports placed by their address alone, in the community (or, placed no finer, the
        // street): each level known, read from cases_open_by_address.
        let mut args = Args::default();
        let mut here: Vec<String> =
            [("street_code", &probe.place.street_code), ("community_code", &probe.place.community_code)]
                .into_iter()
                .filter_map(|(column, code)| Some(format!("c.{column} = {}", args.text(code.clone()?))))
                .collect();
        if !here.is_empty() {
            here.push(format!("c.category_code = {}", args.text(probe.category_code.to_string())));
            here.push("c.lat IS NULL".into());
            let rest = common(&mut args);
            ways.push((format!("{} AND {rest}", here.join(" AND ")), args));
        }
        if let Some(caller) = probe.caller {
            let mut args = Args::default();
            let theirs = format!("c.reporter_phone_tag = {}", args.text(caller.to_string()));
            let rest = common(&mut args);
            ways.push((format!("{theirs} AND {rest}"), args));
        }
        let mut found: Vec<Candidate> = Vec::new();
        for (conditions, mut args) in ways {
            let limit = args.int(limit as i64);
            // In no order: an order would make the database read every match to sort them.
            let sql = format!("SELECT {COLUMNS} FROM cases c WHERE {conditions} LIMIT {limit}");
            for row in args.bind(sqlx::query(&sql)).fetch_all(&self.read).await? {
                let c = candidate(&row)?;
                if !found.iter().any(|f| f.id == c.id) {
                    found.push(c);
                }
            }
        }
        Ok(found)
    }

    fn caller_tag(&self, phone: &str) -> String {
        self.cipher.phone_tag(phone)
    }

    async fn suspected_repeats(&self, target: Uuid, limit: usize) -> Result<SuspectedRepeats> {
        let kind = grassroots_domain::decisions::DecisionKind::MergeSuggested.as_str();
        let count = sqlx::query("SELECT COUNT(*) AS n FROM machine_decisions WHERE target_case = $1 AND kind = $2")
            .bind(target.to_string())
            .bind(kind)
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        let rows = sqlx::query(
            "SELECT c.tracking_no FROM machine_decisions d JOIN cases c ON c.id = d.case_id \
             WHERE d.target_case = $1 AND d.kind = $2 ORDER BY c.received_at, c.id LIMIT $3",
        )
        .bind(target.to_string())
        .bind(kind)
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        let tracking_nos = rows.iter().map(|r| r.try_get("tracking_no")).collect::<std::result::Result<_, _>>()?;
        Ok(SuspectedRepeats { count, tracking_nos })
    }

    async fn caller_of(&self, case_id: Uuid) -> Result<Option<String>> {
        let row = sqlx::query("SELECT reporter_phone_tag FROM cases WHERE id = $1")
            .bind(case_id.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.try_get::<Option<String>, _>("reporter_phone_tag")).transpose()?.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A partial index serves a query only if the query repeats the index's condition: the
    /// open states written into cases_open_by_address must be the look-up's list, in its order.
    #[test]
    fn the_open_cases_index_names_the_states_the_look_up_reads() {
        let wanted = format!("state IN ({})", state_list(|s| !s.is_terminal()));
        for migration in [
            include_str!("../../migrations/sqlite/0035_open_cases_by_address.sql"),
            include_str!("../../migrations/postgres/0035_open_cases_by_address.sql"),
        ] {
            assert!(migration.contains(&wanted), "{wanted} not in\n{migration}");
        }
    }
}
