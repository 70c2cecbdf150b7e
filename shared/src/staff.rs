//! Staff identity and what each role may do, decided in one place.
//!
//! In the cloud the HTTP API's JWT authorizer checks Cognito tokens and hands the claims to the function; on one
//! machine `num staff token` signs tokens of the same claims shape with a key derived from the local master key. A
//! local token names another issuer and audience, and the local key never exists in the cloud, so it can never
//! authorise anything there.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::ports::{KeyService, MacPurpose};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Caseworker,
    Reviewer,
    OfficeManager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Caseworker, Role::Reviewer, Role::OfficeManager, Role::Admin];

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "caseworker" => Some(Role::Caseworker),
            "reviewer" => Some(Role::Reviewer),
            "office_manager" => Some(Role::OfficeManager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::Reviewer => "reviewer",
            Role::OfficeManager => "office_manager",
            Role::Admin => "admin",
        }
    }
}

/// Everything staff can do through the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ListAlerts,
    ReadAlert,
    PublishAlert,
    RejectAlert,
    ReadDeliveries,
    /// Opens a report's private parts: the reporter, the workplace, the raw account.
    ReadReport,
    /// Reads the audit log.
    ReadAudit,
    /// Finds one member's subscription by their exact email or phone (never a list).
    HelpdeskFind,
    /// Sends a pending member a fresh verification code.
    HelpdeskResendCode,
    /// Ends a member's subscription at their request.
    HelpdeskDeactivate,
    /// Lists the requests waiting for approval (never a contact).
    ListMembers,
    /// Approves a verified request: the member starts getting alerts.
    ApproveMember,
    /// Declines a verified request.
    DeclineMember,
    /// Casework (see `usecases::casework`): the queue, one case, and what staff do in a case.
    ListCases,
    OpenCase,
    ReadCase,
    AssignCase,
    AddCaseNote,
    LogCaseContact,
    ReferCase,
    CloseCase,
    /// The local services a caseworker may refer to: read by caseworkers, kept by an admin.
    ListServices,
    CreateService,
    UpdateService,
    DeleteService,
    /// The duty rota of a role (staff names and contacts): an admin's.
    ReadRota,
    EditRota,
    /// Reads a report's message thread with the reporter.
    ReadMessages,
    /// Writes to the reporter in the report's thread.
    SendMessage,
    /// Takes a published alert back; the members who got it are told.
    WithdrawAlert,
    /// Publishes a corrected version of an alert to the members who got it.
    CorrectAlert,
    /// Finds whose copy of an alert a leaked text or link was.
    TraceCopy,
    /// Reads a report's consent ledger (with caseworkers' notes).
    ReadConsent,
    /// Records the reporter's answer given by phone or in person, with a note.
    RecordConsent,
    /// Police disclosure (see `usecases::police`): build, read, approve (a second person), export, print, the log.
    BuildPolicePackage,
    ReadPolicePackage,
    ApprovePolicePackage,
    ExportPolicePackage,
    PrintPolicePackage,
    ListDisclosures,
    /// The safeguarding override (see `usecases::safeguarding`): asked for by one person, approved by a senior other.
    RequestOverride,
    ReadOverride,
    ApproveOverride,
    /// Police link requests (see `usecases::link_requests`): record and list, ask for the identity's release, approve it.
    RecordLinkRequest,
    ListLinkRequests,
    RequestIdentityRelease,
    ApproveIdentityRelease,
}

impl Action {
    pub const ALL: [Action; 6] =
        [Action::ListAlerts, Action::ReadAlert, Action::PublishAlert, Action::RejectAlert, Action::ReadDeliveries, Action::ReadReport];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ListAlerts => "list_alerts",
            Action::ReadAlert => "read_alert",
            Action::PublishAlert => "publish_alert",
            Action::RejectAlert => "reject_alert",
            Action::ReadDeliveries => "read_deliveries",
            Action::ReadReport => "read_report",
            Action::ReadAudit => "read_audit",
            Action::HelpdeskFind => "find_subscription",
            Action::HelpdeskResendCode => "resend_code",
            Action::HelpdeskDeactivate => "deactivate_subscription",
            Action::ListMembers => "list_members",
            Action::ApproveMember => "approve_member",
            Action::DeclineMember => "decline_member",
            Action::ListCases => "list_cases",
            Action::OpenCase => "open_case",
            Action::ReadCase => "read_case",
            Action::AssignCase => "assign_case",
            Action::AddCaseNote => "add_case_note",
            Action::LogCaseContact => "log_case_contact",
            Action::ReferCase => "refer_case",
            Action::CloseCase => "close_case",
            Action::ListServices => "list_services",
            Action::CreateService => "create_service",
            Action::UpdateService => "update_service",
            Action::DeleteService => "delete_service",
            Action::ReadRota => "read_rota",
            Action::EditRota => "edit_rota",
            Action::ReadMessages => "read_messages",
            Action::SendMessage => "send_message",
            Action::WithdrawAlert => "withdraw_alert",
            Action::CorrectAlert => "correct_alert",
            Action::TraceCopy => "trace_copy",
            Action::ReadConsent => "read_consent",
            Action::RecordConsent => "record_consent",
            Action::BuildPolicePackage => "build_police_package",
            Action::ReadPolicePackage => "read_police_package",
            Action::ApprovePolicePackage => "approve_police_package",
            Action::ExportPolicePackage => "export_police_package",
            Action::PrintPolicePackage => "print_police_package",
            Action::ListDisclosures => "list_disclosures",
            Action::RequestOverride => "request_override",
            Action::ReadOverride => "read_override",
            Action::ApproveOverride => "approve_override",
            Action::RecordLinkRequest => "record_link_request",
            Action::ListLinkRequests => "list_link_requests",
            Action::RequestIdentityRelease => "request_identity_release",
            Action::ApproveIdentityRelease => "approve_identity_release",
        }
    }
}

