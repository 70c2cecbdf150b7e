//! Consent, police packages and the safeguarding override, through the staff API's one handler, on both backends:
//! the embedded ones (SQLite, local keys) and the AWS ones on moto (DynamoDB, KMS). Every disclosure is checked
//! against the consent ledger at the moment it happens, and fails closed.
//!
//! `police::embedded::*` and `police::aws::*` are the same tests; the AWS ones fail (never skip) without moto.

use std::sync::Arc;

use num_tests::aws::aws_backend;
use num_tests::sample_report;
use serde_json::{Value, json};
use shared::adapters::{LocalKeys, SqliteTables};
use shared::domain::Report;
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::ports::{Clock, FixedClock, KeyService, Tables};
use shared::ratelimit::Limiter;
use shared::staff::Role;
use shared::usecases::Deps;
use shared::usecases::police::{self, Export};
use shared::usecases::submit_report::{SubmitDeps, submit_report};

pub struct Sys {
    pub admin: AdminDeps,
    pub submit: SubmitDeps,
    _dir: Option<tempfile::TempDir>,
    _aws: Option<Box<num_tests::aws::AwsBackend>>,
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at(chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap().with_timezone(&chrono::Utc)))
}

fn sys(tables: Arc<dyn Tables>, keys: Arc<dyn KeyService>) -> Sys {
    let c: Arc<dyn Clock> = clock();
    Sys {
        submit: SubmitDeps { tables: shared::ports::tables::insert_only(tables.clone()), keys: keys.clone(), clock: c.clone() },
        admin: AdminDeps { tables, keys, clock: c, auth: StaffAuth::Authorizer, limiter: Arc::new(Limiter::default()) },
        _dir: None,
        _aws: None,
    }
}

pub async fn embedded() -> Sys {
    let dir = tempfile::tempdir().unwrap();
    let keys: Arc<dyn KeyService> = Arc::new(LocalKeys::open_or_create(dir.path()).unwrap());
    let mut s = sys(Arc::new(SqliteTables::in_memory().unwrap()), keys);
    s._dir = Some(dir);
    s
}

pub async fn aws() -> Sys {
    let b = aws_backend().await;
    let mut s = sys(Arc::new(b.tables.clone()), Arc::new(b.keys.clone()));
    s._aws = Some(Box::new(b));
    s
}

impl Sys {
    pub fn deps(&self) -> Deps {
        Deps { tables: self.admin.tables.clone(), keys: self.admin.keys.clone(), clock: self.admin.clock.clone() }
    }

    /// A staff request as `who` (a named person) of `role`.
    pub async fn staff(&self, who: &str, role: Role, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let res = num_tests::as_staff(&self.admin, who, role, method, path, body).await;
        let v = serde_json::from_slice(res.body()).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(res.body()).into_owned()));
        (res.status().as_u16(), v)
    }

    pub async fn submit(&self, report: Value) -> String {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let r = Report::from_value(report, today).unwrap();
        submit_report(&self.submit, r).await.unwrap().reference.to_string()
    }

    async fn audit_actions(&self) -> Vec<String> {
        let (st, v) = self.staff("auditor", Role::Admin, "GET", "/admin/audit?limit=1000", None).await;
        assert_eq!(st, 200, "{v}");
        v["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
    }
}

fn report_with_police(share: bool) -> Value {
    let mut r = sample_report();
    r["consent"]["share_with_police"] = json!(share);
    r
}

const ANA: &str = "ana";
const BEN: &str = "ben";
const CW: Role = Role::Caseworker;

async fn build(s: &Sys, id: &str, by: &str) -> (u16, Value) {
    s.staff(by, CW, "POST", &format!("/admin/reports/{id}/police-package"), None).await
}

// ---------------------------------------------------------------------------------------------------------------

async fn a_package_without_consent_is_refused_and_nothing_is_built(s: Sys) {
    let id = s.submit(report_with_police(false)).await;
    let (st, v) = build(&s, &id, ANA).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "no_consent");
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    assert_eq!(log["disclosures"].as_array().unwrap().len(), 0);
    // The attempt itself is in the audit log.
    assert!(s.audit_actions().await.contains(&"build_police_package".to_owned()));
}

