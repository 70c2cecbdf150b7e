//! Casework: a case for each report whose reporter allowed caseworker contact (opened when the report arrives, see
//! `duty`), and for any report a caseworker opens one for.
//!
//! A case lives beside its report in the reports table (`REPORT#{id}` / `CASE`), listed by status through `gsi1`
//! (`CASES#{status}`). Its status and the caseworker's name are also written onto the report item itself as
//! `case_status` and `assigned_to`, which is what the reporter's follow-up page reads. What staff write in a case
//! (notes, a contact attempt's note, a referral's note, a closing note) is sealed per entry, under kind `case_note`
//! and the entry's own id, and is never logged. Everything else is a closed set of words or an id.

use serde::{Deserialize, Serialize};

use crate::domain::status::stored_enum;

use crate::domain::ids::random_base32;
use crate::domain::{Region, ReportId};
use crate::ports::tables::{AttributeValue, Item, attr_str, from_item, query_all, s, to_item};
use crate::ports::{Condition, EncryptionContext, Index, Key, Query, SortCondition, StoreError, Table, Update};
use crate::seal::{SealError, Sealed};
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub type CaseDeps = super::Deps;

pub const CASE_KIND: &str = "case";
pub const CASE_ENTRY_KIND: &str = "case_entry";
pub const SERVICE_KIND: &str = "service";
/// The encryption-context kind of every text written in a case.
pub const CASE_NOTE_KIND: &str = "case_note";
/// Who opens the case of a report that asked for contact: the system, as the report arrives.
pub const OPENED_ON_ARRIVAL: &str = "system";

/// The longest text staff may write in one case entry.
pub const MAX_NOTE_CHARS: usize = 4000;

stored_enum! {
    /// Where a case stands. `open`: nobody has it yet; `assigned`: a caseworker has it; `closed`: done, with an outcome.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum CaseStatus { Open => "open", Assigned => "assigned", Closed => "closed" }
}

stored_enum! {
    /// How a caseworker tried to reach the reporter.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum ContactChannel { Phone => "phone", Sms => "sms", Email => "email", InPerson => "in_person", Other => "other" }
}

stored_enum! {
    /// What came of one attempt to reach the reporter.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum ContactOutcome {
        Reached => "reached",
        NoAnswer => "no_answer",
        LeftMessage => "left_message",
        UnsafeToTalk => "unsafe_to_talk",
        WrongContact => "wrong_contact",
    }
}

stored_enum! {
    /// How a case ended.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum CaseOutcome {
        Supported => "supported",
        Referred => "referred",
        NoContact => "no_contact",
        Declined => "declined",
        NotNeeded => "not_needed",
        Other => "other",
    }
}

stored_enum! {
    /// What an entry of a case records.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum EntryKind { Note => "note", Contact => "contact", Referral => "referral", Closing => "closing" }
}

/// The stored form of a case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub report_id: ReportId,
    pub case_status: CaseStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    pub received_at: String,
    pub opened_at: String,
    pub opened_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CaseOutcome>,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl CaseRecord {
    pub fn key(id: &ReportId) -> Key {
        Key::new(format!("REPORT#{id}"), "CASE")
    }

    pub fn list_partition(status: CaseStatus) -> String {
        format!("CASES#{}", status.as_str())
    }
}

/// One entry of a case: a note, a contact attempt, a referral or the closing note. The text, if any, is sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseEntryRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub report_id: ReportId,
    pub entry_id: String,
    pub entry: EntryKind,
    pub at: String,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ContactChannel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ContactOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub text_sealed: Sealed<String>,
}

impl CaseEntryRecord {
    pub fn context(report_id: &ReportId, entry_id: &str) -> EncryptionContext {
        EncryptionContext::new(Table::Reports.as_str(), CASE_NOTE_KIND, &format!("{report_id}/{entry_id}"))
    }
}

/// A case as the queue lists it (the contract's shape).
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub report_id: ReportId,
    pub reference: ReportId,
    pub status: CaseStatus,
    pub assigned_to: Option<String>,
    pub received_at: String,
    pub consent: serde_json::Value,
}

