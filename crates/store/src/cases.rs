//! Cases: intake, reads within scope, moves, the resident's view, reveal of personal data, photos.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::workflow::MoveContext;
use grassroots_domain::Actor;
use grassroots_domain::CaseEvent;
use grassroots_domain::CaseRecord;
use grassroots_domain::Move;
use grassroots_domain::Scope;
use uuid::Uuid;

use crate::{
    CaseDetail, CaseFilter, CasePage, CreatedCase, KeyedCase, NewAttachment, NewCase, ResidentPass, Result,
    RevealedPersonalData,
};

#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Takes in a new request. Returns once the case is durable.
    async fn create_case(&self, new: NewCase, actor: &Actor) -> Result<CreatedCase>;
    /// The case `key` of `client` made, while the key is kept.
    async fn keyed_case(&self, client: &str, key: &str) -> Result<Option<KeyedCase>>;
    /// Forgets the idempotency keys given before `before`; how many.
    async fn forget_intake_keys(&self, before: DateTime<Utc>) -> Result<u64>;
    /// A case within `scope`, with its events; `None` when absent or out of scope.
    async fn case_detail(&self, scope: &Scope, id: Uuid) -> Result<Option<CaseDetail>>;
    async fn list_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<CasePage>;
    /// Up to `limit` cases of the filter within `scope` received before the cursor (time
    /// received, id), latest first: the pages of an export, each as cheap as the first however
    /// deep the walk (the filter's queue and list cursor are not used).
    async fn export_page(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        before: Option<(DateTime<Utc>, Uuid)>,
        limit: u32,
    ) -> Result<Vec<crate::export::ExportedCase>>;
    /// How many cases each of the role's workbench queues holds, within the scope.
    async fn queue_counts(
        &self,
        scope: &Scope,
        role: grassroots_domain::Role,
    ) -> Result<Vec<(grassroots_domain::queue::Queue, i64)>>;
    /// Applies a move by a staff member within their scope.
    async fn apply_move(&self, actor: &Actor, id: Uuid, mv: &Move, ctx: &MoveContext<'_>) -> Result<CaseRecord> {
        self.apply_move_with_photos(actor, id, mv, ctx, &[]).await
    }
    /// Applies a move with the photos it brings (the result of handling), stored with its event.
    async fn apply_move_with_photos(
        &self,
        actor: &Actor,
        id: Uuid,
        mv: &Move,
        ctx: &MoveContext<'_>,
        photos: &[NewAttachment],
    ) -> Result<CaseRecord>;
    /// The resident's view of their case; `None` for a pass that opens none.
    async fn track(&self, pass: &ResidentPass<'_>) -> Result<Option<CaseDetail>>;
    /// A resident's move on their case (an evaluation, an addition), with the photos it brings,
    /// stored in the same transaction.
    async fn resident_move(
        &self,
        pass: &ResidentPass<'_>,
        mv: &Move,
        ctx: &MoveContext<'_>,
        photos: &[NewAttachment],
    ) -> Result<CaseRecord>;
    /// Decrypts the reporter's personal data of a case in the actor's scope, writing an audit
    /// entry with the reason (the use case has checked that the actor may, and why).
    async fn reveal(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<RevealedPersonalData>;
    /// A case's events in order, without scope (for workers and exchange endpoints).
    async fn case_events(&self, id: Uuid) -> Result<Vec<CaseEvent>>;
    /// The row of a case as stored, without scope (for replay checks and workers).
    async fn case_record(&self, id: Uuid) -> Result<Option<CaseRecord>>;
}
