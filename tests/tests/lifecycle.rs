//! The life of an alert after publication, on the embedded backend and on the AWS adapters (moto), through the same
//! handlers the functions run and the tables' streams: a withdrawal and a correction reach exactly the members who
//! were sent the alert, once each, even when every stream record is delivered twice; a member who joined later and one
//! of another region hear nothing. The withdrawn alert's page says so and the checker no longer finds it; the
//! corrected alert keeps its earlier version sealed. A leaked copy's link names the member it went to.

use std::sync::Arc;

use bytes::Bytes;
use num_tests::stream_bridge::pump;
use serde_json::{Value, json};
use shared::domain::ids::random_base32;
use shared::domain::{AlertId, ReportId};
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::ports::stream::StreamHandler;
use shared::ports::tables::from_item;
use shared::ports::{Clock, SystemClock, Table};
use shared::ratelimit::Limiter;
use shared::staff::Role;
use shared::usecases::Deps;
use shared::usecases::alerts::{Drafted, draft_alert};
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps, SubscriberStreamHandler};
use shared::usecases::lifecycle::AlertVersion;
use shared::usecases::offenders::{CheckRequest, check};
use shared::usecases::submit_report::{ReportRecord, SubmitDeps};
use shared::usecases::subscriptions::Vetting;

use crate::contract::{Backend, aws_cloud_backend, embedded_backend};

const SITE: &str = "https://alerts.example.org";

struct World {
    b: Backend,
    deps: Deps,
    submit: SubmitDeps,
    admin: AdminDeps,
    limiter: Limiter,
    alerts: AlertStreamHandler,
    codes: SubscriberStreamHandler,
    /// This run's own mark, in every address, so messages of other tests on the same emulator are left aside.
    run: String,
}

fn world(b: Backend) -> World {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let deps = Deps { tables: b.tables.clone(), keys: b.keys.clone(), clock: clock.clone() };
    let deliver = DeliverDeps {
        tables: b.tables.clone(),
        keys: b.keys.clone(),
        email: b.email.clone(),
        sms: b.sms.clone(),
        clock: clock.clone(),
        site_url: SITE.into(),
    };
    World {
        submit: SubmitDeps { tables: shared::ports::tables::insert_only(b.tables.clone()), keys: b.keys.clone(), clock: clock.clone() },
        admin: AdminDeps {
            tables: b.tables.clone(),
            keys: b.keys.clone(),
            clock,
            auth: StaffAuth::Authorizer,
            limiter: Arc::new(Limiter::default()),
        },
        limiter: Limiter::default(),
        alerts: AlertStreamHandler::new(deliver.clone()),
        codes: SubscriberStreamHandler::new(deliver),
        run: random_base32(8).to_lowercase(),
        deps,
        b,
    }
}

fn post(path: &str, body: &Value) -> http::Request<Bytes> {
    http::Request::post(path).header("content-type", "application/json").body(Bytes::from(serde_json::to_vec(body).unwrap())).unwrap()
}

fn json_of(res: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(res.body()).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(res.body())))
}

impl World {
    /// Plays a table's stream to `consumer`'s checkpoint; a consumer that has not read yet gets every record again.
    async fn pump(&self, table: Table, consumer: &str, handler: &dyn StreamHandler) {
        pump(self.b.stream.as_ref(), table, &format!("{consumer}-{}", self.run), handler, 100, 3).await.expect("the stream pumps");
    }

    async fn staff(&self, method: &str, path: &str, body: Option<&Value>) -> http::Response<Bytes> {
        self.staff_as(Role::Reviewer, method, path, body).await
    }

    async fn staff_as(&self, role: Role, method: &str, path: &str, body: Option<&Value>) -> http::Response<Bytes> {
        num_tests::as_staff(&self.admin, &format!("{}@example.org", role.as_str()), role, method, path, body).await
    }

    async fn public(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        shared::http::public::handle(&self.deps, &self.limiter, Vetting::Off, req).await
    }

