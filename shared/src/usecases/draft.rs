//! The reports stream: each new report with consent to publish becomes a draft alert.

use async_trait::async_trait;

use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{attr_str, from_item};
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::alerts::{AlertDeps, draft_alert};
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub struct SanitiseHandler {
    pub deps: AlertDeps,
}

#[async_trait]
impl RecordHandler for SanitiseHandler {
    /// Reports are independent of each other; drafting is idempotent (the alert id is derived from the report).
    fn concurrency(&self) -> usize {
        4
    }

    async fn handle_record(&self, rec: &StreamRecord) -> Result<(), RecordError> {
        if Change::of(rec) != Some(Change::Insert) || attr_str(&rec.change.new_image, "kind") != Some(REPORT_KIND) {
            return Ok(());
        }
        let record: ReportRecord = from_item(rec.change.new_image.clone())?;
        draft_alert(&self.deps, &record).await?;
        Ok(())
    }
}