/// The permissions table (the README shows it). An office manager never reads a report or an alert draft; only a
/// caseworker or an admin reads a reporter's private details.
pub fn may(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        ListAlerts | ReadAlert | PublishAlert | RejectAlert | WithdrawAlert | CorrectAlert => matches!(role, Reviewer | Admin),
        // It names a member: an admin's alone.
        TraceCopy => matches!(role, Admin),
        ReadDeliveries => matches!(role, Reviewer | Admin | Caseworker),
        ReadReport => matches!(role, Caseworker | Admin),
        ReadMessages | SendMessage => matches!(role, Caseworker | Admin),
        ReadAudit => matches!(role, Admin),
        HelpdeskFind | HelpdeskResendCode | HelpdeskDeactivate => matches!(role, OfficeManager | Admin),
        ListMembers | ApproveMember | DeclineMember => matches!(role, OfficeManager | Admin),
        ListCases | OpenCase | ReadCase | AssignCase | AddCaseNote | LogCaseContact | ReferCase | CloseCase | ListServices => {
            matches!(role, Caseworker | Admin)
        }
        CreateService | UpdateService | DeleteService | ReadRota | EditRota => matches!(role, Admin),
        ReadConsent | RecordConsent => matches!(role, Caseworker | Admin),
        BuildPolicePackage | ReadPolicePackage | ApprovePolicePackage | ExportPolicePackage | PrintPolicePackage | ListDisclosures => {
            matches!(role, Caseworker | Admin)
        }
        RequestOverride | ReadOverride => matches!(role, Caseworker | Admin),
        // The second approval of a safeguarding override is a senior role's.
        ApproveOverride => matches!(role, Admin),
        RecordLinkRequest | ListLinkRequests | RequestIdentityRelease | ApproveIdentityRelease => matches!(role, Caseworker | Admin),
    }
}

/// A member of staff, as the token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub subject: String,
    pub role: Role,
}

impl Staff {
    /// Refuses with 403 unless the role may take the action.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if may(self.role, action) {
            Ok(())
        } else {
            tracing::info!(role = self.role.as_str(), action = action.as_str(), "staff action refused");
            Err(ApiError::forbidden(format!(
                "Your role ({}) may not {}. Ask an admin if you need it.",
                self.role.as_str(),
                action.as_str().replace('_', " ")
            )))
        }
    }
}

/// The claims of a staff token, in the shape Cognito's ID tokens carry them (`cognito:groups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    #[serde(rename = "cognito:groups")]
    pub groups: Vec<String>,
    pub iat: i64,
    pub exp: i64,
}

pub const LOCAL_ISSUER: &str = "num-local";
pub const LOCAL_AUDIENCE: &str = "num-local-staff";

impl Claims {
    /// The one role these claims grant: exactly one known role group, or none.
    pub fn role(&self) -> Option<Role> {
        let roles: Vec<Role> = self.groups.iter().filter_map(|g| Role::parse(g)).collect();
        match roles.as_slice() {
            [r] => Some(*r),
            _ => None,
        }
    }
}

/// Signs a local staff token: `base64url(header).base64url(claims).base64url(HMAC-SHA256)`, a JWT with HS256.
pub async fn sign_local_token(keys: &dyn KeyService, claims: &Claims) -> Result<String, ApiError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{header}.{body}");
    let mac = keys.mac(MacPurpose::StaffToken, signing_input.as_bytes()).await?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac)))
}

/// Checks a local staff token: signature, issuer, audience, expiry, and a single role.
pub async fn verify_local_token(keys: &dyn KeyService, token: &str, now: i64) -> Result<Staff, ApiError> {
    let bad = || ApiError::unauthorized("The staff token is not valid. Sign in again (locally: `num staff token --role ROLE`).");
    let mut parts = token.split('.');
    let (Some(h), Some(b), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let expected = keys.mac(MacPurpose::StaffToken, format!("{h}.{b}").as_bytes()).await?;
    let given = URL_SAFE_NO_PAD.decode(sig).map_err(|_| bad())?;
    if !bool::from(expected.as_slice().ct_eq(&given)) {
        return Err(bad());
    }
    let header: serde_json::Value = URL_SAFE_NO_PAD.decode(h).ok().and_then(|v| serde_json::from_slice(&v).ok()).ok_or_else(bad)?;
    if header["alg"] != "HS256" {
        return Err(bad());
    }
    let claims: Claims = URL_SAFE_NO_PAD.decode(b).ok().and_then(|v| serde_json::from_slice(&v).ok()).ok_or_else(bad)?;
    if claims.iss != LOCAL_ISSUER || claims.aud != LOCAL_AUDIENCE {
        return Err(bad());
    }
    if claims.exp <= now {
        return Err(ApiError::unauthorized("The staff token has expired. Sign in again (locally: `num staff token --role ROLE`)."));
    }
    let role = claims.role().ok_or_else(bad)?;
    Ok(Staff { subject: claims.sub, role })
}

/// Reads the bearer token of a request.
pub fn bearer(req: &http::Request<bytes::Bytes>) -> Result<&str, ApiError> {
    let v = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("Staff paths need an Authorization: Bearer <token> header."))?;
    let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).map(str::trim).filter(|t| !t.is_empty());
    token.ok_or_else(|| ApiError::unauthorized("Staff paths need an Authorization: Bearer <token> header."))
}
