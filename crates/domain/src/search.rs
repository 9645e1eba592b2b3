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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{evolve, CaseEvent};
    use crate::{Channel, Priority, RequestType, Satisfaction};

    #[test]
    fn a_document_holds_the_description_the_address_and_every_later_text_once() {
        let at = chrono::Utc::now();
        let received = EventKind::Received {
            tracking_no: "BJ20261203000001".into(),
            category_code: "0101".into(),
            request_type: RequestType::Complaint,
            priority: Priority::Normal,
            channel: Channel::Web,
            description: "路灯不亮".into(),
            place: Place { address: Some("东华门街道3号楼".into()), ..Place::default() },
            response_due: at,
            resolve_due: at,
        };
        let event = CaseEvent {
            id: Uuid::nil(),
            case_id: Uuid::nil(),
            seq: 1,
            at,
            actor_kind: "resident".into(),
            actor_id: None,
            kind: received.clone(),
        };
        let mut record = evolve(None, &event).unwrap();
        record.lead_unit = Some("dept-a".into());
        record.co_units = vec!["dept-b".into()];
        let events = vec![
            received,
            EventKind::Registered { note: Some("现场核实".into()) },
            EventKind::Accepted { unit: "dept-a".into() },
            EventKind::Handled { result: "已更换灯泡".into(), evidence: vec![] },
            EventKind::Evaluated { resolved: true, satisfaction: Satisfaction::Satisfied, comment: None },
            EventKind::Supplemented { text: Some("  ".into()), photos: 1 },
        ];
        let document = SearchDocument::of(&record, events);
        assert_eq!(document.texts, ["路灯不亮", "东华门街道3号楼", "现场核实", "已更换灯泡"]);
        assert_eq!(document.units, ["dept-a", "dept-b"]);
        assert_eq!((document.category_code.as_str(), document.state), ("0101", CaseState::Received));
    }
}
