//! Sealed values belong to their record: copied anywhere else, they do not open.

use num_tests::{sample_report, spawn_app};
use serde_json::json;
use shared::domain::ReportId;
use shared::ports::tables::{from_item, to_item};
use shared::ports::{Condition, EncryptionContext, KeyService, Table, Tables};
use shared::seal::{self, SealError, Sealer};
use shared::usecases::submit_report::ReportRecord;

async fn stored(app: &num_tests::TestApp, reference: &str) -> ReportRecord {
    let id = ReportId::parse(reference).unwrap();
    let item = app.local.tables.get(Table::Reports, &ReportRecord::key(&id)).await.unwrap().expect("the report is stored");
    from_item(item).unwrap()
}

#[tokio::test]
async fn a_stored_report_opens_under_its_own_record() {
    let app = spawn_app();
    let reference = app.post_json("/reports", &sample_report()).await.json()["reference"].as_str().unwrap().to_owned();
    let record = stored(&app, &reference).await;
    let report = record.open(app.local.tables.as_ref(), app.local.keys.as_ref()).await.expect("opens");
    assert_eq!(report.reporter.as_ref().unwrap().name.as_deref(), Some("Jade Whitfield"));
}

#[tokio::test]
async fn a_sealed_value_copied_onto_another_record_does_not_open() {
    let app = spawn_app();
    let a = app.post_json("/reports", &sample_report()).await.json()["reference"].as_str().unwrap().to_owned();
    let b = app.post_json("/reports", &sample_report()).await.json()["reference"].as_str().unwrap().to_owned();
    let rec_a = stored(&app, &a).await;
    let mut rec_b = stored(&app, &b).await;
    rec_b.sealed = rec_a.sealed.clone();
    app.local.tables.put(Table::Reports, to_item(&rec_b).unwrap(), Condition::Exists).await.unwrap();
    let rec_b = stored(&app, &b).await;
    assert!(matches!(rec_b.open(app.local.tables.as_ref(), app.local.keys.as_ref()).await, Err(SealError::WrongContext)));
    // The original still opens where it belongs.
    assert!(rec_a.open(app.local.tables.as_ref(), app.local.keys.as_ref()).await.is_ok());
}

#[tokio::test]
async fn a_value_sealed_for_one_kind_or_table_does_not_open_as_another() {
    let app = spawn_app();
    let keys: &dyn KeyService = app.local.keys.as_ref();
    let ctx = EncryptionContext::new("reports", "report", "R-AAAA-BBBB-CCCC");
    let sealed = Sealer::for_record(keys, ctx.clone()).await.unwrap().seal_bytes(b"private");
    assert_eq!(&seal::open_bytes(keys, &sealed, &ctx).await.unwrap()[..], b"private");
    for other in [
        EncryptionContext::new("alerts", "report", "R-AAAA-BBBB-CCCC"),
        EncryptionContext::new("reports", "case_note", "R-AAAA-BBBB-CCCC"),
        EncryptionContext::new("reports", "report", "R-AAAA-BBBB-CCCD"),
    ] {
        assert!(matches!(seal::open_bytes(keys, &sealed, &other).await, Err(SealError::WrongContext)), "{other:?}");
    }
}

#[tokio::test]
async fn a_tampered_sealed_value_does_not_open() {
    let app = spawn_app();
    let keys: &dyn KeyService = app.local.keys.as_ref();
    let ctx = EncryptionContext::new("reports", "report", "R-AAAA-BBBB-CCCC");
    let mut sealed = Sealer::for_record(keys, ctx.clone()).await.unwrap().seal_bytes(b"private");
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    assert!(seal::open_bytes(keys, &sealed, &ctx).await.is_err());
    assert!(matches!(seal::open_bytes(keys, &[9, 0, 1], &ctx).await, Err(SealError::Malformed)));
}

#[test]
fn the_master_key_is_created_private_and_a_loose_one_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    shared::adapters::LocalKeys::open_or_create(dir.path()).unwrap();
    let path = dir.path().join("master.key");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = shared::adapters::LocalKeys::open_or_create(dir.path()).err().expect("refused");
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

/// A key service that opens only what an IAM grant would let a function open: the listed (table, kind) contexts.
struct Granted {
    inner: std::sync::Arc<dyn KeyService>,
    kinds: Vec<(&'static str, &'static str)>,
}

#[async_trait::async_trait]
impl KeyService for Granted {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<shared::ports::DataKey, shared::ports::KeyError> {
        self.inner.generate_data_key(ctx).await
    }
    async fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        ctx: &EncryptionContext,
    ) -> Result<zeroize::Zeroizing<[u8; 32]>, shared::ports::KeyError> {
        let p = ctx.pairs();
        let (table, kind) = (p.get("table").map(String::as_str), p.get("kind").map(String::as_str));
        if !self.kinds.iter().any(|(t, k)| Some(*t) == table && Some(*k) == kind) {
            return Err(shared::ports::KeyError::Other(anyhow::anyhow!("AccessDeniedException: not granted {table:?}/{kind:?}")));
        }
        self.inner.decrypt_data_key(wrapped, ctx).await
    }
    async fn mac(&self, purpose: shared::ports::MacPurpose, message: &[u8]) -> Result<[u8; 32], shared::ports::KeyError> {
        self.inner.mac(purpose, message).await
    }
}

#[tokio::test]
async fn the_public_functions_grant_opens_a_published_alert_and_never_its_draft() {
    use shared::domain::AlertId;
    use shared::usecases::alerts::AlertRecord;

    let app = spawn_app();
    let res = app.post_json("/reports", &num_tests::labelled_case("28-leeds-parlour-maid-and-van")["report"]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    let id = AlertId::parse(list["alerts"][0]["alert_id"].as_str().unwrap()).unwrap();
    let read = |app: &num_tests::TestApp, id: AlertId| {
        let tables = app.local.tables.clone();
        async move { from_item::<AlertRecord>(tables.get(Table::Alerts, &AlertRecord::key(&id)).await.unwrap().unwrap()).unwrap() }
    };
    // What the members' page and the deliverer are granted in the template: published alerts only.
    let public = Granted { inner: app.local.keys.clone(), kinds: vec![("alerts", "published_alert")] };

    let draft = read(&app, id.clone()).await;
    assert!(draft.open(&public).await.is_err(), "the public grant opened a draft");
    assert!(draft.open(app.local.keys.as_ref()).await.is_ok(), "the reviewer's grant opens it");

    let published =
        app.staff("POST", &format!("/admin/alerts/{id}/publish"), "reviewer", Some(&json!({"regions": ["yorkshire-humber"]}))).await;
    assert_eq!(published.status, 200, "{}", published.text());
    let rec = read(&app, id.clone()).await;
    let alert = rec.open(&public).await.expect("the public grant opens the published alert");
    assert!(alert.summary.contains("Dazza"));
    // The published copy is sealed afresh: its sealed bytes differ from the draft's and do not open as a draft.
    assert_ne!(&rec.sealed[..], &draft.sealed[..]);
    let mut as_draft = rec.clone();
    as_draft.status = shared::usecases::alerts::AlertStatus::Draft;
    assert!(as_draft.open(app.local.keys.as_ref()).await.is_err(), "a published copy opened under the draft kind");
}
