//! Retention: a run on dated records deletes exactly what the policy says and nothing else, on the embedded tables
//! and on the AWS adapters against the emulator; a deleted report's sealed bytes, kept aside, no longer open; the
//! README's table is the policy's.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use num_tests::aws::aws_backend;
use num_tests::sample_report;
use shared::adapters::LocalKeys;
use shared::adapters::aws::{DynamoTables, KmsKeys};
use shared::adapters::sqlite::SqliteTables;
use shared::domain::{Report, ReportId};
use shared::ports::tables::{AttributeValue, Item, from_item, s};
use shared::ports::{Clock, Condition, FixedClock, Key, KeyService, Table};
use shared::seal::{self, SealError};
use shared::usecases::Deps;
use shared::usecases::alerts::{Drafted, draft_alert, reject};
use shared::usecases::casework::{self, CaseOutcome, NewEntry};
use shared::usecases::police::{PACKAGE_KIND, PackageRecord};
use shared::usecases::retention::{self, CLOSED_CASE_DAYS, REJECTED_REPORT_DAYS, UNCASED_REPORT_DAYS};
use shared::usecases::submit_report::{ReportRecord, SubmitDeps, submit_report};
use shared::usecases::thread::{self, Author, MessageRecord};
use shared::usecases::{audit, link_requests, report_keys};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z").unwrap().with_timezone(&Utc)
}

fn parsed_report(clock: &dyn Clock) -> Report {
    Report::from_json(&serde_json::to_vec(&sample_report()).unwrap(), clock.today_local()).expect("the sample report parses")
}

async fn submit(deps: &Deps) -> ReportId {
    let submit =
        SubmitDeps { tables: shared::ports::tables::insert_only(deps.tables.clone()), keys: deps.keys.clone(), clock: deps.clock.clone() };
    submit_report(&submit, parsed_report(deps.clock.as_ref())).await.expect("the report is stored").reference
}

async fn report_item(deps: &Deps, id: &ReportId) -> Option<Item> {
    deps.tables.get(Table::Reports, &ReportRecord::key(id)).await.unwrap()
}

/// A report with a case worked and closed now: a note, a message each way, a police link request, a police package
/// and a safeguarding override asked for.
async fn worked_and_closed(deps: &Deps) -> (ReportId, PackageRecord) {
    let id = submit(deps).await;
    casework::open_case(deps, &id, "cw-one").await.unwrap();
    casework::add_entry(deps, &id, "cw-one", NewEntry::Note { text: "Spoke to her; she is safe at her sister's.".into() }).await.unwrap();
    thread::add_message(deps, &id, Author::Caseworker, "Are you safe to talk?").await.unwrap();
    thread::add_message(deps, &id, Author::Reporter, "Yes, after six.").await.unwrap();
    let link = link_requests::NewLink {
        force: "West Yorkshire Police".into(),
        reference: "WYP-2026-0042".into(),
        asks: "Whether she would speak to an officer about the same man.".into(),
        deadline: "2026-02-01".into(),
    };
    link_requests::record(deps, &id, "cw-one", link).await.unwrap();
    let package = shared::usecases::police::build(deps, &id, "cw-one", None).await.expect("she consented to police sharing");
    shared::usecases::safeguarding::request(deps, &id, "cw-one", Some("He said he would come back for her sister."), true, None)
        .await
        .unwrap();
    casework::close(deps, &id, "cw-one", CaseOutcome::Supported, Some("Closed after a referral.")).await.unwrap();
    (id, package)
}

fn delivery(alert: &str, sub: &str, expires_at: i64) -> Item {
    let mut i = Item::default();
    i.insert("pk".into(), s(format!("DELIVERIES#{alert}#0")));
    i.insert("sk".into(), s(format!("email#{sub}")));
    i.insert("kind".into(), s("delivery"));
    i.insert("expires_at".into(), AttributeValue::N(expires_at.to_string()));
    i
}