    /// A member of `region` by email, verified with the code the stream sent (no vetting here); returns the address.
    async fn member(&self, name: &str, region: &str) -> String {
        let email = format!("{name}-{}@example.org", self.run);
        let res = self.public(post("/subscriptions", &json!({"email": email, "regions": [region], "channels": ["email"]}))).await;
        assert_eq!(res.status(), 202, "{}", String::from_utf8_lossy(res.body()));
        let id = json_of(&res)["subscription_id"].as_str().unwrap().to_owned();
        self.pump(Table::Subscribers, "codes", &self.codes).await;
        let code = self
            .b
            .sent("email")
            .await
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(&email))
            .find_map(|m| m.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned))
            .expect("a code went to the member");
        let res = self.public(post("/subscriptions/verify", &json!({"subscription_id": id, "code": code}))).await;
        assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
        email
    }

    /// A report of this phone, drafted and published to Yorkshire, and sent; returns the alert id.
    async fn published(&self, phone: &str) -> String {
        let mut report = num_tests::sample_report();
        report["offender"] = json!({"names_used": ["Gaz"], "phones": [phone], "description": "White male, mid 40s, shaved head."});
        let res = shared::http::submit::handle(&self.submit, post("/reports", &report)).await;
        assert_eq!(res.status(), 201);
        let id = ReportId::parse(json_of(&res)["reference"].as_str().unwrap()).unwrap();
        let item = self.deps.tables.get(Table::Reports, &ReportRecord::key(&id)).await.unwrap().unwrap();
        let Drafted::Created(alert) = draft_alert(&self.deps, &from_item::<ReportRecord>(item).unwrap()).await.unwrap() else {
            panic!("not drafted")
        };
        let res = self.staff("POST", &format!("/admin/alerts/{alert}/publish"), Some(&json!({"regions": ["yorkshire-humber"]}))).await;
        assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
        self.pump(Table::Alerts, "alerts", &self.alerts).await;
        alert.to_string()
    }

    /// The emails to `to` whose text holds `mark`.
    async fn emails(&self, to: &str, mark: &str) -> Vec<(String, String)> {
        self.b
            .sent("email")
            .await
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(to) && m.body.contains(mark))
            .map(|m| (m.subject.unwrap_or_default(), m.body))
            .collect()
    }
}

async fn a_withdrawal_reaches_exactly_who_got_the_alert_once_each(b: Backend) {
    let w = world(b);
    let (a, bee, london) =
        (w.member("a", "yorkshire-humber").await, w.member("b", "yorkshire-humber").await, w.member("c", "london").await);
    let alert = w.published("07700 900321").await;
    let link = format!("/alerts/{alert}");
    for who in [&a, &bee] {
        assert_eq!(w.emails(who, &link).await.len(), 1, "{who} got the alert once");
    }
    assert!(w.emails(&london, &link).await.is_empty());
    let late = w.member("d", "yorkshire-humber").await;

    // Each member's copy carries a token of their own, and a leaked copy names its member (for an admin).
    let (_, body) = w.emails(&a, &link).await.remove(0);
    let (_, other) = w.emails(&bee, &link).await.remove(0);
    let token = |body: &str| {
        body.split(&format!("{link}?c=")).nth(1).map(|t| t.chars().take_while(char::is_ascii_alphanumeric).collect::<String>())
    };
    assert!(token(&body).is_some_and(|t| t.len() == 12), "{body}");
    assert_ne!(token(&body), token(&other), "two members, two tokens");
    let trace = |role: Role, text: String| {
        let w = &w;
        async move { w.staff_as(role, "POST", "/admin/alerts/trace", Some(&json!({"text": text}))).await }
    };
    assert_eq!(trace(Role::Reviewer, body.clone()).await.status(), 403, "tracing names a member: an admin's alone");
    let traced = trace(Role::Admin, body.clone()).await;
    assert_eq!(traced.status(), 200, "{}", String::from_utf8_lossy(traced.body()));
    let (one, two) = (json_of(&traced), json_of(&trace(Role::Admin, other.clone()).await));
    assert_eq!((one["alert_id"].as_str(), one["channel"].as_str()), (Some(alert.as_str()), Some("email")));
    assert!(one["subscription_id"].is_string() && one["subscription_id"] != two["subscription_id"], "{one} {two}");
    // A link without a token, or another alert's, names nobody.
    assert_eq!(trace(Role::Admin, format!("{SITE}{link}")).await.status(), 404);
    let audit = json_of(&w.staff_as(Role::Admin, "GET", "/admin/audit?limit=200", None).await);
    let traces =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["action"].as_str().is_some_and(|a| a.ends_with("trace_copy"))).count();
    assert_eq!(traces, 4, "every trace, allowed or refused, is audited: {audit}");

    let res = w
        .staff(
            "POST",
            &format!("/admin/alerts/{alert}/withdraw"),
            Some(&json!({"reason": "The number was the reporter's own landlord's, not his."})),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    assert_eq!(json_of(&res), json!({"status": "withdrawn"}));
    w.pump(Table::Alerts, "alerts", &w.alerts).await;
    // Every record of the alerts stream delivered once more, as a retried batch would.
    w.pump(Table::Alerts, "replay", &w.alerts).await;

    for who in [&a, &bee] {
        let notices = w.emails(who, &link).await.into_iter().filter(|(s, _)| s.starts_with("Alert withdrawn")).collect::<Vec<_>>();
        assert_eq!(notices.len(), 1, "{who} is told once: {notices:?}");
        assert!(notices[0].1.contains("has been withdrawn"), "{}", notices[0].1);
        assert!(!notices[0].1.contains("landlord"), "the reason stays with staff");
        assert_eq!(w.emails(who, &link).await.len(), 2, "{who}: the alert and its withdrawal, nothing more");
    }
    assert!(w.emails(&london, &link).await.is_empty(), "another region heard nothing");
    assert!(w.emails(&late, &link).await.is_empty(), "a member who joined after publication heard nothing");

    // Withdrawing twice is refused; the page says it was withdrawn and shows nothing of it; the checker finds nothing.
    let again = w.staff("POST", &format!("/admin/alerts/{alert}/withdraw"), Some(&json!({"reason": "again"}))).await;
    assert_eq!(again.status(), 409);
    let page = w.public(http::Request::get(&link).body(Bytes::new()).unwrap()).await;
    let html = String::from_utf8_lossy(page.body()).to_string();
    assert_eq!(page.status(), 200);
    assert!(html.contains("This alert was withdrawn"), "{html}");
    assert!(!html.contains("900321") && !html.contains("Gaz"), "nothing of the alert on its page");
    let found = check(&w.deps, "sub-lifecycle", &CheckRequest { phone: Some("07700900321".into()), email: None }).await.unwrap();
    assert!(found.is_empty(), "a withdrawn alert is not found: {found:?}");
    // The deliveries' counts are the alert's own, notices aside.
    let counts = json_of(&w.staff("GET", &format!("/admin/alerts/{alert}/deliveries"), None).await);
    assert_eq!(counts["sent"], 2, "{counts}");
}