/// One entry as staff read it, its text opened.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub entry_id: String,
    pub entry: EntryKind,
    pub at: String,
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ContactChannel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ContactOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A whole case as staff read it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub opened_at: String,
    pub opened_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CaseOutcome>,
    pub entries: Vec<EntryView>,
    /// The report's consent as it changed, oldest first: when, who, how, what changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consent_history: Vec<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("there is no report with this id")]
    NoReport,
    #[error("there is no case for this report")]
    NoCase,
    #[error("the case is closed")]
    Closed,
    #[error("there is no service with this id")]
    NoService,
    /// What staff sent is not what the path takes: the field and what is wrong, in words.
    #[error("invalid input")]
    Invalid { field: &'static str, message: String },
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] SealError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CaseError {
    CaseError::Invalid { field, message: message.into() }
}

fn now(deps: &CaseDeps) -> String {
    deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A person's name as staff type it: 1 to 100 characters, no control characters.
pub fn check_name(field: &'static str, raw: &str) -> Result<String, CaseError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(field, format!("{field} is a name of 1 to 100 characters, without line breaks.")));
    }
    Ok(name.to_owned())
}

fn check_text(field: &'static str, raw: &str, required: bool) -> Result<Option<String>, CaseError> {
    let text = raw.trim();
    if text.is_empty() {
        return if required { Err(invalid(field, format!("{field} is empty: write the note."))) } else { Ok(None) };
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(field, format!("{field} is longer than {MAX_NOTE_CHARS} characters: shorten it or split it in two.")));
    }
    Ok(Some(text.to_owned()))
}

async fn report_item(deps: &CaseDeps, id: &ReportId) -> Result<ReportRecord, CaseError> {
    let item = deps.tables.get(Table::Reports, &ReportRecord::key(id)).await?.ok_or(CaseError::NoReport)?;
    if attr_str(&item, "kind") != Some(REPORT_KIND) {
        return Err(CaseError::NoReport);
    }
    Ok(from_item(item)?)
}

async fn case_item(deps: &CaseDeps, id: &ReportId) -> Result<CaseRecord, CaseError> {
    let item = deps.tables.get(Table::Reports, &CaseRecord::key(id)).await?.ok_or(CaseError::NoCase)?;
    Ok(from_item(item)?)
}

/// Writes the case's status and caseworker onto the report item, where the reporter's follow-up page reads them.
async fn mirror(deps: &CaseDeps, case: &CaseRecord) -> Result<(), CaseError> {
    let mut update = Update::default().set("case_status", s(case.case_status.as_str()));
    update = match &case.assigned_to {
        Some(name) => update.set("assigned_to", s(name.clone())),
        None => update.remove("assigned_to"),
    };
    deps.tables.update(Table::Reports, &ReportRecord::key(&case.report_id), update, Condition::Exists).await?;
    Ok(())
}

/// Opens the case of a stored report. Idempotent: a report that has a case keeps it (`false`: nothing new).
pub async fn open_case_for(deps: &CaseDeps, report: &ReportRecord, by: &str) -> Result<(CaseRecord, bool), CaseError> {
    let key = CaseRecord::key(&report.report_id);
    let case = CaseRecord {
        pk: key.pk.clone(),
        sk: key.sk.clone(),
        kind: CASE_KIND.into(),
        report_id: report.report_id.clone(),
        case_status: CaseStatus::Open,
        assigned_to: None,
        received_at: report.received_at.clone(),
        opened_at: now(deps),
        opened_by: by.to_owned(),
        closed_at: None,
        outcome: None,
        gsi1pk: CaseRecord::list_partition(CaseStatus::Open),
        gsi1sk: format!("{}#{}", report.received_at, report.report_id),
    };
    match deps.tables.put(Table::Reports, to_item(&case)?, Condition::NotExists).await {
        Ok(()) => {
            mirror(deps, &case).await?;
            tracing::info!(report_id = %case.report_id, "case opened");
            Ok((case, true))
        }
        Err(StoreError::ConditionFailed) => Ok((case_item(deps, &report.report_id).await?, false)),
        Err(e) => Err(e.into()),
    }
}

/// Opens a case for a report by its id (a caseworker's choice).
pub async fn open_case(deps: &CaseDeps, id: &ReportId, by: &str) -> Result<(CaseRecord, bool), CaseError> {
    let report = report_item(deps, id).await?;
    open_case_for(deps, &report, by).await
}

