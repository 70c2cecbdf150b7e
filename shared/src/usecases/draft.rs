//! The reports stream: each new report with consent to publish becomes a draft alert.

use async_trait::async_trait;

use crate::ports::stream::{Change, StreamEvent, StreamHandler, batch_failures};
use crate::ports::tables::{attr_str, from_item};
use crate::usecases::alerts::{AlertDeps, draft_alert};
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub struct SanitiseHandler {
    pub deps: AlertDeps,
}

#[async_trait]
impl StreamHandler for SanitiseHandler {
    /// Records in order; a failed one is reported by sequence number and the rest still run (drafting is
    /// idempotent, so the stream's retry of the ones after it changes nothing).
    async fn handle(&self, event: StreamEvent) -> aws_lambda_events::streams::DynamoDbEventResponse {
        let mut failed = Vec::new();
        for rec in &event.records {
            if Change::of(rec) != Some(Change::Insert) || attr_str(&rec.change.new_image, "kind") != Some(REPORT_KIND) {
                continue;
            }
            let result = async {
                let record: ReportRecord = from_item(rec.change.new_image.clone())?;
                draft_alert(&self.deps, &record).await
            }
            .await;
            if let Err(e) = result {
                tracing::error!(error.kind = %crate::error::Chain(&e), "drafting failed");
                failed.push(rec.change.sequence_number.clone().unwrap_or_default());
            }
        }
        batch_failures(failed)
    }
}