async fn a_correction_reaches_the_same_members_once_and_keeps_the_earlier_version(b: Backend) {
    let w = world(b);
    let (a, london) = (w.member("a", "yorkshire-humber").await, w.member("c", "london").await);
    let alert = w.published("07700 900322").await;
    let link = format!("/alerts/{alert}");
    let late = w.member("d", "yorkshire-humber").await;

    let corrected = "He grabbed her wrist and took £80; he drove off in a black car.";
    let res = w.staff("POST", &format!("/admin/alerts/{alert}/correct"), Some(&json!({"summary": corrected}))).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    assert_eq!(json_of(&res), json!({"version": 2}));
    w.pump(Table::Alerts, "alerts", &w.alerts).await;
    w.pump(Table::Alerts, "replay", &w.alerts).await;

    let to_a = w.emails(&a, &link).await;
    assert_eq!(to_a.len(), 2, "the alert, then its correction: {to_a:?}");
    let (subject, body) = &to_a[1];
    assert!(subject.starts_with("Correction: "), "{subject}");
    assert!(body.contains("This corrects an alert") && body.contains(corrected), "{body}");
    assert!(w.emails(&london, &link).await.is_empty());
    // A member who joined after publication gets no correction: a replayed publication record may send them the
    // alert as it is now (the corrected version), never the one before it.
    for (subject, body) in w.emails(&late, &link).await {
        assert!(!subject.starts_with("Correction") && body.contains(corrected), "{subject}: {body}");
    }

    // A correction that names the reporter is refused and changes nothing.
    let refused = w.staff("POST", &format!("/admin/alerts/{alert}/correct"), Some(&json!({"summary": "Jade Whitfield saw him."}))).await;
    assert_eq!(refused.status(), 409, "{}", String::from_utf8_lossy(refused.body()));
    let view = json_of(&w.staff("GET", &format!("/admin/alerts/{alert}"), None).await);
    assert_eq!(view["summary"], corrected);

    // The first version is kept, sealed under its own context.
    let id = AlertId::parse(&alert).unwrap();
    let item = w.deps.tables.get(Table::Alerts, &AlertVersion::key(&id, 1)).await.unwrap().expect("version 1 is kept");
    let v1: AlertVersion = from_item(item).unwrap();
    let first = v1.sealed.open(w.deps.keys.as_ref(), &AlertVersion::context(&id, 1)).await.unwrap();
    assert_ne!(first.summary, corrected);
    // The page says it was corrected.
    let page = w.public(http::Request::get(&link).body(Bytes::new()).unwrap()).await;
    assert!(String::from_utf8_lossy(page.body()).contains("This is the corrected version."));
}

mod embedded {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_withdrawal_reaches_exactly_who_got_the_alert_once_each() {
        super::a_withdrawal_reaches_exactly_who_got_the_alert_once_each(super::embedded_backend().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_correction_reaches_the_same_members_once_and_keeps_the_earlier_version() {
        super::a_correction_reaches_the_same_members_once_and_keeps_the_earlier_version(super::embedded_backend().await).await
    }
}

mod aws {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_withdrawal_reaches_exactly_who_got_the_alert_once_each() {
        super::a_withdrawal_reaches_exactly_who_got_the_alert_once_each(super::aws_cloud_backend().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_correction_reaches_the_same_members_once_and_keeps_the_earlier_version() {
        super::a_correction_reaches_the_same_members_once_and_keeps_the_earlier_version(super::aws_cloud_backend().await).await
    }
}
