//! Retention: how long each kind of record is kept, declared once here ([`POLICY`]), and the run that applies it.
//!
//! The README's retention table is [`markdown_table`] of this policy (a test checks they match). The run is called by
//! the scheduled function in the cloud (`staff-notices`, each tick) and by `num serve` locally; it is safe to repeat
//! and to interrupt, since each step finds only what is still there.
//!
//! Deletion of a report's private records is crypto-shredding: they are sealed under the report's own keys
//! (`report_keys`), and the run destroys those keys with the records, so sealed bytes kept aside (a copy, an export,
//! the embedded change log) no longer open. Every deletion is written to the audit log as a kind and a count, never
//! an id of a reporter's record or any content.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::ReportId;
use crate::domain::status::AlertStatus;
use crate::ports::tables::{Item, attr_str, from_item, query_all, s};
use crate::ports::{Condition, Index, Key, Query, SortCondition, StoreError, Table, Update};
use crate::staff::{Role, Staff};
use crate::usecases::alerts::AlertRecord;
use crate::usecases::casework::{CaseRecord, CaseStatus};
use crate::usecases::submit_report::ReportRecord;

/// How a rule is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// At the change itself (an unsubscribe removes the contacts in the same write).
    AtTheChange,
    /// By the table's time to live (`expires_at`) in the cloud; by the retention run on one machine.
    Ttl,
    /// By the retention run.
    Run,
    /// Kept: the run never deletes it.
    Kept,
}

impl Enforcement {
    pub fn describe(self) -> &'static str {
        match self {
            Enforcement::AtTheChange => "at the change itself",
            Enforcement::Ttl => "DynamoDB TTL (`expires_at`); the retention run under `num serve`",
            Enforcement::Run => "the retention run (scheduled function; `num serve`)",
            Enforcement::Kept => "not deleted",
        }
    }
}

/// One line of the policy.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// What is deleted.
    pub records: &'static str,
    /// From when the period counts.
    pub from: &'static str,
    /// Days kept after `from`; 0 is at once. `None` for records that are kept.
    pub days: Option<i64>,
    pub how: Enforcement,
}

/// A delivery item (one per alert, subscriber and channel) names the subscriber it went to. Thirty days covers the
/// questions it answers: did an alert reach someone, why did a send fail, whose copy leaked (`trace_copy`, whose
/// token is in the item); after that it only says who was subscribed where.
pub const DELIVERY_DAYS: i64 = crate::usecases::deliver::DELIVERY_TTL_DAYS;

/// A closed case's private parts are kept a year after closing: police link a report to other crimes months after
/// it was made (a link request needs the report to ask the reporter), and a reporter may come back about the same
/// man. A year is the shortest period that covers what we have seen of both; longer would keep the most sensitive
/// things we hold (her account, her name and contact, what she told a caseworker) for no one's benefit.
pub const CLOSED_CASE_DAYS: i64 = 365;

/// A report whose draft alert staff rejected, and that has no case, is kept 90 days after the rejection: time for
/// staff to see it was a mistake and redraft, or for the reporter to follow up and ask for contact.
pub const REJECTED_REPORT_DAYS: i64 = 90;

/// A report that never had a case, whatever became of its alert (published, corrected, withdrawn, ended, or never
/// drafted for want of consent), is kept 455 days from its receipt: the alert's 90 days of life, then the year in
/// which police may link it to other crimes and need the reporter asked (she can answer at the follow-up page without
/// a case). A rejected draft's report goes sooner, under its own rule.
pub const UNCASED_REPORT_DAYS: i64 = crate::usecases::alerts::ALERT_LIFETIME_DAYS + 365;

/// The audit log and the disclosure log are kept six years: the limitation period for a claim in England and
/// Wales, and what the scheme needs to show what was disclosed, to whom and why. They hold ids, kinds and counts,
/// never content (an audit reason is sealed).
pub const AUDIT_YEARS: i64 = 6;