/// The scenario on one backend. `ttl_by_run`: whether the run itself removes what the tables' TTL would (embedded).
async fn a_retention_run_deletes_what_the_policy_says_and_kept_bytes_no_longer_open(deps: Deps, clock: Arc<FixedClock>, ttl_by_run: bool) {
    let tables = deps.tables.as_ref();
    let keys: &dyn KeyService = deps.keys.as_ref();

    // Day 0: case A is worked and closed; E is drafted and its draft rejected; D has no case.
    let (a, kept_package) = worked_and_closed(&deps).await;
    let e = submit(&deps).await;
    let rec_e: ReportRecord = from_item(report_item(&deps, &e).await.unwrap()).unwrap();
    let Drafted::Created(alert_e) = draft_alert(&deps, &rec_e).await.unwrap() else { panic!("drafted") };
    reject(&deps, &alert_e, "Names the flat she works from.", "rev-one").await.unwrap();
    let d = submit(&deps).await;
    // Deliveries written on day 0 (30 days to live) and day 340 (still inside on the run).
    tables.put(Table::Alerts, delivery("A1", "S1", (start() + Duration::days(30)).timestamp()), Condition::Always).await.unwrap();
    tables.put(Table::Alerts, delivery("A1", "S2", (start() + Duration::days(30)).timestamp()), Condition::Always).await.unwrap();

    // Day 2: case B closed, a day later than A, so on the run it is one day inside its period. C stays open.
    clock.advance(Duration::days(2));
    let (b, _) = worked_and_closed(&deps).await;
    let c = submit(&deps).await;
    casework::open_case(&deps, &c, "cw-one").await.unwrap();
    clock.advance(Duration::days(338));
    tables.put(Table::Alerts, delivery("A2", "S1", (clock.now() + Duration::days(30)).timestamp()), Condition::Always).await.unwrap();

    // Kept aside before the run: A's report and a message of A, raw, as a backup or a copied table would hold them.
    let kept_report: ReportRecord = from_item(report_item(&deps, &a).await.unwrap()).unwrap();
    assert_eq!(seal::version(&kept_report.sealed), Some(2), "a new report is sealed under its own key, none inside");
    assert!(kept_report.open(tables, keys).await.is_ok(), "it opens while its key exists");
    let mut q = shared::ports::Query::partition(shared::ports::Index::Primary, format!("REPORT#{a}"));
    q.sort = shared::ports::SortCondition::BeginsWith("MSG#".into());
    let kept_message: MessageRecord =
        from_item(shared::ports::tables::query_all(tables, Table::Reports, q).await.unwrap().remove(0)).unwrap();

    // Day 1 + 365 after A closed: A is one day past its period, B one day inside.
    clock.advance(Duration::days(CLOSED_CASE_DAYS - 340 + 1));
    assert!(clock.now() - start() > Duration::days(REJECTED_REPORT_DAYS));
    let started = std::time::Instant::now();
    let done = retention::run(&deps).await.expect("the run completes");
    let took = started.elapsed();

    let mut expected: BTreeMap<String, usize> = [
        ("report", 2),                // A's and E's reports
        ("message", 3),               // A's two messages and the one asking her about the police request
        ("case_entry", 2),            // A's note and closing note
        ("link_request", 1),          // A's police request
        ("police_package", 1),        // A's police package
        ("safeguarding_override", 1), // A's override request
        // A: report, message, case_note, link_request, police_package, override_reason; E: report (and none else)
        ("report_key", 7),
        ("reporter_notice", 1), // the notice waiting to tell A's reporter a caseworker wrote
        ("alert", 1),           // E's rejected draft
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    if ttl_by_run {
        expected.insert("expired (alerts)".into(), 2);
    }
    println!("retention run ({}): {:?} in {took:?}", if ttl_by_run { "embedded" } else { "aws" }, done.deleted);
    assert_eq!(done.deleted, expected);
    assert_eq!((done.closed_cases, done.rejected_reports), (1, 1));

    // What is kept: A's case item (no content), B (inside its period), C (open case), D (no case, inside its 455 days),
    // the fresh delivery.
    let case_a = tables.get(Table::Reports, &casework::CaseRecord::key(&a)).await.unwrap().expect("A's case item stays");
    assert!(case_a.contains_key(retention::PRIVATE_DELETED_AT));
    assert!(report_item(&deps, &a).await.is_none() && report_item(&deps, &e).await.is_none());
    for kept in [&b, &c, &d] {
        let rec: ReportRecord = from_item(report_item(&deps, kept).await.expect("kept")).unwrap();
        assert!(rec.open(tables, keys).await.is_ok(), "{kept} still opens");
    }
    assert_eq!(casework::get_case(&deps, &b).await.unwrap().entries.len(), 2, "B's note and closing note are kept");
    assert_eq!(thread::messages(&deps, &b).await.unwrap().len(), 3);
    let fresh = Key::new("DELIVERIES#A2#0", "email#S1");
    assert!(tables.get(Table::Alerts, &fresh).await.unwrap().is_some());
    let old = Key::new("DELIVERIES#A1#0", "email#S1");
    assert_eq!(
        tables.get(Table::Alerts, &old).await.unwrap().is_none(),
        ttl_by_run,
        "expired deliveries: the run locally, TTL in the cloud"
    );

    // The bytes kept aside no longer open: the report's keys are gone with it.
    assert!(report_keys::load(tables, keys, &a, "report").await.unwrap().is_none());
    assert!(matches!(kept_report.open(tables, keys).await, Err(SealError::NoRecordKey)));
    let ctx = MessageRecord::context(&a, &kept_message.message_id);
    assert!(matches!(
        report_keys::open(tables, keys, &a, thread::MESSAGE_KIND, &kept_message.sealed, &ctx).await,
        Err(SealError::NoRecordKey)
    ));
    let ctx = PackageRecord::context(&kept_package.package_id);
    assert_eq!(seal::version(&kept_package.content_sealed), Some(2));
    assert!(matches!(
        report_keys::open(tables, keys, &a, PACKAGE_KIND, &kept_package.content_sealed, &ctx).await,
        Err(SealError::NoRecordKey)
    ));
    // Nor with a key made afresh for the same report and kind (a new key is a new key).
    let fresh_key = report_keys::get_or_create(tables, keys, &a, "report").await.unwrap();
    assert!(kept_report.sealed.open_in(keys, Some(&fresh_key), &ReportRecord::context(&a)).await.is_err());
    report_keys::destroy(tables, &a).await.unwrap();

    // Every deletion is in the audit log as a kind and a count, and no report's id is there.
    let entries = audit::read(tables, 0, 100).await.unwrap();
    let logged: Vec<&str> = entries.iter().filter(|e| e.action == "retention.delete").map(|e| e.target.as_str()).collect();
    assert_eq!(logged.len(), expected.len(), "{logged:?}");
    assert!(logged.contains(&"report:2") && logged.contains(&"report_key:7"), "{logged:?}");
    for id in [&a, &e] {
        assert!(entries.iter().all(|x| !x.target.contains(id.as_str())));
    }

    // A second run finds nothing more.
    let again = retention::run(&deps).await.unwrap();
    assert_eq!(again.total(), 0, "{:?}", again.deleted);
}

/// Fresh embedded tables and keys in `dir`, on a clock set at the start.
fn embedded(dir: &tempfile::TempDir) -> (Deps, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(start()));
    let deps = Deps {
        tables: Arc::new(SqliteTables::open(dir.path()).unwrap()),
        keys: Arc::new(LocalKeys::open_or_create(dir.path()).unwrap()),
        clock: clock.clone(),
    };
    (deps, clock)
}