async fn a_package_built_and_approved_by_the_same_person_is_refused(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let (st, v) = build(&s, &id, ANA).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["status"], "awaiting_approval");
    let pid = v["package_id"].as_str().unwrap().to_owned();
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "same_person");
    // Not exportable: it was never approved.
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/police-packages/{pid}/export"), Some(&json!({"recipient": "SCAS"}))).await;
    assert_eq!(st, 409, "{v}");
    let (st, v) = s.staff(BEN, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "approved");
}

async fn consent_withdrawn_between_build_and_approval_stops_the_approval(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let (st, v) = build(&s, &id, ANA).await;
    assert_eq!(st, 201, "{v}");
    let pid = v["package_id"].as_str().unwrap().to_owned();
    // The reporter says no on the phone; a caseworker records it with a note.
    let change = json!({"consent": {"share_with_police": false}, "how": "phone", "note": "Rang at 10:05, asked us not to share."});
    let (st, v) = s.staff(BEN, CW, "POST", &format!("/admin/reports/{id}/consent"), Some(&change)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["consent"]["share_with_police"], false);
    let (st, v) = s.staff(BEN, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "no_consent");
    let (_, p) = s.staff(ANA, CW, "GET", &format!("/admin/police-packages/{pid}"), None).await;
    assert_eq!(p["status"], "awaiting_approval");
    // The ledger shows both entries, who recorded the withdrawal, how, and the note.
    let (st, l) = s.staff(ANA, CW, "GET", &format!("/admin/reports/{id}/consent"), None).await;
    assert_eq!(st, 200, "{l}");
    let h = l["history"].as_array().unwrap();
    assert_eq!(h.len(), 2, "{l}");
    assert_eq!(h[0]["how"], "report_form");
    assert_eq!(h[1]["who"], BEN);
    assert_eq!(h[1]["how"], "phone");
    assert_eq!(h[1]["note"], "Rang at 10:05, asked us not to share.");
}