/// The policy, in the order the README shows it.
pub const POLICY: &[Rule] = &[
    Rule {
        records: "Delivery items and notices of an alert (subscriber id, channel, status, copy token)",
        from: "the item's creation",
        days: Some(DELIVERY_DAYS),
        how: Enforcement::Ttl,
    },
    Rule {
        records: "Verification codes, pending contacts and other lookups with an `expires_at`",
        from: "their own expiry time",
        days: Some(0),
        how: Enforcement::Ttl,
    },
    Rule {
        records: "An ended subscription's contacts (unsubscribed or declined): sealed contacts and their blind indexes",
        from: "the unsubscribe or the decline",
        days: Some(0),
        how: Enforcement::AtTheChange,
    },
    Rule {
        records: "A closed case's private parts: the report, messages with the reporter, case notes, consent entries and notes, \
                  police link requests, police packages, safeguarding overrides, pending notices, and the report's keys",
        from: "the case's closing",
        days: Some(CLOSED_CASE_DAYS),
        how: Enforcement::Run,
    },
    Rule {
        records: "A rejected report without a case: the same private parts, and the rejected draft alert",
        from: "the draft's rejection",
        days: Some(REJECTED_REPORT_DAYS),
        how: Enforcement::Run,
    },
    Rule {
        records: "Any other report without a case (its alert published, withdrawn or ended, or never drafted): the same private parts",
        from: "the report's receipt",
        days: Some(UNCASED_REPORT_DAYS),
        how: Enforcement::Run,
    },
    Rule {
        records: "The audit log and the disclosure log (ids, kinds, counts; no content)",
        from: "the entry",
        days: Some(AUDIT_YEARS * 365),
        how: Enforcement::Kept,
    },
];

/// The README's table of the policy.
pub fn markdown_table() -> String {
    let mut out = String::from("| records | kept for | counted from | deleted by |\n| --- | --- | --- | --- |\n");
    for r in POLICY {
        let kept = match (r.days, r.how) {
            (_, Enforcement::Kept) => format!("{AUDIT_YEARS} years (not yet deleted by the run)"),
            (Some(0), _) => "deleted at once".to_owned(),
            (Some(d), _) => format!("{d} days"),
            (None, _) => "kept".to_owned(),
        };
        out.push_str(&format!("| {} | {} | {} | {} |\n", r.records, kept, r.from, r.how.describe()));
    }
    out
}

/// What one run deleted: counts by item kind, per rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionRun {
    /// Reports whose closed case passed its period (their private parts deleted, their keys destroyed).
    pub closed_cases: usize,
    /// Rejected reports without a case that passed their period.
    pub rejected_reports: usize,
    /// Other reports without a case that passed their period.
    pub uncased_reports: usize,
    /// Items deleted, by item kind (`report`, `message`, `case_entry`, `report_key`, `delivery`, ...).
    pub deleted: BTreeMap<String, usize>,
}

