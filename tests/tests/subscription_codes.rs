//! Verification codes, one per contact: a code verifies only the contact it was sent to, an older subscription keeps
//! its contacts until a newer one verifies them, codes are stored as keyed hashes and sent within limits, and an
//! ended subscription keeps no contact.

use num_tests::{TestApp, spawn_app};
use serde_json::{Value, json};
use shared::ports::tables::{AttributeValue, Item, attr_str};
use shared::ports::{Index, KeyService, MacPurpose, Query, SortCondition, Table, Tables};
use shared::usecases::subscriptions::{
    Channel, CodeLimits, SubscribeRequest, SubscriptionRecord, SubscriptionStatus, Vetting, get_subscription, subscribe_within,
};

const VICTIM: &str = "victim@example.org";
const ATTACKER_PHONE: &str = "07700 900666";
const REGION: &str = "yorkshire-humber";

async fn subscribe(app: &TestApp, body: Value) -> num_tests::TestResponse {
    app.post_json("/subscriptions", &body).await
}

/// These tests are about which contact a code verifies: vetting, which holds every verified request until staff
/// approve it, is off here (its own tests are in `members`).
fn unvetted_app() -> TestApp {
    num_tests::spawn_app_with(|_| num_cli::serve::Options { vetting: Vetting::Off, ..Default::default() })
}