async fn consent_withdrawn_after_approval_stops_the_export(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let (_, v) = build(&s, &id, ANA).await;
    let pid = v["package_id"].as_str().unwrap().to_owned();
    let (st, _) = s.staff(BEN, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!(st, 200);
    let change = json!({"consent": {"share_with_police": false}, "how": "in_person", "note": "Said no at the drop-in."});
    let (st, _) = s.staff(BEN, CW, "POST", &format!("/admin/reports/{id}/consent"), Some(&change)).await;
    assert_eq!(st, 200);
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/police-packages/{pid}/export"), Some(&json!({"recipient": "SCAS"}))).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "no_consent");
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    assert!(log["disclosures"].as_array().unwrap().is_empty());
}

async fn an_approved_package_is_exported_signed_numbered_and_logged(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let (_, v) = build(&s, &id, ANA).await;
    let pid = v["package_id"].as_str().unwrap().to_owned();
    let (_, p) = s.staff(ANA, CW, "GET", &format!("/admin/police-packages/{pid}"), None).await;
    let content = p["content"].to_string();
    for keep in ["Gaz", "YD19KQT", "gaz@example.net", "Leeds"] {
        assert!(content.contains(keep), "{keep} missing: {content}");
    }
    for gone in ["Jade", "Whitfield", "Scarlett", "scarlett@example.com", "Velvet", "Kirkgate", "Room 3", "parlour"] {
        assert!(!content.contains(gone), "{gone} leaked: {content}");
    }
    s.staff(BEN, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/police-packages/{pid}/export"), Some(&json!({"recipient": "SCAS"}))).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "exported");
    let number = v["disclosure_number"].as_str().unwrap().to_owned();
    assert_eq!(number, "D-2026-000001");
    let export: Export = serde_json::from_value(json!({"document": v["document"], "signature": v["signature"]})).unwrap();
    assert!(police::verify(s.admin.keys.as_ref(), &export).await.unwrap(), "the signature checks");
    let mut changed = export.clone();
    changed.document["content"]["offender"]["names_used"] = json!(["Someone Else"]);
    assert!(!police::verify(s.admin.keys.as_ref(), &changed).await.unwrap(), "a changed document fails the check");
    // The printable page, the same document.
    let (st, page) = s.staff(ANA, CW, "GET", &format!("/admin/police-packages/{pid}/print"), None).await;
    assert_eq!(st, 200);
    let page = page.as_str().unwrap().to_owned();
    assert!(page.contains(&number) && page.contains("YD19KQT") && !page.contains("Whitfield"), "{page}");
    // The log: what went to whom, when, on what basis, by whom.
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    let d = &log["disclosures"].as_array().unwrap()[0];
    assert_eq!(d["disclosure_number"], number.as_str());
    assert_eq!(d["recipient"], "SCAS");
    assert_eq!(d["package_id"], pid.as_str());
    assert_eq!(d["basis"], "consent");
    assert_eq!((d["by"].as_str(), d["approved_by"].as_str()), (Some(ANA), Some(BEN)));
    let actions = s.audit_actions().await;
    for a in ["build_police_package", "read_police_package", "approve_police_package", "export_police_package", "print_police_package"] {
        assert!(actions.contains(&a.to_owned()), "{a} not audited: {actions:?}");
    }
}

async fn an_override_without_a_second_approver_does_nothing(s: Sys) {
    let id = s.submit(report_with_police(false)).await;
    let body = json!({"reason": "He named her home street and said he would come tonight with a knife.", "tell_reporter": true});
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/safeguarding-overrides"), Some(&body)).await;
    assert_eq!(st, 201, "{v}");
    let oid = v["override_id"].as_str().unwrap().to_owned();
    // Alone it allows nothing.
    let over = json!({"override_id": oid});
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/police-package"), Some(&over)).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "override_not_approved");
    // A caseworker is not senior; the one who asked may not approve it even as an admin.
    let (st, _) = s.staff(BEN, CW, "POST", &format!("/admin/safeguarding-overrides/{oid}/approve"), None).await;
    assert_eq!(st, 403);
    let (st, v) = s.staff(ANA, Role::Admin, "POST", &format!("/admin/safeguarding-overrides/{oid}/approve"), None).await;
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "same_person");
    let (_, o) = s.staff(ANA, CW, "GET", &format!("/admin/safeguarding-overrides/{oid}"), None).await;
    assert_eq!(o["status"], "awaiting_approval");
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    assert!(log["disclosures"].as_array().unwrap().is_empty());

    // With a senior second approver it is the basis, logged as such, and the reporter is told afterwards.
    let (st, v) = s.staff("cara", Role::Admin, "POST", &format!("/admin/safeguarding-overrides/{oid}/approve"), None).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/police-package"), Some(&over)).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["basis"], "safeguarding_override");
    let pid = v["package_id"].as_str().unwrap().to_owned();
    s.staff(BEN, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    let (st, v) = s
        .staff(ANA, CW, "POST", &format!("/admin/police-packages/{pid}/export"), Some(&json!({"recipient": "West Yorkshire Police"})))
        .await;
    assert_eq!(st, 200, "{v}");
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    let d = &log["disclosures"].as_array().unwrap()[0];
    assert_eq!(d["basis"], "safeguarding_override");
    assert_eq!(d["override_id"], oid.as_str());
    let (_, m) = s.staff(ANA, CW, "GET", &format!("/admin/reports/{id}/messages"), None).await;
    let msgs = m["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{m}");
    assert!(msgs[0]["text"].as_str().unwrap().contains("serious harm"));
}

async fn an_override_that_would_endanger_by_telling_records_why_and_tells_nobody(s: Sys) {
    let id = s.submit(report_with_police(false)).await;
    let body = json!({"reason": "Risk to a child in the house; police need it today.", "tell_reporter": false});
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/safeguarding-overrides"), Some(&body)).await;
    assert_eq!(st, 400, "a reason for not telling is required: {v}");
    assert_eq!(v["error"]["field"], "not_told_reason");
    let body = json!({"reason": "Risk to a child in the house; police need it today.", "tell_reporter": false,
                      "not_told_reason": "He reads her phone; a message would warn him."});
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/safeguarding-overrides"), Some(&body)).await;
    assert_eq!(st, 201, "{v}");
    let oid = v["override_id"].as_str().unwrap().to_owned();
    s.staff("cara", Role::Admin, "POST", &format!("/admin/safeguarding-overrides/{oid}/approve"), None).await;
    let (_, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/police-package"), Some(&json!({"override_id": oid}))).await;
    let pid = v["package_id"].as_str().unwrap().to_owned();
    s.staff(BEN, CW, "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    let (st, _) = s.staff(ANA, CW, "POST", &format!("/admin/police-packages/{pid}/export"), Some(&json!({"recipient": "SCAS"}))).await;
    assert_eq!(st, 200);
    let (_, m) = s.staff(ANA, CW, "GET", &format!("/admin/reports/{id}/messages"), None).await;
    assert!(m["messages"].as_array().unwrap().is_empty(), "{m}");
    let (_, o) = s.staff(ANA, CW, "GET", &format!("/admin/safeguarding-overrides/{oid}"), None).await;
    assert_eq!(o["not_told_reason"], "He reads her phone; a message would warn him.");
    assert!(o.get("reporter_told_at").is_none());
}

async fn a_consent_answer_recorded_by_staff_needs_a_note(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let change = json!({"consent": {"share_with_police": false}, "how": "phone"});
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/consent"), Some(&change)).await;
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "note_needed");
    let (_, l) = s.staff(ANA, CW, "GET", &format!("/admin/reports/{id}/consent"), None).await;
    assert_eq!(l["consent"]["share_with_police"], true);
    assert!(l["history"].as_array().unwrap().is_empty());
    // A reviewer or an office manager never reads it.
    for role in [Role::Reviewer, Role::OfficeManager] {
        let (st, _) = s.staff("x", role, "GET", &format!("/admin/reports/{id}/consent"), None).await;
        assert_eq!(st, 403);
    }
}

async fn a_police_link_request_asks_the_reporter_and_releases_identity_only_with_consent_and_two_people(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let ask = json!({"force": "West Yorkshire Police", "reference": "WYP-13/55120/26", "asks": "Name and phone of the reporter, to take a statement.", "deadline": "2026-11-20"});
    let (st, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/link-requests"), Some(&ask)).await;
    assert_eq!(st, 201, "{v}");
    let rid = v["request_id"].as_str().unwrap().to_owned();
    // The reporter is asked in the thread.
    let (_, m) = s.staff(ANA, CW, "GET", &format!("/admin/reports/{id}/messages"), None).await;
    assert!(m["messages"][0]["text"].as_str().unwrap().contains("Police have linked your report"), "{m}");
    // Its deadline has passed (the clock says 23 November): the scheduled step finds it.
    let overdue = shared::usecases::link_requests::overdue_requests(&s.deps()).await.unwrap();
    assert_eq!(overdue.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(), vec![rid.as_str()]);
    let base = format!("/admin/reports/{id}/link-requests/{rid}");
    // No identity consent yet: nothing is released.
    let (st, v) = s.staff(ANA, CW, "POST", &format!("{base}/release"), None).await;
    assert_eq!((st, v["error"]["code"].clone()), (409, json!("no_consent")), "{v}");
    let yes = json!({"consent": {"share_identity_with_police": true}, "how": "phone", "note": "Rang back, happy for WYP to call her."});
    let (st, _) = s.staff(BEN, CW, "POST", &format!("/admin/reports/{id}/consent"), Some(&yes)).await;
    assert_eq!(st, 200);
    let (st, v) = s.staff(ANA, CW, "POST", &format!("{base}/release"), None).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.staff(ANA, CW, "POST", &format!("{base}/approve-release"), None).await;
    assert_eq!((st, v["error"]["code"].clone()), (409, json!("same_person")), "{v}");
    let (st, v) = s.staff(BEN, CW, "POST", &format!("{base}/approve-release"), None).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["identity"]["name"], "Jade Whitfield");
    assert_eq!(v["status"], "released");
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    let d = &log["disclosures"].as_array().unwrap()[0];
    assert_eq!((d["what"].as_str(), d["recipient"].as_str()), (Some("identity"), Some("West Yorkshire Police")));
    // Released: no longer flagged.
    assert!(shared::usecases::link_requests::overdue_requests(&s.deps()).await.unwrap().is_empty());
    let (_, l) = s.staff(ANA, CW, "GET", &format!("/admin/reports/{id}/link-requests"), None).await;
    assert_eq!(l["link_requests"][0]["force"], "West Yorkshire Police");
    assert_eq!(l["link_requests"][0]["overdue"], false);
}

async fn identity_consent_withdrawn_after_the_release_was_asked_stops_it(s: Sys) {
    let id = s.submit(report_with_police(true)).await;
    let ask = json!({"force": "Police Scotland", "reference": "PS-1", "asks": "Her name, to link two cases.", "deadline": "2026-12-31"});
    let (_, v) = s.staff(ANA, CW, "POST", &format!("/admin/reports/{id}/link-requests"), Some(&ask)).await;
    let rid = v["request_id"].as_str().unwrap().to_owned();
    assert!(shared::usecases::link_requests::overdue_requests(&s.deps()).await.unwrap().is_empty(), "not yet due");
    let yes = json!({"consent": {"share_identity_with_police": true}, "how": "phone", "note": "Said yes."});
    s.staff(BEN, CW, "POST", &format!("/admin/reports/{id}/consent"), Some(&yes)).await;
    let base = format!("/admin/reports/{id}/link-requests/{rid}");
    assert_eq!(s.staff(ANA, CW, "POST", &format!("{base}/release"), None).await.0, 200);
    let no = json!({"consent": {"share_with_police": false}, "how": "phone", "note": "Changed her mind: nothing to police."});
    s.staff(BEN, CW, "POST", &format!("/admin/reports/{id}/consent"), Some(&no)).await;
    let (st, v) = s.staff(BEN, CW, "POST", &format!("{base}/approve-release"), None).await;
    assert_eq!((st, v["error"]["code"].clone()), (409, json!("no_consent")), "{v}");
    let (_, log) = s.staff(ANA, CW, "GET", "/admin/disclosures", None).await;
    assert!(log["disclosures"].as_array().unwrap().is_empty());
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::embedded().await).await
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::aws().await).await
                }
            )*
        }
    };
}