impl RetentionRun {
    pub fn total(&self) -> usize {
        self.deleted.values().sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("a table failed")]
    Store(#[from] StoreError),
    #[error("writing the audit entry failed")]
    Audit(#[from] crate::usecases::audit::AuditError),
}

/// Who the audit log names for the run's deletions.
pub const RUN_ACTOR: &str = "system:retention";

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Applies the policy once, as of the clock's now.
pub async fn run(deps: &super::Deps) -> Result<RetentionRun, RetentionError> {
    let now = deps.clock.now();
    let mut done = RetentionRun::default();
    let tables = deps.tables.as_ref();

    // Closed cases past their period: the report's private parts go, the case item stays (status, outcome and
    // dates, for the scheme's figures), marked so that the next run passes it by.
    let cutoff = at(now - Duration::days(CLOSED_CASE_DAYS));
    let q = Query::partition(Index::Gsi1, CaseRecord::list_partition(CaseStatus::Closed));
    for item in query_all(tables, Table::Reports, q).await? {
        if item.contains_key(PRIVATE_DELETED_AT) {
            continue;
        }
        let case: CaseRecord = from_item(item)?;
        if case.case_status != CaseStatus::Closed || case.closed_at.as_deref().is_none_or(|c| c > cutoff.as_str()) {
            continue;
        }
        shred_report(tables, &case.report_id, &mut done.deleted).await?;
        let mark = Update::default().set(PRIVATE_DELETED_AT, s(at(now)));
        match tables.update(Table::Reports, &CaseRecord::key(&case.report_id), mark, Condition::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
        done.closed_cases += 1;
    }

    // Rejected drafts past their period, whose report has no case (a case, open or closed, keeps the report under
    // its own rule). gsi1sk is `{rejected_at}#{alert_id}`.
    let cutoff = at(now - Duration::days(REJECTED_REPORT_DAYS));
    let mut q = Query::partition(Index::Gsi1, AlertRecord::list_partition(AlertStatus::Rejected));
    q.sort = SortCondition::Between("0".into(), format!("{cutoff}#~"));
    for item in query_all(tables, Table::Alerts, q).await? {
        let alert: AlertRecord = from_item(item)?;
        if alert.status != AlertStatus::Rejected {
            continue;
        }
        if tables.get(Table::Reports, &CaseRecord::key(&alert.report_id)).await?.is_some() {
            continue;
        }
        shred_report(tables, &alert.report_id, &mut done.deleted).await?;
        delete_counted(tables, Table::Alerts, &AlertRecord::key(&alert.alert_id), "alert", &mut done.deleted).await?;
        done.rejected_reports += 1;
    }

    // Any other report without a case, past its period from receipt (gsi1sk is `{received_at}#{id}`). The alert
    // item, public and sanitised, stays; a report shredded here leaves the index, so the next run passes it by.
    let cutoff = at(now - Duration::days(UNCASED_REPORT_DAYS));
    let mut q = Query::partition(Index::Gsi1, ReportRecord::LIST_PARTITION);
    q.sort = SortCondition::Between("0".into(), format!("{cutoff}#~"));
    for item in query_all(tables, Table::Reports, q).await? {
        let Some(id) = attr_str(&item, "report_id").and_then(|id| ReportId::parse(id).ok()) else { continue };
        if tables.get(Table::Reports, &CaseRecord::key(&id)).await?.is_some() {
            continue;
        }
        shred_report(tables, &id, &mut done.deleted).await?;
        done.uncased_reports += 1;
    }

    // What the tables' time to live removes in the cloud (delivery items, expired lookups); the embedded tables do
    // it here. Counted by table, as DynamoDB's own deletions are not seen by the run.
    let epoch = now.timestamp();
    for table in Table::ALL {
        let n = tables.expire_due(table, epoch).await?;
        if n > 0 {
            *done.deleted.entry(format!("expired ({})", table.as_str())).or_default() += n;
        }
    }

    audit(deps, &done).await?;
    tracing::info!(
        closed_cases = done.closed_cases,
        rejected_reports = done.rejected_reports,
        uncased_reports = done.uncased_reports,
        deleted = done.total(),
        "retention run"
    );
    Ok(done)
}

/// Set on a case item once its report's private parts are gone.
pub const PRIVATE_DELETED_AT: &str = "private_deleted_at";

/// One audit entry per kind deleted: the kind and the count, nothing else.
async fn audit(deps: &super::Deps, done: &RetentionRun) -> Result<(), RetentionError> {
    let actor = Staff { subject: RUN_ACTOR.to_owned(), role: Role::Admin };
    for (kind, n) in &done.deleted {
        crate::usecases::audit::record(deps, &actor, "retention.delete", &format!("{kind}:{n}"), None).await?;
    }
    Ok(())
}

async fn delete_counted(
    tables: &dyn crate::ports::Tables,
    table: Table,
    key: &Key,
    kind: &str,
    counts: &mut BTreeMap<String, usize>,
) -> Result<(), StoreError> {
    if tables.get(table, key).await?.is_some() {
        tables.delete(table, key, Condition::Always).await?;
        *counts.entry(kind.to_owned()).or_default() += 1;
    }
    Ok(())
}

fn kind_of(item: &Item) -> String {
    attr_str(item, "kind").unwrap_or("unknown").to_owned()
}

/// Deletes every private record of one report and destroys its keys. The case item and the disclosure log stay.
/// Safe to repeat: what is gone is not counted again.
pub async fn shred_report(
    tables: &dyn crate::ports::Tables,
    report: &ReportId,
    counts: &mut BTreeMap<String, usize>,
) -> Result<(), StoreError> {
    let mut doomed: Vec<(Key, String)> = Vec::new();
    // The report's partition: the report, messages, case entries, consent entries, link requests.
    for item in query_all(tables, Table::Reports, Query::partition(Index::Primary, format!("REPORT#{report}"))).await? {
        let (Some(pk), Some(sk)) = (attr_str(&item, "pk"), attr_str(&item, "sk")) else { continue };
        if sk == CaseRecord::key(report).sk {
            continue;
        }
        doomed.push((Key::new(pk, sk), kind_of(&item)));
    }
    // Police packages and safeguarding overrides, each in its own partition, found by the report's index.
    for partition in [crate::usecases::police::by_report_partition(report), crate::usecases::safeguarding::by_report_partition(report)] {
        for item in query_all(tables, Table::Reports, Query::partition(Index::Gsi1, partition)).await? {
            let (Some(pk), Some(sk)) = (attr_str(&item, "pk"), attr_str(&item, "sk")) else { continue };
            doomed.push((Key::new(pk, sk), kind_of(&item)));
        }
    }
    // A notice waiting for the reporter's hours.
    let notice = crate::usecases::thread::NoticeRecord::key(report);
    if let Some(item) = tables.get(Table::Reports, &notice).await? {
        doomed.push((notice, kind_of(&item)));
    }
    for (key, kind) in doomed {
        tables.delete(Table::Reports, &key, Condition::Always).await?;
        *counts.entry(kind).or_default() += 1;
    }
    // Last, the keys: anything sealed under them, wherever a copy is, no longer opens.
    let keys = crate::usecases::report_keys::destroy(tables, report).await?;
    if keys > 0 {
        *counts.entry(crate::usecases::report_keys::KEY_ITEM_KIND.to_owned()).or_default() += keys;
    }
    Ok(())
}
