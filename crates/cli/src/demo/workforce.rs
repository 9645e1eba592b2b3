//! The demo's 队伍建设: the district's staffing standard; a profile for every grid worker (one
//! of them left this year); a training with its attendance and certificates; last year's
//! appraisal of the demo's grid worker; a cadre sent down from an agency with the work they did.
//! Made only into a store without profiles.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::workforce::{appraise, Post, SecondmentKind, StaffingStandard, WorkerQualification};
use grassroots_domain::{Role, Scope};
use grassroots_store::workforce::{Appraisal, NewProfile, NewSecondment};
use grassroots_store::{GridRow, PlaceFilter, Store, User};

use super::DISTRICT;

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.profiles(&PlaceFilter::Everywhere).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    store.set_staffing_standard(&supervisor, DISTRICT, StaffingStandard::DEFAULT, now - Duration::days(300)).await?;
    let today = beijing_day(now);
    let community_of = |user: &User| match &user.scope {
        Scope::Grids { codes } => {
            codes.first().and_then(|g| grids.iter().find(|x| x.code == *g)).map(|g| g.community_code.clone())
        }
        _ => None,
    };
    let qualifications = WorkerQualification::ALL;
    let mut profiles = 0;
    for (n, user) in users.iter().filter(|u| u.role == Role::GridWorker).enumerate() {
        let Some(community) = community_of(user) else { continue };
        let new = NewProfile {
            community_code: community,
            post: Post::GridWorker,
            started_on: NaiveDate::from_ymd_opt(2016 + (n % 9) as i32, 1 + (n % 12) as u32, 1).unwrap_or(today),
            birth_year: 1970 + (n * 7 % 30) as i32,
            qualification: qualifications[n % qualifications.len()],
        };
        store.set_profile(&supervisor, user.id, &new, now - Duration::days(200)).await?;
        profiles += 1;
    }
    // One left this year, for the turnover.
    if let Some(leaver) = users.iter().find(|u| u.username.starts_with("gridworker-")) {
        store
            .staff_leaves(&supervisor, leaver.id, today - Duration::days(40), "考取事业编制", now - Duration::days(40))
            .await?;
    }
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let street = grids
        .iter()
        .find(|g| worker.scope.covers_place(&g.code))
        .map(|g| g.community_code[..9].to_string())
        .context("the worker's street")?;
    let training = store
        .add_training(
            &supervisor,
            &street,
            "网格员业务能力提升培训",
            today - Duration::days(45),
            8,
            now - Duration::days(50),
        )
        .await?;
    store.record_attendance(training.id, worker.id, Some("网格员业务培训结业证书")).await?;
    let exam = store
        .add_training(&supervisor, DISTRICT, "社会工作者职业资格考前辅导", today - Duration::days(120), 12, now)
        .await?;
    store.record_attendance(exam.id, worker.id, None).await?;
    let scores = vec![92, 88, 90, 85];
    let (total_tenths, grade) = appraise(&scores).map_err(|e| anyhow::anyhow!(e.message()))?;
    let last_year = Appraisal {
        user_id: worker.id,
        year: today.year() - 1,
        scores,
        total_tenths,
        grade,
        comment: "走访扎实，巡查发现问题及时，居民评价好。".into(),
        appraised_at: now,
    };
    store.keep_appraisal(&supervisor, &last_year, now - Duration::days(300)).await?;
    let community = community_of(worker).context("the worker's community")?;
    let cadre = NewSecondment {
        community_code: community,
        name: "张明".into(),
        home_unit: "区发展和改革委员会".into(),
        kind: SecondmentKind::Sent,
        from_on: today - Duration::days(60),
        to_on: today + Duration::days(120),
    };
    let cadre = store.add_secondment(&supervisor, &cadre, now - Duration::days(60)).await?;
    for (days_ago, what, halves) in
        [(50, "协助开展冬季消防安全入户排查", 6), (20, "参与老旧小区加装电梯协商", 4), (6, "走访困难家庭", 5)]
    {
        store.record_secondment_work(&supervisor, cadre.id, today - Duration::days(days_ago), what, halves).await?;
    }
    writeln!(
        out,
        "队伍建设: {profiles} staff profiles, 2 trainings, an appraisal, a cadre sent down with 3 days of work"
    )?;
    Ok(out)
}
