//! A member submits a report.
//!
//! The whole report is sealed under a data key of its own before it reaches the table; the plain attributes are only
//! what queries and the pipeline need (id, status, times, town, categories, consent flags). The reporter gets a
//! reference and a passphrase; the passphrase is stored only as an argon2id hash.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::domain::status::ReportStatus;
use crate::domain::{Passphrase, Report, ReportId};
use crate::ports::tables::{AttributeValue, InsertOnly, Item, to_item};
use crate::ports::{Clock, EncryptionContext, KeyService, StoreError, Table};
use crate::seal::{self, Sealed, Sealer};

/// What submission is given: it may add a report and seal with a new data key, and nothing else (it never reads).
#[derive(Clone)]
pub struct SubmitDeps {
    pub tables: Arc<dyn InsertOnly>,
    pub keys: Arc<dyn KeyService>,
    pub clock: Arc<dyn Clock>,
}

/// What the reporter is told, once.
pub struct Receipt {
    pub reference: ReportId,
    pub passphrase: Passphrase,
}

pub const REPORT_KIND: &str = "report";

/// The stored form of a report. Everything a person wrote is inside `sealed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub report_id: ReportId,
    pub status: ReportStatus,
    pub received_at: String,
    pub incident_date: String,
    pub town: String,
    pub categories: Vec<String>,
    pub consent_publish_alert: bool,
    pub consent_share_with_police: bool,
    pub consent_caseworker_contact: bool,
    pub anonymous: bool,
    pub passphrase_hash: String,
    /// The whole report, sealed under the report's own data key.
    pub sealed: Sealed<Report>,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl ReportRecord {
    /// The index partition of every report, sorted by `{received_at}#{id}`.
    pub const LIST_PARTITION: &'static str = "REPORTS";

    pub fn key(id: &ReportId) -> crate::ports::Key {
        crate::ports::Key::new(format!("REPORT#{id}"), "REPORT")
    }

    pub fn context(id: &ReportId) -> EncryptionContext {
        EncryptionContext::new(Table::Reports.as_str(), REPORT_KIND, id.as_str())
    }

    /// Opens the sealed report (under the report's own key, or, for a report stored before reports had keys of
    /// their own, the key inside the envelope). Fails with `NoRecordKey` once the report's key was destroyed.
    pub async fn open(&self, tables: &dyn crate::ports::Tables, keys: &dyn KeyService) -> Result<Report, seal::SealError> {
        super::report_keys::open(tables, keys, &self.report_id, REPORT_KIND, &self.sealed, &Self::context(&self.report_id)).await
    }
}

/// Why a report was not stored. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("sealing the report failed")]
    Seal(#[from] seal::SealError),
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("hashing the passphrase failed")]
    Hashing(#[source] crate::domain::passphrase::HashError),
}

/// The byte-attribute serde helper now lives with sealing; this path stays for older callers.
pub use crate::seal::serde_bytes_b;

/// Seals and stores a parsed report. Nothing is written unless the whole report was sealed.
pub async fn submit_report(deps: &SubmitDeps, report: Report) -> Result<Receipt, SubmitError> {
    let id = ReportId::new();
    let passphrase = Passphrase::generate();
    let passphrase_hash =
        crate::domain::passphrase::HashSlots::global().hash(passphrase.hash_input()).await.map_err(SubmitError::Hashing)?;
    // The report's own key, in an item of its own, written first: destroying it at the end of the report's
    // retention period leaves nothing that opens the report.
    let report_key = super::report_keys::create(deps.tables.as_ref(), deps.keys.as_ref(), &id, REPORT_KIND).await?;
    let sealer = Sealer::under(&report_key, ReportRecord::context(&id));
    let now = deps.clock.now();
    let record = ReportRecord {
        pk: ReportRecord::key(&id).pk,
        sk: ReportRecord::key(&id).sk,
        kind: REPORT_KIND.into(),
        report_id: id.clone(),
        status: ReportStatus::Received,
        received_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        incident_date: report.incident.date.to_string(),
        // The town as the alert may publish it: the town as typed may hold an address or a name, and this attribute is
        // stored in the clear.
        town: crate::sanitiser::check_report_town(&report).town,
        categories: report.incident.categories.iter().map(|c| c.as_str().to_owned()).collect(),
        consent_publish_alert: report.consent.publish_alert,
        consent_share_with_police: report.consent.share_with_police,
        consent_caseworker_contact: report.consent.caseworker_contact,
        anonymous: report.is_anonymous(),
        passphrase_hash,
        sealed: Sealed::seal(&sealer, &report),
        gsi1pk: ReportRecord::LIST_PARTITION.into(),
        gsi1sk: format!("{}#{id}", now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    };
    drop(report);
    let item: Item = to_item(&record)?;
    debug_assert!(matches!(item.get("sealed"), Some(AttributeValue::B(_))));
    deps.tables.insert(Table::Reports, item).await?;
    tracing::info!(report_id = %id, categories = record.categories.len(), anonymous = record.anonymous, "report received");
    Ok(Receipt { reference: id, passphrase })
}
