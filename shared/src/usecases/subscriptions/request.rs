//! Subscription requests as they arrive, and their parsing into a valid request: each fault names the field at fault.

use serde::Deserialize;

use super::Channel;
use crate::domain::{Email, PhoneNumber, Region};
use crate::i18n::Lang;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub regions: Vec<String>,
    pub channels: Vec<String>,
    /// The language of the member's pages and alerts (`en`, `pl`, `ro`, `pt-BR`, `es`); English where not given.
    #[serde(default)]
    pub language: Option<String>,
}

/// What is wrong with a subscription request (or a help-desk lookup): each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The sentence says what is wrong with the address (it does not quote it).
    #[error("the email address is not valid")]
    InvalidEmail(String),
    #[error("the phone number is not valid")]
    InvalidPhone(String),
    #[error("neither an email address nor a phone number was given")]
    MissingContact,
    #[error("no region was chosen")]
    MissingRegions,
    #[error("region {index} is not a region")]
    InvalidRegion { index: usize, given: String },
    #[error("no channel was chosen")]
    MissingChannels,
    #[error("channel {index} is neither email nor sms")]
    InvalidChannel { index: usize },
    #[error("email alerts were chosen without an email address")]
    MissingEmail,
    #[error("text alerts were chosen without a phone number")]
    MissingPhone,
    #[error("text alerts were chosen for a number that is not a UK or Irish mobile")]
    NotAMobile,
    #[error("an email address was given without choosing email alerts")]
    UnusedEmail,
    #[error("a phone number was given without choosing text alerts")]
    UnusedPhone,
    #[error("the language is not one the scheme speaks")]
    InvalidLanguage,
}

/// A subscription request that passed every check: contacts parsed, regions and channels known and without repeats,
/// each channel with its contact and each contact with its channel.
pub struct ValidSubscribeRequest {
    pub email: Option<Email>,
    pub phone: Option<PhoneNumber>,
    pub regions: Vec<Region>,
    pub channels: Vec<Channel>,
    pub language: Lang,
}

impl TryFrom<SubscribeRequest> for ValidSubscribeRequest {
    type Error = RequestError;

    fn try_from(req: SubscribeRequest) -> Result<Self, RequestError> {
        let email = req
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| Email::parse(e).map_err(RequestError::InvalidEmail))
            .transpose()?;
        let phone = req
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| PhoneNumber::parse(p).map_err(RequestError::InvalidPhone))
            .transpose()?;
        if email.is_none() && phone.is_none() {
            return Err(RequestError::MissingContact);
        }
        if req.regions.is_empty() {
            return Err(RequestError::MissingRegions);
        }
        let mut regions = Vec::new();
        for (index, r) in req.regions.iter().enumerate() {
            let region = Region::parse(r).ok_or_else(|| RequestError::InvalidRegion { index, given: r.chars().take(40).collect() })?;
            if !regions.contains(&region) {
                regions.push(region);
            }
        }
        if req.channels.is_empty() {
            return Err(RequestError::MissingChannels);
        }
        let mut channels = Vec::new();
        for (index, c) in req.channels.iter().enumerate() {
            let Some(ch) = Channel::parse(c) else { return Err(RequestError::InvalidChannel { index }) };
            if !channels.contains(&ch) {
                channels.push(ch);
            }
        }
        if channels.contains(&Channel::Email) && email.is_none() {
            return Err(RequestError::MissingEmail);
        }
        if channels.contains(&Channel::Sms) {
            match &phone {
                None => return Err(RequestError::MissingPhone),
                Some(p) if !p.is_mobile() => return Err(RequestError::NotAMobile),
                _ => {}
            }
        }
        if email.is_some() && !channels.contains(&Channel::Email) {
            return Err(RequestError::UnusedEmail);
        }
        if phone.is_some() && !channels.contains(&Channel::Sms) {
            return Err(RequestError::UnusedPhone);
        }
        let language = match req.language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => Lang::En,
            Some(l) => Lang::parse(l).ok_or(RequestError::InvalidLanguage)?,
        };
        Ok(Self { email, phone, regions, channels, language })
    }
}