both_backends!(
    a_package_without_consent_is_refused_and_nothing_is_built,
    a_package_built_and_approved_by_the_same_person_is_refused,
    consent_withdrawn_between_build_and_approval_stops_the_approval,
    consent_withdrawn_after_approval_stops_the_export,
    an_approved_package_is_exported_signed_numbered_and_logged,
    an_override_without_a_second_approver_does_nothing,
    an_override_that_would_endanger_by_telling_records_why_and_tells_nobody,
    a_consent_answer_recorded_by_staff_needs_a_note,
    a_police_link_request_asks_the_reporter_and_releases_identity_only_with_consent_and_two_people,
    identity_consent_withdrawn_after_the_release_was_asked_stops_it,
);

// ---------------------------------------------------------------------------------------------------------------
// Through `num serve`'s router, with tokens as `num staff token --as NAME` mints them.

async fn as_named(app: &num_tests::TestApp, name: &str, method: &str, path: &str, body: Option<&Value>) -> num_tests::TestResponse {
    app.staff_named(method, path, "caseworker", name, body).await
}

#[tokio::test]
async fn a_reporter_withdrawing_online_stops_a_package_two_named_caseworkers_were_moving() {
    let app = num_tests::spawn_app();
    let res = app.post_json("/reports", &report_with_police(true)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (reference, passphrase) =
        (res.json()["reference"].as_str().unwrap().to_owned(), res.json()["passphrase"].as_str().unwrap().to_owned());
    let res = as_named(&app, "Ana", "POST", &format!("/admin/reports/{reference}/police-package"), None).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let pid = res.json()["package_id"].as_str().unwrap().to_owned();
    let res = as_named(&app, "Ana", "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!((res.status.as_u16(), res.json()["error"]["code"].clone()), (409, json!("same_person")));
    // The reporter says no at the follow-up page.
    let body = json!({"reference": reference, "passphrase": passphrase, "consent": {"share_with_police": false}});
    let res = app.post_json("/follow-up/consent", &body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = as_named(&app, "Ben", "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!((res.status.as_u16(), res.json()["error"]["code"].clone()), (409, json!("no_consent")));
    // She says yes again: Ben may approve.
    let body = json!({"reference": reference, "passphrase": passphrase, "consent": {"share_with_police": true}});
    assert_eq!(app.post_json("/follow-up/consent", &body).await.status, 200);
    let res = as_named(&app, "Ben", "POST", &format!("/admin/police-packages/{pid}/approve"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn the_report_form_states_the_one_exception_before_the_send_button_in_every_language() {
    let app = num_tests::spawn_app();
    for (lang, word) in
        [("en", "serious harm"), ("es", "daño grave"), ("pl", "poważna krzywda"), ("pt-BR", "dano grave"), ("ro", "vătămare gravă")]
    {
        let html = app.get(&format!("/?lang={lang}")).await.text();
        let at = html.find(r#"id="consent-exception""#).unwrap_or_else(|| panic!("{lang}: no exception on the form"));
        let send = html.find(r#"<button type="submit""#).unwrap();
        assert!(at < send, "{lang}: the exception comes after the button");
        assert!(html[at..send].contains(word), "{lang}: {}", &html[at..send]);
    }
}

#[tokio::test]
async fn a_police_request_past_its_deadline_is_flagged_to_the_caseworker_on_duty_once_and_without_content() {
    use crate::casework::{CASEWORKER_EMAIL, MONDAY_MORNING, at, caseworker_rota};
    let clock = Arc::new(FixedClock::at(at(MONDAY_MORNING)));
    let c = clock.clone();
    let app = num_tests::spawn_app_with(move |_| num_cli::serve::Options { clock: c, ..Default::default() });
    let res = app.staff("PUT", "/admin/rota/caseworker", "admin", Some(&caseworker_rota())).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app.post_json("/reports", &report_with_police(true)).await;
    let id = res.json()["reference"].as_str().unwrap().to_owned();
    let passphrase = res.json()["passphrase"].as_str().unwrap().to_owned();
    app.drain().await;
    let before = app.outbox().into_iter().filter(|e| e.to == CASEWORKER_EMAIL).count();
    let ask = json!({"force": "Merseyside Police", "reference": "MP-77", "asks": "Her name, for a statement.", "deadline": "2026-11-24"});
    let res = app.staff("POST", &format!("/admin/reports/{id}/link-requests"), "caseworker", Some(&ask)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    // The reporter sees the question and its deadline (never what police asked), as JSON and on the page.
    let pair = json!({"reference": id, "passphrase": passphrase});
    let opened = app.post_json("/follow-up", &pair).await.json();
    assert_eq!(opened["police_requests"], json!([{"deadline": "2026-11-24", "asks": "share_identity_with_police"}]));
    assert!(!opened.to_string().contains("Merseyside"));
    let page = app.post("/follow-up", "application/x-www-form-urlencoded", format!("reference={id}&passphrase={passphrase}")).await.text();
    assert!(page.contains(r#"id="police-request""#) && page.contains("2026-11-24"), "{page}");
    // Not yet past the deadline: nothing.
    assert_eq!(app.local.run_duty().await.unwrap().link_requests_overdue, 0);
    // The day after the deadline, within Ana's Monday slot a week on: flagged once.
    clock.advance(chrono::Duration::days(7));
    let run = app.local.run_duty().await.unwrap();
    assert_eq!((run.link_requests_overdue, run.link_notices_sent), (1, 1));
    assert_eq!(app.local.run_duty().await.unwrap().link_notices_sent, 0, "told once");
    let to_ana: Vec<_> = app.outbox().into_iter().filter(|e| e.to == CASEWORKER_EMAIL).collect();
    assert_eq!(to_ana.len(), before + 1);
    let last = to_ana.last().unwrap();
    assert!(last.body.contains("passed its deadline") && !last.body.contains("Merseyside") && !last.body.contains(&id), "{}", last.body);
}