/// Fresh tables and keys on moto (the audit key too: the run writes the audit log), on a clock set at the start.
async fn on_aws() -> (Deps, Arc<FixedClock>) {
    let b = aws_backend().await;
    let clock = Arc::new(FixedClock::at(start()));
    let deps = Deps {
        tables: Arc::new(DynamoTables::new(b.client.clone(), b.names.clone())),
        keys: Arc::new(
            KmsKeys::new(b.client.clone(), b.data_key_id.clone(), Some(b.mac_key_id.clone())).with_audit_key(b.audit_key_id.clone()),
        ),
        clock: clock.clone(),
    };
    (deps, clock)
}

/// A report that never had a case goes its period after receipt (here one never drafted, as when she did not consent
/// to an alert); one received two days later stays, one day inside.
async fn a_report_without_a_case_goes_its_period_after_receipt(deps: Deps, clock: Arc<FixedClock>) {
    let (tables, keys): (&dyn shared::ports::Tables, &dyn KeyService) = (deps.tables.as_ref(), deps.keys.as_ref());
    let f = submit(&deps).await;
    let kept_aside: ReportRecord = from_item(report_item(&deps, &f).await.unwrap()).unwrap();
    clock.advance(Duration::days(2));
    let g = submit(&deps).await;
    clock.advance(Duration::days(UNCASED_REPORT_DAYS - 2 + 1));
    let done = retention::run(&deps).await.expect("the run completes");
    let expected: BTreeMap<String, usize> = [("report".to_owned(), 1), ("report_key".to_owned(), 1)].into_iter().collect();
    assert_eq!(done.deleted, expected);
    assert_eq!((done.uncased_reports, done.closed_cases, done.rejected_reports), (1, 0, 0));
    assert!(report_item(&deps, &f).await.is_none());
    assert!(matches!(kept_aside.open(tables, keys).await, Err(SealError::NoRecordKey)), "F's bytes kept aside no longer open");
    let rec: ReportRecord = from_item(report_item(&deps, &g).await.expect("G is kept")).unwrap();
    assert!(rec.open(tables, keys).await.is_ok(), "G, one day inside its period, still opens");
    assert_eq!(retention::run(&deps).await.unwrap().total(), 0, "a second run finds nothing more");
}