async fn summary(deps: &CaseDeps, case: &CaseRecord) -> Result<CaseSummary, CaseError> {
    let consent = match report_item(deps, &case.report_id).await {
        // The ledger's answer, as every disclosure reads it.
        Ok(r) => serde_json::to_value(crate::usecases::follow_up::current_consent(deps, &r).await?).expect("consent serialises"),
        Err(CaseError::NoReport) => serde_json::json!({}),
        Err(e) => return Err(e),
    };
    Ok(CaseSummary {
        report_id: case.report_id.clone(),
        reference: case.report_id.clone(),
        status: case.case_status,
        assigned_to: case.assigned_to.clone(),
        received_at: case.received_at.clone(),
        consent,
    })
}

/// The cases of one status, oldest report first; with `mine`, only those assigned to that person.
pub async fn list_cases(deps: &CaseDeps, status: CaseStatus, mine: Option<&str>) -> Result<Vec<CaseSummary>, CaseError> {
    let items = query_all(deps.tables.as_ref(), Table::Reports, Query::partition(Index::Gsi1, CaseRecord::list_partition(status))).await?;
    let mut out = Vec::new();
    for item in items {
        let case: CaseRecord = from_item(item)?;
        // The index is eventually consistent in DynamoDB: trust the item's own status.
        if case.case_status != status || mine.is_some_and(|me| case.assigned_to.as_deref() != Some(me)) {
            continue;
        }
        out.push(summary(deps, &case).await?);
    }
    Ok(out)
}

/// A case with every entry, texts opened.
pub async fn get_case(deps: &CaseDeps, id: &ReportId) -> Result<CaseView, CaseError> {
    let case = case_item(deps, id).await?;
    let mut q = Query::partition(Index::Primary, format!("REPORT#{id}"));
    q.sort = SortCondition::BeginsWith("CASE#".into());
    let mut entries = Vec::new();
    let note_key = super::report_keys::load(deps.tables.as_ref(), deps.keys.as_ref(), id, CASE_NOTE_KIND).await?;
    for item in query_all(deps.tables.as_ref(), Table::Reports, q).await? {
        let e: CaseEntryRecord = from_item(item)?;
        let text = if e.text_sealed.is_empty() {
            None
        } else {
            Some(e.text_sealed.open_in(deps.keys.as_ref(), note_key.as_ref(), &CaseEntryRecord::context(id, &e.entry_id)).await?)
        };
        entries.push(EntryView {
            entry_id: e.entry_id,
            entry: e.entry,
            at: e.at,
            by: e.by,
            channel: e.channel,
            outcome: e.outcome,
            service_id: e.service_id,
            service_name: e.service_name,
            text,
        });
    }
    let consent_history = crate::usecases::follow_up::consent_history(deps, id)
        .await?
        .into_iter()
        .map(|e| serde_json::json!({"at": e.at, "who": e.who, "how": e.how, "change": e.change}))
        .collect();
    Ok(CaseView {
        summary: summary(deps, &case).await?,
        opened_at: case.opened_at,
        opened_by: case.opened_by,
        closed_at: case.closed_at,
        outcome: case.outcome,
        entries,
        consent_history,
    })
}

fn not_closed() -> Condition {
    Condition::In("case_status".into(), vec![s(CaseStatus::Open.as_str()), s(CaseStatus::Assigned.as_str())])
}

/// Gives a case to a caseworker (the one asking, or a colleague by name). A closed case stays closed.
pub async fn assign(deps: &CaseDeps, id: &ReportId, to: &str) -> Result<CaseRecord, CaseError> {
    let to = check_name("to", to)?;
    let update = Update::default()
        .set("case_status", s(CaseStatus::Assigned.as_str()))
        .set("assigned_to", s(to))
        .set("gsi1pk", s(CaseRecord::list_partition(CaseStatus::Assigned)));
    let case = match deps.tables.update(Table::Reports, &CaseRecord::key(id), update, not_closed()).await {
        Ok(item) => from_item::<CaseRecord>(item)?,
        Err(StoreError::ConditionFailed) => return Err(closed_or_missing(deps, id).await),
        Err(e) => return Err(e.into()),
    };
    mirror(deps, &case).await?;
    Ok(case)
}

