//! Disclosure to police: the anonymised package, its two-person approval, its signed export, and the disclosure log.
//!
//! A caseworker builds a package from a report (the stricter sanitiser pass, `sanitiser::police`); a second, different
//! person approves it; only then may it be exported, as a signed JSON document and a printable page, under a
//! disclosure number. The reporter's consent to share with police is read from the ledger at each of the three steps
//! (build, approve, export), at the moment of the step: a withdrawal at any point stops what follows (fail closed).
//! The one other basis is an approved safeguarding override (`safeguarding`), which is checked the same way.
//!
//! A package lives in the reports table (`POLICE_PACKAGE#{id}` / `PACKAGE`), its content sealed under kind
//! `police_package`. Each export writes one disclosure log entry (`DISCLOSURES` / `{at}#{number}`): what went (the
//! package and report ids, the basis), to whom, when and who sent it. Nothing here logs content.

use serde::{Deserialize, Serialize};

use super::Deps;
use super::follow_up::consent_of;
use super::safeguarding::{self, OverrideError};
use crate::domain::ReportId;
use crate::domain::ids::random_base32;
use crate::domain::status::stored_enum;
use crate::ports::tables::{attr_str, from_item, query_all, s, to_item};
use crate::ports::{Condition, EncryptionContext, Index, Key, KeyError, MacPurpose, Query, StoreError, Table, Update};
use crate::sanitiser::police::{PoliceContent, police_content};
use crate::seal::{SealError, Sealed};
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub const PACKAGE_KIND: &str = "police_package";
pub const DISCLOSURE_KIND: &str = "disclosure";
pub const DISCLOSURES_PARTITION: &str = "DISCLOSURES";
/// The signature's algorithm and key, as the document names them.
pub const SIGNATURE_ALG: &str = "HMAC-SHA256";
pub const SIGNATURE_KEY: &str = "num-police-export-v1";

stored_enum! {
    /// Where a package stands.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum PackageStatus { AwaitingApproval => "awaiting_approval", Approved => "approved", Exported => "exported" }
}

stored_enum! {
    /// Why a disclosure may happen: the reporter's consent, or an approved safeguarding override.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Basis { Consent => "consent", SafeguardingOverride => "safeguarding_override" }
}

/// The stored form of a package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub package_id: String,
    pub report_id: ReportId,
    pub status: PackageStatus,
    pub basis: Basis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<String>,
    pub built_by: String,
    pub built_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    pub content_sealed: Sealed<PoliceContent>,
    /// The report's packages, for the retention run ([`by_report_partition`]); absent on packages built before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
}

/// The index partition of one report's police packages.
pub fn by_report_partition(report: &ReportId) -> String {
    format!("PACKAGES_OF#{report}")
}

impl PackageRecord {
    pub fn key(id: &str) -> Key {
        Key::new(format!("POLICE_PACKAGE#{id}"), "PACKAGE")
    }

    pub fn context(id: &str) -> EncryptionContext {
        EncryptionContext::new(Table::Reports.as_str(), PACKAGE_KIND, id)
    }
}

/// One line of the disclosure log: what went to whom, when, on what basis, and who sent it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DisclosureRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub disclosure_number: String,
    /// `police_package` (anonymised) or `identity` (the reporter's name and contact).
    pub what: String,
    pub package_id: String,
    pub report_id: ReportId,
    pub recipient: String,
    pub basis: Basis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<String>,
    pub at: String,
    pub by: String,
    pub approved_by: String,
}

/// A package as staff read it.
#[derive(Debug, Clone, Serialize)]
pub struct PackageView {
    pub package_id: String,
    pub report_id: ReportId,
    pub status: PackageStatus,
    pub basis: Basis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_id: Option<String>,
    pub built_by: String,
    pub built_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
    pub content: PoliceContent,
}

