//! 附议 (joining a report): a resident about to report a problem already reported nearby, and
//! still open, joins that case instead of opening another. They are counted, may be texted as
//! it moves on, and see it as the public does, never its reporter's words or photos.

use crate::case::CaseState;

/// How far around the resident's place open reports are offered to join.
pub const JOIN_RADIUS_M: f64 = 300.0;

/// At most this many are offered, nearest first.
pub const MAX_OFFERED: usize = 5;

/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = 110_540.0;
/// Metres per degree of longitude at the equator.
const M_PER_DEG_LNG_EQUATOR: f64 = 111_320.0;

/// The distance between two (lat, lng) points, in metres; flat-earth, which within a few
/// kilometres is exact enough.
pub fn distance_m((lat0, lng0): (f64, f64), (lat1, lng1): (f64, f64)) -> f64 {
    let per_lng = M_PER_DEG_LNG_EQUATOR * ((lat0 + lat1) / 2.0).to_radians().cos();
    ((lng1 - lng0) * per_lng).hypot((lat1 - lat0) * M_PER_DEG_LAT)
}

/// The (lat, lng) half-sides, in degrees, of a box holding the circle of `radius_m` around a
/// point at `lat`.
pub fn box_around(lat: f64, radius_m: f64) -> (f64, f64) {
    let per_lng = M_PER_DEG_LNG_EQUATOR * lat.to_radians().cos().max(0.01);
    (radius_m / M_PER_DEG_LAT, radius_m / per_lng)
}

/// Whether a case in this state can still be joined: it has not been finished, merged or
/// rejected.
pub fn joinable(state: CaseState) -> bool {
    state.is_pending() || matches!(state, CaseState::Handled | CaseState::Verifying)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_in_beijing_are_close_to_the_true_ones() {
        // 王府井 to 天安门东, about 1.1 km apart.
        let d = distance_m((39.9149, 116.4109), (39.9075, 116.4013));
        assert!((1_100.0..1_300.0).contains(&d), "{d}");
        assert!(distance_m((39.9, 116.4), (39.9, 116.4)) < 1e-9);
    }

    #[test]
    fn the_box_holds_the_circle() {
        let (dlat, dlng) = box_around(39.9, JOIN_RADIUS_M);
        let edge = distance_m((39.9, 116.4), (39.9, 116.4 + dlng));
        assert!((edge - JOIN_RADIUS_M).abs() < 1.0, "{edge}");
        assert!((distance_m((39.9, 116.4), (39.9 + dlat, 116.4)) - JOIN_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn only_open_cases_are_joined() {
        assert!(joinable(CaseState::Dispatched) && joinable(CaseState::Handled));
        assert!(!joinable(CaseState::Closed) && !joinable(CaseState::Merged) && !joinable(CaseState::Rejected));
    }
}
