//! Typed configuration of the cloud functions, read from the environment the SAM template sets.
//!
//! One small struct per need, so each function reads only what it uses (the function that takes reports knows
//! nothing of email). A missing or empty variable stops start-up with a message that names it; nothing falls back
//! to a default. `AWS_REGION`, credentials and, in tests, `AWS_ENDPOINT_URL` are read by `adapters::aws::load_aws_client`.

use std::collections::BTreeMap;

use crate::ports::Table;

#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the environment variable {name} is not set: set it in the function's Environment (infra/template.yaml)")]
    Missing { name: &'static str },
    #[error("the environment variable {name} is empty: give it a value in the function's Environment (infra/template.yaml)")]
    Empty { name: &'static str },
    #[error("the environment variable {name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A function that fails start-up prints its error's `Debug` form: make that the sentence that names the variable.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Where variables come from: the process environment, or a map in tests (`std::env::set_var` is unsafe).
pub trait Source {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct Env;

impl Source for Env {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A variable that must be present and not blank.
pub fn required(src: &dyn Source, name: &'static str) -> Result<String, ConfigError> {
    let v = src.var(name).ok_or(ConfigError::Missing { name })?;
    let v = v.trim();
    if v.is_empty() { Err(ConfigError::Empty { name }) } else { Ok(v.to_owned()) }
}

/// The physical names of the logical tables a function uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableNames(BTreeMap<Table, String>);

impl TableNames {
    /// The variable that names a table.
    pub fn variable(table: Table) -> &'static str {
        match table {
            Table::Reports => "REPORTS_TABLE",
            Table::Alerts => "ALERTS_TABLE",
            Table::Subscribers => "SUBSCRIBERS_TABLE",
            Table::Audit => "AUDIT_TABLE",
        }
    }

    /// Reads the names of `tables` only.
    pub fn from_env(tables: &[Table]) -> Result<Self, ConfigError> {
        Self::from_source(&Env, tables)
    }

    pub fn from_source(src: &dyn Source, tables: &[Table]) -> Result<Self, ConfigError> {
        let mut names = BTreeMap::new();
        for &t in tables {
            names.insert(t, required(src, Self::variable(t))?);
        }
        Ok(Self(names))
    }

    /// Names given directly (tests).
    pub fn with(mut self, table: Table, name: impl Into<String>) -> Self {
        self.0.insert(table, name.into());
        self
    }

    /// The physical name, if this function was given one.
    pub fn name(&self, table: Table) -> Option<&str> {
        self.0.get(&table).map(String::as_str)
    }
}

/// The KMS key that wraps data keys (`DATA_KEY_ID`: key id, ARN or alias).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKeyConfig {
    pub data_key_id: String,
}

impl DataKeyConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self { data_key_id: required(src, "DATA_KEY_ID")? })
    }
}

/// The KMS HMAC key for blind indexes (`MAC_KEY_ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacKeyConfig {
    pub mac_key_id: String,
}

impl MacKeyConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self { mac_key_id: required(src, "MAC_KEY_ID")? })
    }
}

/// The KMS HMAC key of the audit chain (`AUDIT_KEY_ID`): set only for the function that appends to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditKeyConfig {
    pub audit_key_id: Option<String>,
}

impl AuditKeyConfig {
    pub fn from_env() -> Self {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Self {
        Self { audit_key_id: src.var("AUDIT_KEY_ID").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) }
    }
}

/// Sending email: the verified sender and the SES configuration set (`SES_FROM_ADDRESS`, `SES_CONFIGURATION_SET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailConfig {
    pub from_address: String,
    pub configuration_set: String,
}

impl EmailConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let from_address = required(src, "SES_FROM_ADDRESS")?;
        crate::domain::Email::parse(&from_address)
            .map_err(|_| ConfigError::Invalid { name: "SES_FROM_ADDRESS", reason: "it is not an email address".into() })?;
        Ok(Self { from_address, configuration_set: required(src, "SES_CONFIGURATION_SET")? })
    }
}

