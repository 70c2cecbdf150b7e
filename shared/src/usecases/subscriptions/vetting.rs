//! Vetting: a verified request waits for an office manager, who approves or declines it. Only an approved request is
//! in the region lists, so only an approved member gets alerts (an offender who verifies an address learns nothing).
//!
//! A waiting request is listed under one partition (`APPROVALS`), written when it starts to wait and deleted when it is
//! decided, so staff list the queue with one query and never read a contact.

use serde::{Deserialize, Serialize};

use super::lifecycle::{VerifyError, end_subscription, write_memberships_of};
use super::records::{SubscriptionRecord, get_subscription};
use super::{Channel, SubscriptionDeps, SubscriptionStatus};
use crate::domain::{Region, SubscriptionId};
use crate::ports::tables::{from_item, query_all, s, to_item};
use crate::ports::{Condition, Index, Key, Query, StoreError, Table, Tables, Update};

pub const APPROVAL_KIND: &str = "approval_request";

/// One request in the queue: what staff see (never a contact).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub regions: Vec<Region>,
    pub channels: Vec<Channel>,
    pub requested_at: String,
}

impl ApprovalRequest {
    pub const PARTITION: &'static str = "APPROVALS";

    pub fn key(id: &SubscriptionId) -> Key {
        Key::new(Self::PARTITION, format!("SUB#{id}"))
    }
}

/// Why a decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("there is no subscription with this id")]
    NotFound,
    /// Only a request waiting for approval can be approved or declined.
    #[error("the subscription is {0:?}, not waiting for approval")]
    NotWaiting(SubscriptionStatus),
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the contacts could not be opened or sealed again")]
    Contacts(#[source] VerifyError),
}

/// Puts a request that now waits in the queue (repeating it changes nothing).
pub(super) async fn enqueue(tables: &dyn Tables, rec: &SubscriptionRecord, at: &str) -> Result<(), StoreError> {
    let k = ApprovalRequest::key(&rec.subscription_id);
    let item = ApprovalRequest {
        pk: k.pk,
        sk: k.sk,
        kind: APPROVAL_KIND.into(),
        subscription_id: rec.subscription_id.clone(),
        regions: rec.regions.clone(),
        channels: rec.verified_channels(),
        requested_at: at.to_owned(),
    };
    match tables.put(Table::Subscribers, to_item(&item)?, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The requests waiting for approval, oldest first.
pub async fn pending_approvals(tables: &dyn Tables) -> Result<Vec<ApprovalRequest>, StoreError> {
    let mut q = Query::partition(Index::Primary, ApprovalRequest::PARTITION);
    q.limit = 1000;
    let mut all: Vec<ApprovalRequest> =
        query_all(tables, Table::Subscribers, q).await?.into_iter().map(from_item).collect::<Result<_, _>>()?;
    all.sort_by(|a, b| a.requested_at.cmp(&b.requested_at));
    Ok(all)
}

async fn waiting(deps: &SubscriptionDeps, id: &str) -> Result<SubscriptionRecord, DecisionError> {
    let id = SubscriptionId::parse(id).map_err(|_| DecisionError::NotFound)?;
    let rec = get_subscription(deps.tables.as_ref(), &id).await?.ok_or(DecisionError::NotFound)?;
    if rec.status != SubscriptionStatus::PendingApproval {
        return Err(DecisionError::NotWaiting(rec.status));
    }
    Ok(rec)
}

/// Approves a waiting request: it becomes active, joins its regions' lists, and (from the table's stream) the member
/// is told on their verified channels.
pub async fn approve(deps: &SubscriptionDeps, id: &str) -> Result<SubscriptionStatus, DecisionError> {
    let rec = waiting(deps, id).await?;
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let update = Update::default().set("status", SubscriptionStatus::Active).set("approved_at", s(now));
    let cond = Condition::Equals("status".into(), SubscriptionStatus::PendingApproval.as_attr());
    let item = match deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(&rec.subscription_id), update, cond).await {
        Ok(item) => item,
        Err(StoreError::ConditionFailed) => return Err(DecisionError::NotWaiting(SubscriptionStatus::Active)),
        Err(e) => return Err(e.into()),
    };
    let now_rec: SubscriptionRecord = from_item(item)?;
    write_memberships_of(deps, &now_rec).await.map_err(DecisionError::Contacts)?;
    deps.tables.delete(Table::Subscribers, &ApprovalRequest::key(&rec.subscription_id), Condition::Always).await?;
    tracing::info!(subscription_id = %rec.subscription_id, "membership approved");
    Ok(SubscriptionStatus::Active)
}

/// Declines a waiting request: its contacts are dropped as an ended subscription's are, and it is marked declined.
pub async fn decline(deps: &SubscriptionDeps, id: &str) -> Result<SubscriptionStatus, DecisionError> {
    let rec = waiting(deps, id).await?;
    end_subscription(deps.tables.as_ref(), &rec.subscription_id).await?;
    let update = Update::default().set("status", SubscriptionStatus::Declined);
    deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(&rec.subscription_id), update, Condition::Exists).await?;
    deps.tables.delete(Table::Subscribers, &ApprovalRequest::key(&rec.subscription_id), Condition::Always).await?;
    tracing::info!(subscription_id = %rec.subscription_id, "membership declined");
    Ok(SubscriptionStatus::Declined)
}
