//! What the public may see of cases, on the public pages and through Open311 without a key:
//! never a case of a sensitive category; its day, not its time; its community only where
//! enough public cases of its category share the community and the period, for in a smaller
//! group a case could point to a household.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::Taxonomy;

/// Fewer public cases of a category in a community and period than this, and the community
/// is not shown, only the street.
pub const MIN_GROUP: i64 = 5;

/// The period the groups are counted over.
pub const PERIOD_DAYS: i64 = 90;

/// Whether cases of this category may be published at all.
pub fn publishable(taxonomy: &Taxonomy, category_code: &str) -> bool {
    taxonomy.get(category_code).is_some_and(|c| !c.sensitive)
}

/// The day a case's time falls on, in Beijing.
pub fn day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&crate::calendar::beijing()).date_naive()
}

/// The start of that day, as a time, for interfaces that must give one (Open311).
pub fn day_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let start = day(t).and_hms_opt(0, 0, 0).unwrap_or_default();
    crate::calendar::beijing().from_local_datetime(&start).single().map_or(t, |s| s.with_timezone(&Utc))
}

/// Whether a case's community may be shown, given how many public cases of its category the
/// community had in the period.
pub fn shows_community(cases_in_group: i64) -> bool {
    cases_in_group >= MIN_GROUP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_and_unknown_categories_are_not_published() {
        let t = Taxonomy::builtin();
        assert!(publishable(&t, "0301"));
        assert!(!publishable(&t, "1602"), "family disputes");
        assert!(!publishable(&t, "1202"), "relief");
        assert!(!publishable(&t, "9999"));
    }

    #[test]
    fn times_become_beijing_days() {
        let late = DateTime::parse_from_rfc3339("2026-03-01T17:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(day(late).to_string(), "2026-03-02", "01:30 the next morning in Beijing");
        assert_eq!(day_start(late).to_rfc3339(), "2026-03-01T16:00:00+00:00");
    }

    #[test]
    fn small_groups_hide_the_community() {
        assert!(!shows_community(4));
        assert!(shows_community(5));
    }
}