async fn closed_or_missing(deps: &CaseDeps, id: &ReportId) -> CaseError {
    match case_item(deps, id).await {
        Ok(_) => CaseError::Closed,
        Err(e) => e,
    }
}

/// What staff add to a case.
pub enum NewEntry {
    Note { text: String },
    Contact { channel: ContactChannel, outcome: ContactOutcome, note: Option<String> },
    Referral { service_id: String, note: Option<String> },
}

/// Adds an entry to an open or assigned case; returns the entry's id.
pub async fn add_entry(deps: &CaseDeps, id: &ReportId, by: &str, entry: NewEntry) -> Result<String, CaseError> {
    let case = case_item(deps, id).await?;
    if case.case_status == CaseStatus::Closed {
        return Err(CaseError::Closed);
    }
    let (kind, text, channel, outcome, service) = match entry {
        NewEntry::Note { text } => (EntryKind::Note, check_text("text", &text, true)?, None, None, None),
        NewEntry::Contact { channel, outcome, note } => {
            (EntryKind::Contact, check_text("note", note.as_deref().unwrap_or(""), false)?, Some(channel), Some(outcome), None)
        }
        NewEntry::Referral { service_id, note } => {
            let service = get_service(deps, &service_id).await?;
            (EntryKind::Referral, check_text("note", note.as_deref().unwrap_or(""), false)?, None, None, Some(service))
        }
    };
    write_entry(deps, id, by, kind, text, channel, outcome, service).await
}

#[allow(clippy::too_many_arguments)]
async fn write_entry(
    deps: &CaseDeps,
    id: &ReportId,
    by: &str,
    kind: EntryKind,
    text: Option<String>,
    channel: Option<ContactChannel>,
    outcome: Option<ContactOutcome>,
    service: Option<ServiceRecord>,
) -> Result<String, CaseError> {
    let entry_id = random_base32(12);
    let at = now(deps);
    let text_sealed = match text {
        Some(t) => {
            let sealer = super::report_keys::sealer(
                deps.tables.as_ref(),
                deps.keys.as_ref(),
                id,
                CASE_NOTE_KIND,
                CaseEntryRecord::context(id, &entry_id),
            )
            .await?;
            Sealed::seal(&sealer, &t)
        }
        None => Sealed::default(),
    };
    let rec = CaseEntryRecord {
        pk: format!("REPORT#{id}"),
        sk: format!("CASE#{at}#{entry_id}"),
        kind: CASE_ENTRY_KIND.into(),
        report_id: id.clone(),
        entry_id: entry_id.clone(),
        entry: kind,
        at,
        by: by.to_owned(),
        channel,
        outcome,
        service_id: service.as_ref().map(|s| s.service_id.clone()),
        service_name: service.map(|s| s.name),
        text_sealed,
    };
    deps.tables.put(Table::Reports, to_item(&rec)?, Condition::NotExists).await?;
    tracing::info!(report_id = %id, entry = kind.as_str(), "case entry added");
    Ok(entry_id)
}

/// Closes a case with an outcome (and a sealed closing note, if one is given). Closing twice is refused.
pub async fn close(deps: &CaseDeps, id: &ReportId, by: &str, outcome: CaseOutcome, note: Option<&str>) -> Result<CaseRecord, CaseError> {
    let note = check_text("note", note.unwrap_or(""), false)?;
    let update = Update::default()
        .set("case_status", s(CaseStatus::Closed.as_str()))
        .set("closed_at", s(now(deps)))
        .set("outcome", s(outcome.as_str()))
        .set("gsi1pk", s(CaseRecord::list_partition(CaseStatus::Closed)));
    let case = match deps.tables.update(Table::Reports, &CaseRecord::key(id), update, not_closed()).await {
        Ok(item) => from_item::<CaseRecord>(item)?,
        Err(StoreError::ConditionFailed) => return Err(closed_or_missing(deps, id).await),
        Err(e) => return Err(e.into()),
    };
    mirror(deps, &case).await?;
    if note.is_some() {
        write_entry(deps, id, by, EntryKind::Closing, note, None, None, None).await?;
    }
    Ok(case)
}

// ---- local services: a small list by region, kept by an admin ----