#[tokio::test]
async fn on_the_embedded_tables_a_report_without_a_case_goes_its_period_after_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let (deps, clock) = embedded(&dir);
    a_report_without_a_case_goes_its_period_after_receipt(deps, clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_a_report_without_a_case_goes_its_period_after_receipt() {
    let (deps, clock) = on_aws().await;
    a_report_without_a_case_goes_its_period_after_receipt(deps, clock).await;
}

#[tokio::test]
async fn on_the_embedded_tables_a_retention_run_deletes_exactly_what_the_policy_says_and_kept_bytes_no_longer_open() {
    let dir = tempfile::tempdir().unwrap();
    let (deps, clock) = embedded(&dir);
    a_retention_run_deletes_what_the_policy_says_and_kept_bytes_no_longer_open(deps, clock, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_a_retention_run_deletes_exactly_what_the_policy_says_and_kept_bytes_no_longer_open() {
    let (deps, clock) = on_aws().await;
    a_retention_run_deletes_what_the_policy_says_and_kept_bytes_no_longer_open(deps, clock, false).await;
}

#[test]
fn the_readme_retention_table_is_the_policy() {
    let readme = std::fs::read_to_string(num_tests::corpus::repo().join("README.md")).unwrap();
    let (begin, end) = ("<!-- retention-table:begin -->\n", "<!-- retention-table:end -->");
    let from = readme.find(begin).expect("the README marks its retention table") + begin.len();
    let to = readme[from..].find(end).expect("the README marks the table's end") + from;
    assert_eq!(&readme[from..to], retention::markdown_table(), "regenerate the README's table from usecases::retention::POLICY");
}