/// Sending SMS: the alphanumeric sender id (`SMS_SENDER_ID`, 1 to 11 letters and digits, at least one letter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsConfig {
    pub sender_id: String,
    /// A two-way number to send from (`SMS_ORIGINATION_NUMBER`, E.164), so that replies can come back; empty or unset:
    /// texts come from the sender id and cannot be answered.
    pub origination_number: Option<crate::domain::PhoneNumber>,
}

impl SmsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let sender_id = required(src, "SMS_SENDER_ID")?;
        let ok = sender_id.len() <= 11
            && sender_id.bytes().all(|b| b.is_ascii_alphanumeric())
            && sender_id.bytes().any(|b| b.is_ascii_alphabetic());
        if !ok {
            return Err(ConfigError::Invalid {
                name: "SMS_SENDER_ID",
                reason: "it must be 1 to 11 letters and digits, with at least one letter".into(),
            });
        }
        let origination_number = match src.var("SMS_ORIGINATION_NUMBER").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(n) => Some(crate::domain::PhoneNumber::parse(&n).map_err(|_| ConfigError::Invalid {
                name: "SMS_ORIGINATION_NUMBER",
                reason: "it must be a phone number in E.164 form, such as +447700900123, or empty".into(),
            })?),
        };
        Ok(Self { sender_id, origination_number })
    }
}

/// How many messages a second deliver-alert may send (`SES_MAX_SEND_RATE`, `SMS_MAX_SEND_RATE`): the account's SES
/// maximum send rate and the SMS throughput of its origination identity, shared out among the instances that send
/// at once. Sends are paced to them (`adapters::pace`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendRates {
    pub email_per_second: f64,
    pub sms_per_second: f64,
}

impl SendRates {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let rate = |name: &'static str| -> Result<f64, ConfigError> {
            let v = required(src, name)?;
            v.parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0 && *r <= 10_000.0).ok_or(ConfigError::Invalid {
                name,
                reason: format!("it must be a number of messages a second above 0 and at most 10000, such as 14, not {v:?}"),
            })
        };
        Ok(Self { email_per_second: rate("SES_MAX_SEND_RATE")?, sms_per_second: rate("SMS_MAX_SEND_RATE")? })
    }
}

/// The public address of the site, for links in messages (`SITE_URL`, https, no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    pub site_url: String,
}

impl SiteConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let url = required(src, "SITE_URL")?;
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| ConfigError::Invalid { name: "SITE_URL", reason: "it must start with https://".into() })?;
        if rest.is_empty() || rest.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::Invalid { name: "SITE_URL", reason: "it must be an https address without spaces".into() });
        }
        Ok(Self { site_url: url.trim_end_matches('/').to_owned() })
    }
}

/// Everything any function reads, for tools that need the lot; each function reads only its own parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudConfig {
    pub tables: TableNames,
    pub data_key: DataKeyConfig,
    pub mac_key: MacKeyConfig,
    pub email: EmailConfig,
    pub sms: SmsConfig,
    pub site: SiteConfig,
}