/// A local service a caseworker may refer a reporter to. Public information about an organisation, not a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub service_id: String,
    pub region: Region,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub updated_at: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl ServiceRecord {
    pub fn key(id: &str) -> Key {
        Key::new(format!("SERVICE#{id}"), "SERVICE")
    }
}

/// What an admin sends to add or change a service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    pub region: String,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A service as staff see it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub service_id: String,
    pub region: Region,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub updated_at: String,
}

impl From<ServiceRecord> for ServiceView {
    fn from(r: ServiceRecord) -> Self {
        Self {
            service_id: r.service_id,
            region: r.region,
            name: r.name,
            contact: r.contact,
            description: r.description,
            updated_at: r.updated_at,
        }
    }
}

/// Whether a string is shaped like a service id (so nothing else reaches a key or the audit log).
pub fn is_service_id(s: &str) -> bool {
    s.len() == 14 && s.starts_with("S-") && s[2..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

fn short(field: &'static str, v: Option<&str>, max: usize) -> Result<Option<String>, CaseError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max || v.chars().any(|c| c.is_control() && c != '\n') => {
            Err(invalid(field, format!("{field} is at most {max} characters, without control characters.")))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

fn service_record(deps: &CaseDeps, id: &str, input: &ServiceInput) -> Result<ServiceRecord, CaseError> {
    let name = short("name", Some(&input.name), 120)?.ok_or_else(|| invalid("name", "name is the service's name; it is empty."))?;
    let region = Region::parse(input.region.trim())
        .ok_or_else(|| invalid("region", "region is one of the regions members choose (such as yorkshire-humber or london)."))?;
    let key = ServiceRecord::key(id);
    Ok(ServiceRecord {
        pk: key.pk,
        sk: key.sk,
        kind: SERVICE_KIND.into(),
        service_id: id.to_owned(),
        region,
        name: name.clone(),
        contact: short("contact", input.contact.as_deref(), 200)?,
        description: short("description", input.description.as_deref(), 1000)?,
        updated_at: now(deps),
        gsi1pk: "SERVICES".into(),
        gsi1sk: format!("{}#{}", region.as_str(), id),
    })
}

pub async fn create_service(deps: &CaseDeps, input: &ServiceInput) -> Result<ServiceView, CaseError> {
    let id = format!("S-{}", random_base32(12));
    let rec = service_record(deps, &id, input)?;
    deps.tables.put(Table::Reports, to_item(&rec)?, Condition::NotExists).await?;
    Ok(rec.into())
}

pub async fn update_service(deps: &CaseDeps, id: &str, input: &ServiceInput) -> Result<ServiceView, CaseError> {
    if !is_service_id(id) {
        return Err(CaseError::NoService);
    }
    let rec = service_record(deps, id, input)?;
    match deps.tables.put(Table::Reports, to_item(&rec)?, Condition::Exists).await {
        Ok(()) => Ok(rec.into()),
        Err(StoreError::ConditionFailed) => Err(CaseError::NoService),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_service(deps: &CaseDeps, id: &str) -> Result<(), CaseError> {
    if !is_service_id(id) {
        return Err(CaseError::NoService);
    }
    match deps.tables.delete(Table::Reports, &ServiceRecord::key(id), Condition::Exists).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(CaseError::NoService),
        Err(e) => Err(e.into()),
    }
}

pub async fn get_service(deps: &CaseDeps, id: &str) -> Result<ServiceRecord, CaseError> {
    if !is_service_id(id) {
        return Err(CaseError::NoService);
    }
    let item: Item = deps.tables.get(Table::Reports, &ServiceRecord::key(id)).await?.ok_or(CaseError::NoService)?;
    Ok(from_item(item)?)
}

/// The services of one region, or of every region.
pub async fn list_services(deps: &CaseDeps, region: Option<Region>) -> Result<Vec<ServiceView>, CaseError> {
    let mut q = Query::partition(Index::Gsi1, "SERVICES");
    if let Some(r) = region {
        q.sort = SortCondition::BeginsWith(format!("{}#", r.as_str()));
    }
    let mut out = Vec::new();
    for item in query_all(deps.tables.as_ref(), Table::Reports, q).await? {
        if matches!(item.get("kind"), Some(AttributeValue::S(k)) if k == SERVICE_KIND) {
            out.push(from_item::<ServiceRecord>(item)?.into());
        }
    }
    Ok(out)
}