async fn subscribe_id(app: &TestApp, body: Value) -> String {
    let res = subscribe(app, body).await;
    assert_eq!(res.status, 202, "{}", res.text());
    app.drain().await;
    res.json()["subscription_id"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, id: &str, code: &str) -> num_tests::TestResponse {
    app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": code})).await
}

async fn record(app: &TestApp, id: &str) -> SubscriptionRecord {
    let id = shared::domain::SubscriptionId::parse(id).unwrap();
    get_subscription(app.local.tables.as_ref(), &id).await.unwrap().expect("the subscription is stored")
}

async fn raw_record(app: &TestApp, id: &str) -> Item {
    let id = shared::domain::SubscriptionId::parse(id).unwrap();
    app.local.tables.get(Table::Subscribers, &SubscriptionRecord::key(&id)).await.unwrap().expect("the record is there")
}

/// The region list: subscription id → channels delivery would use.
async fn memberships(app: &TestApp) -> Vec<(String, Vec<String>)> {
    let mut q = Query::partition(Index::Primary, format!("REGION#{REGION}"));
    q.sort = SortCondition::BeginsWith("SUB#".into());
    let items = shared::ports::tables::query_all(app.local.tables.as_ref(), Table::Subscribers, q).await.unwrap();
    items
        .into_iter()
        .map(|i| {
            let chans = match i.get("channels") {
                Some(AttributeValue::L(l)) => l
                    .iter()
                    .filter_map(|v| match v {
                        AttributeValue::S(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => vec![],
            };
            (attr_str(&i, "subscription_id").unwrap().to_owned(), chans)
        })
        .collect()
}

/// A published Leeds alert for the region; returns its id once every delivery is settled.
async fn publish_alert(app: &TestApp) -> String {
    let report = num_tests::labelled_case("28-leeds-parlour-maid-and-van")["report"].clone();
    let res = app.post_json("/reports", &report).await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await;
    let alert_id = list.json()["alerts"][0]["alert_id"].as_str().unwrap().to_owned();
    let res = app.staff("POST", &format!("/admin/alerts/{alert_id}/publish"), "reviewer", Some(&json!({"regions": [REGION]}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.drain().await;
    alert_id
}

/// Delivery items of an alert: (subscription id, channel).
async fn delivery_targets(app: &TestApp, alert_id: &str) -> Vec<(String, String, Item)> {
    let mut out = Vec::new();
    for shard in 0..shared::usecases::deliver::DELIVERY_SHARDS {
        let q = Query::partition(Index::Primary, format!("DELIVERIES#{alert_id}#{shard}"));
        for i in shared::ports::tables::query_all(app.local.tables.as_ref(), Table::Alerts, q).await.unwrap() {
            out.push((attr_str(&i, "subscription_id").unwrap().to_owned(), attr_str(&i, "channel").unwrap().to_owned(), i));
        }
    }
    out
}

// ---- item 1: one code per contact ----

#[tokio::test]
async fn an_attacker_verifying_with_their_own_texted_code_leaves_the_victims_older_subscription_active_with_email() {
    let app = unvetted_app();
    let victim_sub = app.subscribe_verified(json!({"email": VICTIM, "regions": [REGION], "channels": ["email"]})).await;

    // The attack: the victim's address with the attacker's own mobile; the attacker enters the code texted to them.
    let attack =
        subscribe_id(&app, json!({"email": VICTIM, "phone": ATTACKER_PHONE, "regions": [REGION], "channels": ["email", "sms"]})).await;
    let texted = app.latest_code_for(ATTACKER_PHONE).expect("the attacker's phone got its code");
    let mailed = app.latest_code_for(VICTIM).expect("the victim's address got its own code");
    assert_ne!(texted, mailed, "each contact has its own code");
    let res = verify(&app, &attack, &texted).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({"status": "active"}));

    let victim = record(&app, &victim_sub).await;
    assert_eq!(victim.status, SubscriptionStatus::Active, "the victim's own subscription is untouched");
    assert_eq!(victim.verified_channels(), [Channel::Email]);
    let attacker = record(&app, &attack).await;
    assert_eq!(attacker.verified_channels(), [Channel::Sms], "only the contact whose code was entered is verified");

    let lists = memberships(&app).await;
    assert!(lists.contains(&(victim_sub.clone(), vec!["email".into()])), "{lists:?}");
    assert!(lists.contains(&(attack.clone(), vec!["sms".into()])), "the attacker's subscription texts only: {lists:?}");

    let alert = publish_alert(&app).await;
    let targets = delivery_targets(&app, &alert).await;
    assert!(
        !targets.iter().any(|(sub, ch, _)| sub == &attack && ch == "email"),
        "the victim's address never becomes a target of the attacker's subscription: {targets:?}"
    );
    let to_victim = app.alerts_sent_to(VICTIM);
    assert_eq!(to_victim.len(), 1, "the victim gets the alert once, from their own subscription");
    assert!(to_victim[0].idempotency_key.contains(&victim_sub), "{}", to_victim[0].idempotency_key);
}

#[tokio::test]
async fn an_address_subscribed_by_someone_else_gets_its_code_and_no_alert() {
    let app = unvetted_app();
    let attack =
        subscribe_id(&app, json!({"email": VICTIM, "phone": ATTACKER_PHONE, "regions": [REGION], "channels": ["email", "sms"]})).await;
    let res = verify(&app, &attack, &app.latest_code_for(ATTACKER_PHONE).unwrap()).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let code_mail: Vec<_> = app.outbox().into_iter().filter(|e| e.to == VICTIM).collect();
    assert_eq!(code_mail.len(), 1);
    assert!(!code_mail[0].body.contains("nothing will be sent"), "the code email promises only what holds: {}", code_mail[0].body);
    assert!(code_mail[0].body.contains("unless this code is entered"), "{}", code_mail[0].body);

    publish_alert(&app).await;
    assert!(app.alerts_sent_to(VICTIM).is_empty(), "an address whose code was never entered gets no alert");
    assert_eq!(app.alerts_sent_to(ATTACKER_PHONE).len(), 1, "the verified number does");
}

#[tokio::test]
async fn a_code_verifies_only_its_own_contact_once_and_a_second_code_adds_the_second_channel() {
    let app = unvetted_app();
    let id = subscribe_id(
        &app,
        json!({"email": "both@example.org", "phone": "07700 900444", "regions": [REGION], "channels": ["email", "sms"]}),
    )
    .await;
    let mailed = app.latest_code_for("both@example.org").unwrap();
    let texted = app.latest_code_for("07700 900444").unwrap();
    assert_eq!(verify(&app, &id, &mailed).await.status, 200);
    assert_eq!(memberships(&app).await, [(id.clone(), vec!["email".to_owned()])]);
    let again = verify(&app, &id, &mailed).await;
    assert_eq!(again.status, 400, "a used code verifies nothing else: {}", again.text());
    assert_eq!(again.json()["error"]["code"], "wrong_code");
    assert_eq!(verify(&app, &id, &texted).await.status, 200);
    assert_eq!(memberships(&app).await, [(id.clone(), vec!["email".to_owned(), "sms".to_owned()])]);
    assert_eq!(verify(&app, &id, &texted).await.status, 400, "every contact verified: any code is a wrong code");
}

#[tokio::test]
async fn a_newer_subscription_takes_only_the_contact_it_verified_from_an_older_one() {
    let app = spawn_app();
    let old = app
        .subscribe_verified(
            json!({"email": "member@example.org", "phone": "07700 900333", "regions": [REGION], "channels": ["email", "sms"]}),
        )
        .await;
    // A newer request for the same address, not yet verified, changes nothing.
    let newer = subscribe_id(&app, json!({"email": "member@example.org", "regions": ["london"], "channels": ["email"]})).await;
    assert_eq!(record(&app, &old).await.verified_channels(), [Channel::Email, Channel::Sms]);
    // Verified: the address moves to the newer one; the older keeps its number.
    assert_eq!(verify(&app, &newer, &app.latest_code_for("member@example.org").unwrap()).await.status, 200);
    let old_rec = record(&app, &old).await;
    assert_eq!(old_rec.status, SubscriptionStatus::Active);
    assert_eq!(old_rec.channels, [Channel::Sms]);
    assert_eq!(memberships(&app).await, [(old.clone(), vec!["sms".to_owned()])]);
    let private = old_rec.open(app.local.keys.as_ref()).await.unwrap();
    assert!(private.email.is_none(), "the older subscription no longer holds the address, sealed or not");
    assert!(private.phone.is_some());
}

// ---- item 14: the code is a keyed MAC ----

#[tokio::test]
async fn the_stored_code_is_a_keyed_mac_that_no_unkeyed_hash_of_any_code_matches() {
    let app = spawn_app();
    let id = subscribe_id(&app, json!({"email": "mac@example.org", "regions": [REGION], "channels": ["email"]})).await;
    let code = app.latest_code_for("mac@example.org").unwrap();
    let raw = raw_record(&app, &id).await;
    assert!(!raw.contains_key("code_hash"), "the argon2 field is gone: {:?}", raw.keys().collect::<Vec<_>>());
    let stored = attr_str(&raw, "email_code_mac").expect("the code's MAC is stored").to_owned();
    assert_eq!(stored.len(), 64, "an HMAC-SHA256, hex");
    assert!(!stored.contains(&code));

    // With the key the MAC is reproduced (so the test checks the right thing) ...
    let rec = record(&app, &id).await;
    let index = rec.email_index.clone().unwrap();
    let message = |c: &str| format!("{id}\0email\0{index}\0{}\0{c}", rec.code_generation);
    let ours = app.local.keys.mac(MacPurpose::SubscriptionCode, message(&code).as_bytes()).await.unwrap();
    assert_eq!(hex::encode(ours), stored);
    // ... another key gives another MAC ...
    let elsewhere = tempfile::tempdir().unwrap();
    let other = shared::adapters::LocalKeys::open_or_create(elsewhere.path()).unwrap();
    let theirs = other.mac(MacPurpose::SubscriptionCode, message(&code).as_bytes()).await.unwrap();
    assert_ne!(hex::encode(theirs), stored, "without the key the MAC cannot be made");
    // ... and no unkeyed hash of any of the million codes, bare or with the same binding, is the stored value.
    use sha2::{Digest, Sha256};
    let stored_bytes = hex::decode(&stored).unwrap();
    for n in 0..1_000_000u32 {
        let c = format!("{n:06}");
        assert_ne!(Sha256::digest(c.as_bytes()).as_slice(), stored_bytes.as_slice());
        assert_ne!(Sha256::digest(message(&c).as_bytes()).as_slice(), stored_bytes.as_slice());
    }
    assert!(!shared::domain::passphrase::verify_secret(&code, &stored), "not an argon2 hash of the code either");
}

// ---- item 4: code limits ----

#[tokio::test]
async fn a_contact_gets_three_codes_an_hour_then_429_saying_when_and_nothing_is_stored() {
    let app = spawn_app();
    let body = json!({"phone": "07700 900222", "regions": [REGION], "channels": ["sms"]});
    for _ in 0..3 {
        assert_eq!(subscribe(&app, body.clone()).await.status, 202);
    }
    app.drain().await;
    // Everything stored but the code counters (taken back on a refusal).
    let stored = async || app.raw_rows().await.into_iter().filter(|r| !r.contains("CODES#")).count();
    let rows_before = stored().await;
    let res = subscribe(&app, body.clone()).await;
    assert_eq!(res.status, 429, "{}", res.text());
    assert_eq!(res.json()["error"]["code"], "too_many_codes");
    let message = res.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("Try again after") && message.contains("UTC"), "{message}");
    app.drain().await;
    assert_eq!(stored().await, rows_before, "a refused request stores nothing");
    let texts = app.outbox().into_iter().filter(|e| e.to == "+447700900222").count();
    assert_eq!(texts, 3);
}

#[tokio::test]
async fn a_client_gets_ten_subscription_requests_an_hour() {
    let app = spawn_app();
    for n in 0..10 {
        let res = subscribe(&app, json!({"email": format!("m{n}@example.org"), "regions": [REGION], "channels": ["email"]})).await;
        assert_eq!(res.status, 202, "request {n}: {}", res.text());
    }
    let res = subscribe(&app, json!({"email": "m10@example.org", "regions": [REGION], "channels": ["email"]})).await;
    assert_eq!(res.status, 429);
    assert_eq!(res.json()["error"]["code"], "too_many_code_requests");
    assert!(res.json()["error"]["message"].as_str().unwrap().contains("Try again in an hour"));
}

fn request(email: &str) -> SubscribeRequest {
    serde_json::from_value(json!({"email": email, "regions": [REGION], "channels": ["email"]})).unwrap()
}

#[tokio::test]
async fn once_the_daily_code_budget_is_spent_codes_stop_and_alerts_go_on() {
    let app = spawn_app();
    app.subscribe_verified(json!({"email": "member@example.org", "regions": [REGION], "channels": ["email"]})).await;
    let limits = CodeLimits { budget_per_day: 3, ..CodeLimits::default() };
    let deps = &app.local.subscriptions;
    // One code is already spent today by the member above; two more fit.
    subscribe_within(deps, request("a@example.org"), &limits).await.unwrap();
    subscribe_within(deps, request("b@example.org"), &limits).await.unwrap();
    let refused = subscribe_within(deps, request("c@example.org"), &limits).await.unwrap_err();
    let api = shared::error::ApiError::from(refused);
    assert_eq!(api.status.as_u16(), 429);
    assert_eq!(api.code, "codes_paused");
    assert!(api.message.contains("Try again after 00:00 UTC"), "{}", api.message);
    app.drain().await;
    assert!(app.latest_code_for("c@example.org").is_none(), "no code went out");
    publish_alert(&app).await;
    assert_eq!(app.alerts_sent_to("member@example.org").len(), 1, "alerts never stop");
}

// ---- item 10: ending destroys contacts; deliveries expire ----

fn has_contact_material(item: &Item) -> Vec<String> {
    item.keys().filter(|k| k.as_str() == "sealed" || k.ends_with("_index") || k.ends_with("_code_mac")).cloned().collect()
}

#[tokio::test]
async fn unsubscribing_leaves_no_sealed_contact_index_or_membership_in_the_table() {
    let app = spawn_app();
    let id = app
        .subscribe_verified(
            json!({"email": "leaving@example.org", "phone": "07700 900111", "regions": [REGION], "channels": ["email", "sms"]}),
        )
        .await;
    assert!(!has_contact_material(&raw_record(&app, &id).await).is_empty());
    let alert = publish_alert(&app).await;
    let mail = app.alerts_sent_to("leaving@example.org");
    let token = mail[0].body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert_eq!(app.post_json("/unsubscribe", &json!({"token": token})).await.status, 200);

    let raw = raw_record(&app, &id).await;
    assert_eq!(attr_str(&raw, "status"), Some("unsubscribed"));
    assert!(raw.contains_key("ended_at"));
    assert!(has_contact_material(&raw).is_empty(), "left: {:?}", has_contact_material(&raw));
    let mut kept: Vec<_> = raw.keys().cloned().collect();
    kept.sort();
    assert_eq!(kept, ["ended_at", "kind", "pk", "sk", "status", "subscription_id"]);
    assert!(memberships(&app).await.is_empty());
    // No item of the subscribers table carries a sealed value that points to it any more.
    for region in ["yorkshire-humber"] {
        let q = Query::partition(Index::Primary, format!("REGION#{region}"));
        assert!(shared::ports::tables::query_all(app.local.tables.as_ref(), Table::Subscribers, q).await.unwrap().is_empty());
    }

    // The delivery items of the alert it got expire 30 days after they were written.
    let now = chrono::Utc::now().timestamp();
    let targets = delivery_targets(&app, &alert).await;
    assert!(!targets.is_empty());
    for (_, _, item) in targets {
        let Some(AttributeValue::N(at)) = item.get("expires_at") else { panic!("a delivery item without expires_at: {item:?}") };
        let days = (at.parse::<i64>().unwrap() - now) as f64 / 86_400.0;
        assert!((29.9..=30.1).contains(&days), "expires in {days} days");
    }
}

#[tokio::test]
async fn a_subscription_replaced_on_its_only_contact_ends_with_nothing_sealed() {
    let app = spawn_app();
    let old = app.subscribe_verified(json!({"email": "twice@example.org", "regions": [REGION], "channels": ["email"]})).await;
    app.subscribe_verified(json!({"email": "twice@example.org", "regions": ["london"], "channels": ["email"]})).await;
    let raw = raw_record(&app, &old).await;
    assert_eq!(attr_str(&raw, "status"), Some("unsubscribed"));
    assert!(has_contact_material(&raw).is_empty(), "left: {:?}", has_contact_material(&raw));
}
