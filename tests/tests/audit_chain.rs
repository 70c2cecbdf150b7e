//! The audit chain is keyed and anchored outside its table, and help-desk lookups are counted per member of staff:
//! each on the embedded backend (SQLite, local key) and on the AWS adapters on moto (DynamoDB, a KMS HMAC key of its
//! own for the chain).

use std::sync::Arc;

use num_tests::aws::aws_backend;
use shared::adapters::{LocalKeys, SqliteTables};
use shared::ports::{FixedClock, KeyService, Tables};
use shared::staff::{Role, Staff};
use shared::usecases::Deps;
use shared::usecases::audit::tamper::{Rechain, delete_and_rechain};
use shared::usecases::audit::{self, Anchors, Verdict, record};
use shared::usecases::staff_quota::{self, HELPDESK_LOOKUPS_PER_HOUR};

async fn embedded() -> (Deps, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let tables: Arc<dyn Tables> = Arc::new(SqliteTables::in_memory().unwrap());
    let keys: Arc<dyn KeyService> = Arc::new(LocalKeys::open_or_create(dir.path()).unwrap());
    (Deps { tables, keys, clock: Arc::new(FixedClock::at("2026-03-14T10:15:00Z".parse().unwrap())) }, dir)
}

async fn on_aws() -> Deps {
    let b = aws_backend().await;
    Deps {
        tables: Arc::new(b.tables.clone()),
        keys: Arc::new(b.keys.clone()),
        clock: Arc::new(FixedClock::at("2026-03-14T10:15:00Z".parse().unwrap())),
    }
}

async fn six_entries(deps: &Deps) -> Anchors {
    let staff = Staff { subject: "om-1".into(), role: Role::OfficeManager };
    let mut anchors = Anchors::new();
    for n in 0..6 {
        let e = record(deps, &staff, "find_subscription", &format!("{n:064x}"), Some("member called")).await.unwrap();
        assert_eq!(e.link.as_deref(), Some(audit::LINK_HMAC));
        anchors.add(e.seq, &e.hash).unwrap();
    }
    anchors
}

async fn verify(deps: &Deps, anchors: &Anchors) -> Verdict {
    audit::verify(deps.tables.as_ref(), deps.keys.as_ref(), anchors).await.unwrap()
}

async fn a_rewritten_chain_is_caught_at_the_first_rewritten_entry(deps: Deps, how: Rechain) {
    let anchors = six_entries(&deps).await;
    assert_eq!(verify(&deps, &anchors).await, Verdict::Intact { entries: 6, unkeyed: 0, anchored: 6 });
    delete_and_rechain(deps.tables.as_ref(), deps.keys.as_ref(), 3, how).await.unwrap();
    let with_anchors = verify(&deps, &anchors).await;
    let without = verify(&deps, &Anchors::new()).await;
    match how {
        // Without the key the links do not hold, anchors or not.
        Rechain::Sha256 | Rechain::Sha256MarkedKeyed => {
            assert_eq!(with_anchors, Verdict::Altered { seq: 3 }, "{how:?}");
            assert_eq!(without, Verdict::Altered { seq: 3 }, "{how:?}");
        }
        // With the key, the table alone holds together: only the anchors give it away.
        Rechain::WithKey => {
            assert_eq!(without, Verdict::Intact { entries: 5, unkeyed: 0, anchored: 0 }, "{how:?}");
            assert_eq!(with_anchors, Verdict::Disagrees { seq: 3 }, "{how:?}");
            // One head taken from outside is enough to see that the chain is not the one logged.
            let (seq, link) = anchors.last().unwrap();
            let mut head = Anchors::new();
            head.add(seq, link).unwrap();
            assert_eq!(verify(&deps, &head).await, Verdict::Missing { seq: 6 }, "{how:?}");
        }
    }
}

async fn lookups_are_counted_per_member_of_staff_and_hour(deps: Deps) {
    for n in 1..=HELPDESK_LOOKUPS_PER_HOUR {
        assert_eq!(staff_quota::take(&deps, "find_subscription", "om-1", HELPDESK_LOOKUPS_PER_HOUR).await.unwrap(), Ok(n));
    }
    let spent = staff_quota::take(&deps, "find_subscription", "om-1", HELPDESK_LOOKUPS_PER_HOUR).await.unwrap().unwrap_err();
    // 10:15 now: the count starts again at 11:00.
    assert_eq!(spent.retry_after, 45 * 60);
    let other = staff_quota::take(&deps, "find_subscription", "om-2", HELPDESK_LOOKUPS_PER_HOUR).await.unwrap();
    assert_eq!(other, Ok(1), "another member of staff has a count of their own");
}

const HOWS: [Rechain; 3] = [Rechain::Sha256, Rechain::Sha256MarkedKeyed, Rechain::WithKey];

mod embedded {
    use super::*;

    #[tokio::test]
    async fn a_rewritten_chain_is_caught_at_the_first_rewritten_entry() {
        for how in HOWS {
            let (deps, _dir) = embedded().await;
            super::a_rewritten_chain_is_caught_at_the_first_rewritten_entry(deps, how).await;
        }
    }

    #[tokio::test]
    async fn lookups_are_counted_per_member_of_staff_and_hour() {
        let (deps, _dir) = embedded().await;
        super::lookups_are_counted_per_member_of_staff_and_hour(deps).await;
    }
}

mod aws {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rewritten_chain_is_caught_at_the_first_rewritten_entry() {
        for how in HOWS {
            super::a_rewritten_chain_is_caught_at_the_first_rewritten_entry(on_aws().await, how).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lookups_are_counted_per_member_of_staff_and_hour() {
        super::lookups_are_counted_per_member_of_staff_and_hour(on_aws().await).await;
    }
}

/// How long appending and checking take (run by hand: `cargo test -p num-tests --test main -- --ignored audit_chain_timing
/// --nocapture`; on AWS set NUM_TEST_AWS_ENDPOINT as for the contract suite). Prints entries per second.
async fn time_append_and_verify(deps: Deps, label: &str, n: u64) {
    let staff = Staff { subject: "om-1".into(), role: Role::OfficeManager };
    let start = std::time::Instant::now();
    let mut anchors = Anchors::new();
    for i in 0..n {
        let e = record(&deps, &staff, "find_subscription", &format!("{i:064x}"), None).await.unwrap();
        anchors.add(e.seq, &e.hash).unwrap();
    }
    let appended = start.elapsed();
    let start = std::time::Instant::now();
    let v = verify(&deps, &anchors).await;
    let checked = start.elapsed();
    assert_eq!(v, Verdict::Intact { entries: n, unkeyed: 0, anchored: n });
    println!(
        "{label}: {n} entries appended in {:.2} s ({:.0}/s); verified with {n} anchors in {:.3} s ({:.0} entries/s)",
        appended.as_secs_f64(),
        n as f64 / appended.as_secs_f64(),
        checked.as_secs_f64(),
        n as f64 / checked.as_secs_f64()
    );
}

mod audit_chain_timing {
    use super::*;

    #[tokio::test]
    #[ignore = "a measurement, run by hand"]
    async fn embedded_10000() {
        let (deps, _dir) = embedded().await;
        time_append_and_verify(deps, "embedded (SQLite, local key)", 10_000).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement, run by hand"]
    async fn aws_1000() {
        time_append_and_verify(on_aws().await, "AWS adapters on moto (DynamoDB, KMS GenerateMac)", 1_000).await;
    }
}