/// The exported document and its signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Export {
    pub document: serde_json::Value,
    pub signature: Signature,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signature {
    pub alg: String,
    pub key: String,
    /// What is signed: the SHA-256 of the document's canonical JSON (keys sorted, no spaces).
    pub over: String,
    /// Base64 of the MAC.
    pub value: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PoliceError {
    #[error("there is no report with this id")]
    NoReport,
    #[error("there is no package with this id")]
    NoPackage,
    /// The reporter does not consent to sharing with police (now), and no approved override covers it.
    #[error("the reporter has not consented")]
    NoConsent,
    /// The second person is the one who built it.
    #[error("the approver built the package")]
    SamePerson,
    /// The package is not in the state the step needs.
    #[error("the package is {0}")]
    WrongState(&'static str),
    #[error("invalid input")]
    Invalid { field: &'static str, message: String },
    #[error("the override failed")]
    Override(#[from] OverrideError),
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] SealError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
}

fn now(deps: &Deps) -> String {
    deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn report(deps: &Deps, id: &ReportId) -> Result<ReportRecord, PoliceError> {
    let item = deps.tables.get(Table::Reports, &ReportRecord::key(id)).await?.ok_or(PoliceError::NoReport)?;
    if attr_str(&item, "kind") != Some(REPORT_KIND) {
        return Err(PoliceError::NoReport);
    }
    Ok(from_item(item)?)
}

/// Whether a package id is shaped like one (so nothing else reaches a key or the audit log).
pub fn is_package_id(s: &str) -> bool {
    s.len() == 16 && s.starts_with("PP-") && s[3..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// The basis a step may rest on now: the reporter's consent to share with police, read from the ledger at this
/// moment; else the package's approved override (still approved); else `NoConsent`.
async fn basis_now(deps: &Deps, report_id: &ReportId, override_id: Option<&str>) -> Result<Basis, PoliceError> {
    if let Some(o) = override_id {
        safeguarding::require_approved(deps, o, report_id).await?;
        return Ok(Basis::SafeguardingOverride);
    }
    let consent = consent_of(deps, report_id).await?.ok_or(PoliceError::NoReport)?;
    if consent.share_with_police { Ok(Basis::Consent) } else { Err(PoliceError::NoConsent) }
}

/// A caseworker builds the package of a report. Consent is checked first; with `override_id`, the approved override
/// for this report is the basis instead.
pub async fn build(deps: &Deps, report_id: &ReportId, by: &str, override_id: Option<&str>) -> Result<PackageRecord, PoliceError> {
    let rec = report(deps, report_id).await?;
    let basis = basis_now(deps, report_id, override_id).await?;
    let content = {
        let r = rec.open(deps.tables.as_ref(), deps.keys.as_ref()).await?;
        police_content(&r)
    };
    let package_id = format!("PP-{}", random_base32(13));
    let sealer =
        super::report_keys::sealer(deps.tables.as_ref(), deps.keys.as_ref(), report_id, PACKAGE_KIND, PackageRecord::context(&package_id))
            .await?;
    let key = PackageRecord::key(&package_id);
    let pkg = PackageRecord {
        pk: key.pk,
        sk: key.sk,
        kind: PACKAGE_KIND.into(),
        package_id: package_id.clone(),
        report_id: report_id.clone(),
        status: PackageStatus::AwaitingApproval,
        basis,
        override_id: override_id.map(str::to_owned),
        built_by: by.to_owned(),
        built_at: now(deps),
        approved_by: None,
        approved_at: None,
        disclosure_number: None,
        exported_by: None,
        exported_at: None,
        recipient: None,
        content_sealed: Sealed::seal(&sealer, &content),
        gsi1pk: Some(by_report_partition(report_id)),
        gsi1sk: Some(package_id.clone()),
    };
    deps.tables.put(Table::Reports, to_item(&pkg)?, Condition::NotExists).await?;
    tracing::info!(report_id = %report_id, package_id = %package_id, basis = basis.as_str(), "police package built");
    Ok(pkg)
}

pub async fn get(deps: &Deps, id: &str) -> Result<PackageRecord, PoliceError> {
    if !is_package_id(id) {
        return Err(PoliceError::NoPackage);
    }
    let item = deps.tables.get(Table::Reports, &PackageRecord::key(id)).await?.ok_or(PoliceError::NoPackage)?;
    Ok(from_item(item)?)
}

/// A package's content, opened under its report's key for packages.
async fn open_content(deps: &Deps, p: &PackageRecord) -> Result<PoliceContent, SealError> {
    super::report_keys::open(
        deps.tables.as_ref(),
        deps.keys.as_ref(),
        &p.report_id,
        PACKAGE_KIND,
        &p.content_sealed,
        &PackageRecord::context(&p.package_id),
    )
    .await
}

pub async fn view(deps: &Deps, id: &str) -> Result<PackageView, PoliceError> {
    let p = get(deps, id).await?;
    let content = open_content(deps, &p).await?;
    Ok(PackageView {
        package_id: p.package_id,
        report_id: p.report_id,
        status: p.status,
        basis: p.basis,
        override_id: p.override_id,
        built_by: p.built_by,
        built_at: p.built_at,
        approved_by: p.approved_by,
        approved_at: p.approved_at,
        disclosure_number: p.disclosure_number,
        recipient: p.recipient,
        exported_at: p.exported_at,
        content,
    })
}

/// A second, different person approves a package that awaits approval, while its basis still holds.
pub async fn approve(deps: &Deps, id: &str, by: &str) -> Result<PackageRecord, PoliceError> {
    let p = get(deps, id).await?;
    if p.built_by == by {
        return Err(PoliceError::SamePerson);
    }
    if p.status != PackageStatus::AwaitingApproval {
        return Err(PoliceError::WrongState(p.status.as_str()));
    }
    basis_now(deps, &p.report_id, p.override_id.as_deref()).await?;
    let update = Update::default().set("status", PackageStatus::Approved).set("approved_by", s(by)).set("approved_at", s(now(deps)));
    let cond = Condition::Equals("status".into(), PackageStatus::AwaitingApproval.as_attr());
    match deps.tables.update(Table::Reports, &PackageRecord::key(id), update, cond).await {
        Ok(item) => {
            tracing::info!(package_id = %id, "police package approved");
            Ok(from_item(item)?)
        }
        Err(StoreError::ConditionFailed) => Err(PoliceError::WrongState("no longer awaiting approval")),
        Err(e) => Err(e.into()),
    }
}

/// The next disclosure number: `D-{year}-{n:06}`, from one counter.
async fn next_number(deps: &Deps) -> Result<String, PoliceError> {
    let item = deps
        .tables
        .update(Table::Reports, &Key::new("DISCLOSURE_COUNTER", "COUNTER"), Update::default().add("n", 1), Condition::Always)
        .await?;
    let n = match item.get("n") {
        Some(crate::ports::tables::AttributeValue::N(n)) => n.parse::<u64>().unwrap_or(0),
        _ => 0,
    };
    Ok(format!("D-{}-{n:06}", deps.clock.now().format("%Y")))
}

/// Checks a recipient's name: 2 to 120 characters, no control characters (a force, a unit: "SCAS", "West Yorkshire Police").
fn check_recipient(raw: &str) -> Result<String, PoliceError> {
    let r = raw.trim();
    if r.chars().count() < 2 || r.chars().count() > 120 || r.chars().any(char::is_control) {
        return Err(PoliceError::Invalid {
            field: "recipient",
            message: "recipient is who receives it (a force or unit, such as SCAS), 2 to 120 characters.".into(),
        });
    }
    Ok(r.to_owned())
}

/// Exports an approved package to a recipient, while its basis still holds: gives it a disclosure number, writes the
/// disclosure log entry, and returns the signed document. Exporting again gives the same number and document
/// (idempotent), after the basis is checked again.
pub async fn export(deps: &Deps, id: &str, by: &str, recipient: &str) -> Result<(PackageRecord, Export), PoliceError> {
    let recipient = check_recipient(recipient)?;
    let p = get(deps, id).await?;
    match p.status {
        PackageStatus::AwaitingApproval => return Err(PoliceError::WrongState(p.status.as_str())),
        PackageStatus::Exported => {
            basis_now(deps, &p.report_id, p.override_id.as_deref()).await?;
            let doc = signed(deps, &p).await?;
            return Ok((p, doc));
        }
        PackageStatus::Approved => {}
    }
    let basis = basis_now(deps, &p.report_id, p.override_id.as_deref()).await?;
    let number = next_number(deps).await?;
    let at = now(deps);
    let update = Update::default()
        .set("status", PackageStatus::Exported)
        .set("disclosure_number", s(number.clone()))
        .set("exported_by", s(by))
        .set("exported_at", s(at.clone()))
        .set("recipient", s(recipient.clone()));
    let cond = Condition::Equals("status".into(), PackageStatus::Approved.as_attr());
    let p: PackageRecord = match deps.tables.update(Table::Reports, &PackageRecord::key(id), update, cond).await {
        Ok(item) => from_item(item)?,
        Err(StoreError::ConditionFailed) => return Err(PoliceError::WrongState("being exported by someone else")),
        Err(e) => return Err(e.into()),
    };
    let entry = DisclosureRecord {
        pk: DISCLOSURES_PARTITION.into(),
        sk: format!("{at}#{number}"),
        kind: DISCLOSURE_KIND.into(),
        disclosure_number: number.clone(),
        what: PACKAGE_KIND.into(),
        package_id: p.package_id.clone(),
        report_id: p.report_id.clone(),
        recipient,
        basis,
        override_id: p.override_id.clone(),
        at,
        by: by.to_owned(),
        approved_by: p.approved_by.clone().unwrap_or_default(),
    };
    deps.tables.put(Table::Reports, to_item(&entry)?, Condition::NotExists).await?;
    tracing::info!(package_id = %id, disclosure = %number, basis = basis.as_str(), "police package exported");
    if let Some(o) = p.override_id.as_deref() {
        safeguarding::tell_reporter(deps, o).await?;
    }
    let doc = signed(deps, &p).await?;
    Ok((p, doc))
}

/// The canonical bytes of a document: serde_json's map keeps keys sorted, and nothing is pretty-printed.
pub fn canonical(doc: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(doc).expect("a JSON value serialises")
}

fn digest(doc: &serde_json::Value) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(canonical(doc)).into()
}

async fn signed(deps: &Deps, p: &PackageRecord) -> Result<Export, PoliceError> {
    use base64::Engine;
    let content = open_content(deps, p).await?;
    let document = serde_json::json!({
        "disclosure_number": p.disclosure_number,
        "package_id": p.package_id,
        "issued_at": p.exported_at,
        "recipient": p.recipient,
        "issuer": "National Ugly Mugs safety scheme",
        "basis": p.basis,
        "approved": true,
        "content": content,
        "notice": "Anonymised: it names no reporter, no third party and no venue. Ask the scheme, quoting the disclosure number, for anything more; the scheme asks the reporter first.",
    });
    let mac = deps.keys.mac(MacPurpose::PoliceExport, &digest(&document)).await?;
    Ok(Export {
        document,
        signature: Signature {
            alg: SIGNATURE_ALG.into(),
            key: SIGNATURE_KEY.into(),
            over: "sha256 of the document's canonical JSON (keys sorted, no whitespace)".into(),
            value: base64::engine::general_purpose::STANDARD.encode(mac),
        },
    })
}

/// Checks a document's signature with the key port: whether the scheme issued exactly this document.
pub async fn verify(keys: &dyn crate::ports::KeyService, export: &Export) -> Result<bool, KeyError> {
    use base64::Engine;
    use subtle::ConstantTimeEq;
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(&export.signature.value) else { return Ok(false) };
    let mac = keys.mac(MacPurpose::PoliceExport, &digest(&export.document)).await?;
    Ok(bool::from(mac.as_slice().ct_eq(&given)))
}

/// The disclosure log, oldest first.
pub async fn disclosures(deps: &Deps) -> Result<Vec<DisclosureRecord>, PoliceError> {
    let q = Query::partition(Index::Primary, DISCLOSURES_PARTITION);
    Ok(query_all(deps.tables.as_ref(), Table::Reports, q).await?.into_iter().map(from_item).collect::<Result<_, _>>()?)
}

/// Writes a disclosure log entry for something disclosed outside a package (an identity released on a link request).
pub async fn log_disclosure(deps: &Deps, mut entry: DisclosureRecord) -> Result<DisclosureRecord, PoliceError> {
    entry.disclosure_number = next_number(deps).await?;
    entry.at = now(deps);
    entry.pk = DISCLOSURES_PARTITION.into();
    entry.sk = format!("{}#{}", entry.at, entry.disclosure_number);
    entry.kind = DISCLOSURE_KIND.into();
    deps.tables.put(Table::Reports, to_item(&entry)?, Condition::NotExists).await?;
    Ok(entry)
}

/// The printable page of an exported package: plain HTML, one stylesheet inline, nothing fetched.
pub fn printable(p: &PackageRecord, export: &Export) -> String {
    use maud::html;
    let doc = &export.document;
    let c = &doc["content"];
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string())).collect()).unwrap_or_default()
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let vehicles: Vec<String> = c["offender"]["vehicles"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| ["colour", "make", "model", "registration"].iter().filter_map(|k| v[*k].as_str()).collect::<Vec<_>>().join(" "))
                .collect()
        })
        .unwrap_or_default();
    html! {
        (maud::DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="robots" content="noindex";
                title { "Disclosure " (p.disclosure_number.as_deref().unwrap_or("")) }
                style { "body{font-family:serif;max-width:42em;margin:2em auto}th{text-align:left;padding-right:1em;vertical-align:top}@media print{a{display:none}}" }
            }
            body {
                h1 { "Disclosure " (p.disclosure_number.as_deref().unwrap_or("")) }
                p { "Issued " (p.exported_at.as_deref().unwrap_or("")) " to " (p.recipient.as_deref().unwrap_or("")) " by the National Ugly Mugs safety scheme. "
                    "Package " (p.package_id) "; basis: " (p.basis.as_str().replace('_', " ")) "." }
                p { strong { "Anonymised." } " It names no reporter, no third party and no venue. Ask the scheme, quoting the disclosure number, for anything more." }
                table {
                    tr { th { "Town" } td { (text(&c["town"])) } }
                    tr { th { "Date" } td { (text(&c["date"])) } }
                    tr { th { "Time of day" } td { (text(&c["time_of_day"])) } }
                    tr { th { "What he did" } td { (list(&c["categories"]).join(", ").replace('_', " ")) } }
                    tr { th { "First contact" } td { (text(&c["first_contact"]).replace('_', " ")) } }
                    tr { th { "Names used" } td { (list(&c["offender"]["names_used"]).join(", ")) } }
                    tr { th { "Phones" } td { (list(&c["offender"]["phones"]).join(", ")) } }
                    tr { th { "Emails" } td { (list(&c["offender"]["emails"]).join(", ")) } }
                    tr { th { "Online names" } td { (list(&c["offender"]["online_handles"]).join(", ")) } }
                    tr { th { "Vehicles" } td { (vehicles.join("; ")) } }
                    tr { th { "Description" } td { (text(&c["offender"]["description"])) } }
                }
                h2 { "Account" }
                p { (text(&c["account"])) }
                h2 { "Signature" }
                p { (export.signature.alg) " (" (export.signature.key) "): " code { (export.signature.value) } }
            }
        }
    }
    .into_string()
}