impl CloudConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            tables: TableNames::from_source(src, &Table::ALL)?,
            data_key: DataKeyConfig::from_source(src)?,
            mac_key: MacKeyConfig::from_source(src)?,
            email: EmailConfig::from_source(src)?,
            sms: SmsConfig::from_source(src)?,
            site: SiteConfig::from_source(src)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_function_that_stops_at_start_up_names_the_variable_in_its_message() {
        let err = ConfigError::Missing { name: "STAFF_ISSUER" };
        let printed = format!("{err:?}");
        assert!(printed.contains("STAFF_ISSUER") && printed.contains("is not set"), "{printed}");
        assert_eq!(printed, err.to_string());
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k: &str| m.get(k).cloned()
    }

    const FULL: &[(&str, &str)] = &[
        ("REPORTS_TABLE", "num-reports"),
        ("ALERTS_TABLE", "num-alerts"),
        ("SUBSCRIBERS_TABLE", "num-subscribers"),
        ("AUDIT_TABLE", "num-audit"),
        ("DATA_KEY_ID", "alias/num-data"),
        ("MAC_KEY_ID", "alias/num-mac"),
        ("SES_FROM_ADDRESS", "alerts@example.org"),
        ("SES_CONFIGURATION_SET", "num-alerts"),
        ("SMS_SENDER_ID", "NUMAlerts"),
        ("SITE_URL", "https://num.example.org/"),
    ];

    #[test]
    fn a_complete_environment_gives_the_whole_configuration() {
        let c = CloudConfig::from_source(&env(FULL)).unwrap();
        assert_eq!(c.tables.name(Table::Audit), Some("num-audit"));
        assert_eq!(c.site.site_url, "https://num.example.org");
        assert_eq!(c.sms.sender_id, "NUMAlerts");
        assert_eq!(c.sms.origination_number, None, "no two-way number unless one is given");
        let two_way = SmsConfig::from_source(&env(&[("SMS_SENDER_ID", "NUM"), ("SMS_ORIGINATION_NUMBER", "+447700900100")])).unwrap();
        assert_eq!(two_way.origination_number.map(|n| n.as_str().to_owned()).as_deref(), Some("+447700900100"));
        let empty = SmsConfig::from_source(&env(&[("SMS_SENDER_ID", "NUM"), ("SMS_ORIGINATION_NUMBER", "")])).unwrap();
        assert_eq!(empty.origination_number, None, "the template's empty default means none");
    }

    #[test]
    fn every_missing_variable_is_named_in_the_error() {
        for (name, _) in FULL {
            let rest: Vec<(&str, &str)> = FULL.iter().copied().filter(|(k, _)| k != name).collect();
            let err = CloudConfig::from_source(&env(&rest)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn an_empty_variable_is_refused_not_defaulted() {
        let mut pairs = FULL.to_vec();
        pairs.retain(|(k, _)| *k != "DATA_KEY_ID");
        pairs.push(("DATA_KEY_ID", "  "));
        assert_eq!(CloudConfig::from_source(&env(&pairs)).unwrap_err(), ConfigError::Empty { name: "DATA_KEY_ID" });
    }

    #[test]
    fn a_function_reads_only_the_tables_it_uses() {
        let names = TableNames::from_source(&env(&[("REPORTS_TABLE", "r")]), &[Table::Reports]).unwrap();
        assert_eq!(names.name(Table::Reports), Some("r"));
        assert_eq!(names.name(Table::Alerts), None);
    }

    #[test]
    fn bad_values_are_refused_at_start_up() {
        assert!(SiteConfig::from_source(&env(&[("SITE_URL", "http://num.example.org")])).is_err());
        assert!(SmsConfig::from_source(&env(&[("SMS_SENDER_ID", "TwelveLetter")])).is_err());
        assert!(SmsConfig::from_source(&env(&[("SMS_SENDER_ID", "NUM"), ("SMS_ORIGINATION_NUMBER", "call me")])).is_err());
        assert!(EmailConfig::from_source(&env(&[("SES_FROM_ADDRESS", "nobody"), ("SES_CONFIGURATION_SET", "x")])).is_err());
    }

    #[test]
    fn send_rates_are_positive_numbers_and_a_bad_one_is_named() {
        let ok = SendRates::from_source(&env(&[("SES_MAX_SEND_RATE", "14"), ("SMS_MAX_SEND_RATE", "2.5")])).unwrap();
        assert_eq!(ok, SendRates { email_per_second: 14.0, sms_per_second: 2.5 });
        for bad in ["0", "-3", "fast", "NaN", "inf", "20000"] {
            let err = SendRates::from_source(&env(&[("SES_MAX_SEND_RATE", "14"), ("SMS_MAX_SEND_RATE", bad)])).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { name: "SMS_MAX_SEND_RATE", .. }), "{bad}: {err}");
        }
        let missing = SendRates::from_source(&env(&[("SMS_MAX_SEND_RATE", "10")])).unwrap_err();
        assert_eq!(missing, ConfigError::Missing { name: "SES_MAX_SEND_RATE" });
    }
}
