//! Residents' participation in the region over the period: topics published, proposals on the
//! agenda, councils held, votes and their turnout, decisions set and how many were done on time.

use chrono::Utc;
use grassroots_store::ParticipationFigures;

use super::Board;
use crate::error::ApiError;
use crate::pages::percent;

pub struct Participation {
    pub figures: ParticipationFigures,
    /// Voters over the rolls of the votes published.
    pub turnout: String,
    /// Decisions done by their deadline, of those done.
    pub on_time: String,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Participation, ApiError> {
    let (Some(from), Some(to)) = (board.filter.from, board.filter.to) else {
        return Err(ApiError::not_found());
    };
    let figures = board.state.store.participation_figures(board.region.as_str(), from, to, Utc::now()).await?;
    let share = |n: u64, of: u64| percent((of > 0).then(|| n as f64 / of as f64));
    Ok(Participation {
        turnout: share(figures.voters, figures.eligible),
        on_time: share(figures.done_on_time, figures.done),
        figures,
    })
}
