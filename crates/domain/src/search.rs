//! 全文检索: what of a case staff may find it by — everything people wrote about it, and the
//! facets a search filters on and a scope is checked against.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::case::Place;
use crate::workflow::EventKind;
use crate::{CaseRecord, CaseState};

/// A case as the search index holds it. The texts are as the store keeps them: personal data
/// typed into them is already masked, and erased texts read as erased.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDocument {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: CaseState,
    pub category_code: String,
    pub place: Place,
    /// The lead unit and the co-handlers.
    pub units: Vec<String>,
    pub received_at: DateTime<Utc>,
    /// The description, then the address, then every note, reason, result and comment, in
    /// the order they were written.
    pub texts: Vec<String>,
}

impl SearchDocument {
    /// The document of a case from its row and its events, oldest first.
    pub fn of(record: &CaseRecord, events: impl IntoIterator<Item = EventKind>) -> Self {
        let mut texts = vec![record.description.clone()];
        texts.extend(record.place.address.clone());
        for mut event in events {
            // The row holds the description and address as they are now.
            if matches!(event, EventKind::Received { .. }) {
                continue;
            }
            texts.extend(event.free_texts_mut().into_iter().map(|(_, text)| text.clone()));
        }
        texts.retain(|t| !t.trim().is_empty());
        Self {
            id: record.id,
            tracking_no: record.tracking_no.clone(),
            state: record.state,
            category_code: record.category_code.clone(),
            place: record.place.clone(),
            units: record.lead_unit.iter().chain(&record.co_units).cloned().collect(),
            received_at: record.received_at,
            texts,
        }
    }
}
