//! 政府购买服务 on every backend: a project is bought from a verified organisation by staff who
//! hold the purchaser's place; what reports deliver adds up; a milestone is reached only with
//! its indicator delivered, once, its payment within the budget; the evaluation is recorded
//! once; the provider's help confirmed on the platform within the contract counts, with its
//! ratings.

mod support;

use chrono::{Duration, Utc, Weekday};
use grassroots_domain::helpers::{
    Availability, DayPart, HelperKind, HelperState, Registration, RegistrationForm, Skill,
};
use grassroots_domain::projects::{Grade, Plan};
use grassroots_domain::{Role, Scope};
use grassroots_store::helpers::{HelperContact, Registrant};
use grassroots_store::prelude::*;
use grassroots_store::{PlaceFilter, StoreError};
use support::*;

const STREET: &str = "110101001";

fn plan() -> Plan {
    let today = grassroots_domain::calendar::beijing_day(Utc::now());
    let day = |d: i64| (today + Duration::days(d)).to_string();
    Plan::check(
        "一老一小社会工作服务项目",
        "300000",
        &day(-30),
        &day(300),
        "服务人次|人次|1200\n入户探访|次|300",
        &format!("首期款|{}|90000\n中期款|{}|120000|服务人次>=500", day(-20), day(100)),
    )
    .unwrap()
}

async fn agency(s: &dyn Store, supervisor: &grassroots_domain::Actor, verified: bool) -> uuid::Uuid {
    let registration = Registration::check(
        HelperKind::Organisation,
        RegistrationForm {
            name: "东城区阳光社会工作事务所",
            region_code: STREET,
            skills: vec![Skill::Counselling],
            availability: Availability::of(&[Weekday::Mon], &[DayPart::Morning]),
            credit_code: Some("52110101MJ0000001R"),
            ..RegistrationForm::default()
        },
    )
    .unwrap();
    let contact = HelperContact { name: registration.name.clone(), ..HelperContact::default() };
    let helper = s.register_helper(Registrant::Staff(supervisor), &registration, &contact, Utc::now()).await.unwrap();
    if verified {
        s.set_helper_state(supervisor, helper.id, HelperState::Verified, None, Utc::now()).await.unwrap();
    }
    helper.id
}

async fn a_project_delivers_against_its_plan_and_pays_by_its_milestones(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let supervisor = staff(Role::Supervisor, Scope::parse("region:110101").unwrap());
    let provider = agency(s, &supervisor, false).await;
    let unit = "street-110101001";
    let pending = s.create_project(&supervisor, unit, STREET, provider, &plan(), now).await;
    assert!(matches!(pending, Err(StoreError::Invalid(e)) if e.field == "provider"), "verified organisations only");
    s.set_helper_state(&supervisor, provider, HelperState::Verified, None, now).await.unwrap();
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    assert!(matches!(
        s.create_project(&elsewhere, unit, STREET, provider, &plan(), now).await,
        Err(StoreError::NotFound)
    ));
    let p = s.create_project(&supervisor, unit, STREET, provider, &plan(), now).await.unwrap();
    assert_eq!((p.indicators.len(), p.milestones.len(), p.paid_fen), (2, 2, 0));
    assert_eq!(p.provider_name, "东城区阳光社会工作事务所");

    let bad = s.report_project_progress(&supervisor, p.id, &[10], "只报一项", now).await;
    assert!(matches!(bad, Err(StoreError::Invalid(e)) if e.field == "amounts"), "one amount per indicator");
    let bad = s.report_project_progress(&supervisor, p.id, &[10, -1], "负数", now).await;
    assert!(matches!(bad, Err(StoreError::Invalid(e)) if e.field == "amounts"));
    s.report_project_progress(&supervisor, p.id, &[300, 40], "第一月", now).await.unwrap();
    let reported = s.report_project_progress(&supervisor, p.id, &[150, 35], "第二月", now).await.unwrap();
    assert_eq!(reported.indicators.iter().map(|i| i.actual).collect::<Vec<_>>(), vec![450, 75]);
    assert_eq!(reported.reports.len(), 2);

    let paid = s.reach_milestone(&supervisor, p.id, 0, now).await.unwrap();
    assert_eq!(paid.paid_fen, 9_000_000);
    assert!(paid.milestones[0].reached_at.is_some());
    let twice = s.reach_milestone(&supervisor, p.id, 0, now).await;
    assert!(matches!(twice, Err(StoreError::Invalid(e)) if e.field == "milestone"), "once");
    let early = s.reach_milestone(&supervisor, p.id, 1, now).await;
    assert!(matches!(early, Err(StoreError::Invalid(e)) if e.field == "milestone"), "450 of the 500 it needs");
    s.report_project_progress(&supervisor, p.id, &[50, 0], "第三月", now).await.unwrap();
    let second = s.reach_milestone(&supervisor, p.id, 1, now).await.unwrap();
    assert_eq!(second.paid_fen, 21_000_000);
    assert!(matches!(s.reach_milestone(&supervisor, p.id, 7, now).await, Err(StoreError::Invalid(_))));

    let evaluated =
        s.evaluate_project(&supervisor, p.id, ("北京某评估中心", 92, "服务扎实，档案完整"), now).await.unwrap();
    let evaluation = evaluated.evaluation.unwrap();
    assert_eq!((evaluation.score, evaluation.grade), (92, Grade::Excellent));
    let again = s.evaluate_project(&supervisor, p.id, ("另一机构", 60, "再评一次"), now).await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.field == "evaluation"), "evaluated once");
    assert_eq!(s.projects(&PlaceFilter::Within(vec![STREET.into()]), 10).await.unwrap().len(), 1);
    assert!(s.projects(&PlaceFilter::Within(vec!["110101002".into()]), 10).await.unwrap().is_empty());
    assert!(matches!(
        s.report_project_progress(&elsewhere, p.id, &[1, 1], "外街道", now).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!((evaluated.needs_confirmed, evaluated.mean_rating), (0, None), "no help confirmed on the platform yet");
}

conformance!(a_project_delivers_against_its_plan_and_pays_by_its_milestones,);
