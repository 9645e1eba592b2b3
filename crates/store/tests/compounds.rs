//! 物业管理 on every backend: a compound's name once in its community, added by staff who reach
//! it; one rating per resident a year, a later one replacing it; the property cases of the
//! community that name the compound counted (open ones apart) and listed, others not.

mod support;

use chrono::{Datelike, Utc};
use grassroots_domain::property::Compound;
use grassroots_domain::{Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::StoreError;
use support::*;

async fn a_compound_is_rated_once_a_year_and_its_cases_counted(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let now = Utc::now();
    let year = grassroots_domain::calendar::beijing_day(now).year();
    let supervisor = staff(Role::Supervisor, Scope::parse("region:110101").unwrap());
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    let compound = Compound::check("和平里_小区", "北京某物业管理有限公司", None).unwrap();
    assert!(matches!(s.add_compound(&elsewhere, "110101001001", &compound, now).await, Err(StoreError::NotFound)));
    let added = s.add_compound(&supervisor, "110101001001", &compound, now).await.unwrap();
    let twice = s.add_compound(&supervisor, "110101001001", &compound, now).await;
    assert!(matches!(twice, Err(StoreError::Invalid(e)) if e.field == "name"));

    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    s.rate_compound(a, added.id, year, 2, Some("电梯常坏"), now).await.unwrap();
    s.rate_compound(a, added.id, year, 4, None, now).await.unwrap();
    let rated = s.rate_compound(b, added.id, year, 5, None, now).await.unwrap();
    assert_eq!((rated.ratings, rated.mean_score), (2, Some(4.5)), "a later rating replaces the year's");
    s.rate_compound(a, added.id, year - 1, 1, None, now).await.unwrap();
    assert_eq!(s.compound(added.id, year).await.unwrap().unwrap().ratings, 2, "last year's apart");

    // Property cases naming it (its `_` taken literally), in its community.
    for (category, description, address) in [
        ("0502", "电梯停运两天", Some("东华门街道和平里_小区3号楼")),
        ("0504", "和平里_小区物业乱收费", None),
        ("0502", "电梯停运", Some("和平里X小区")),
        ("0302", "和平里_小区井盖丢失", None),
    ] {
        let mut new = world.new_case(description, None, now);
        new.category_code = category.into();
        new.place.address = address.map(str::to_string);
        s.create_case(new, &grassroots_domain::Actor::Resident).await.unwrap();
    }
    let counted = s.compound(added.id, year).await.unwrap().unwrap();
    assert_eq!((counted.cases, counted.open_cases), (2, 2));
    assert_eq!(s.compound_cases(added.id, 10).await.unwrap().len(), 2);
    assert_eq!(
        s.compounds(&grassroots_store::PlaceFilter::Within(vec!["110101002".into()]), year).await.unwrap().len(),
        0
    );
}

conformance!(a_compound_is_rated_once_a_year_and_its_cases_counted,);
