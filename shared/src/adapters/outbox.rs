//! The embedded email and SMS sender: each message is appended to `outbox.jsonl` in the data folder, one JSON object a
//! line, and `num outbox` lists them. The file is created readable by its owner alone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::PhoneNumber;
use crate::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError, SmsMessage, SmsSender};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub channel: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
    pub time: String,
    pub idempotency_key: String,
}

pub struct Outbox {
    path: PathBuf,
    opted_out: PathBuf,
    lock: Mutex<()>,
}

impl Outbox {
    pub const FILE_NAME: &'static str = "outbox.jsonl";
    /// The local stand-in for the SMS provider's opt-out list: one number a line, in E.164 form.
    pub const OPTED_OUT_FILE: &'static str = "sms-opted-out.txt";

    pub fn new(dir: &Path) -> Self {
        Self { path: dir.join(Self::FILE_NAME), opted_out: dir.join(Self::OPTED_OUT_FILE), lock: Mutex::new(()) }
    }

    /// Puts a number on the local opt-out list, as a STOP reply to the provider would.
    pub fn opt_out(dir: &Path, number: &PhoneNumber) -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(Self::OPTED_OUT_FILE))?;
        writeln!(f, "{}", number.as_str())
    }

    fn append(&self, mut entry: OutboxEntry) -> Result<MessageId, SendError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        entry.id = format!("local-{}", crate::domain::ids::random_base32(16));
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut line = serde_json::to_vec(&entry).map_err(|e| SendError::Rejected(e.into()))?;
        line.push(b'\n');
        // Nothing written yet: safe to try again. Once writing has begun, part or all of the message may be there.
        let mut f = opts.open(&self.path).map_err(|e| SendError::NotTaken(e.into()))?;
        f.write_all(&line).and_then(|_| f.sync_data()).map_err(|e| SendError::Unknown(e.into()))?;
        Ok(MessageId(entry.id))
    }

    /// Every message sent so far, oldest first.
    pub fn read(dir: &Path) -> std::io::Result<Vec<OutboxEntry>> {
        match std::fs::read_to_string(dir.join(Self::FILE_NAME)) {
            Ok(s) => Ok(s.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[async_trait]
impl EmailSender for Outbox {
    async fn send_email(&self, m: &EmailMessage, key: &str) -> Result<MessageId, SendError> {
        self.append(OutboxEntry {
            id: String::new(),
            channel: "email".into(),
            to: m.to.to_string(),
            subject: Some(m.subject.clone()),
            body: m.text.clone(),
            time: now(),
            idempotency_key: key.to_owned(),
        })
    }
}

#[async_trait]
impl SmsSender for Outbox {
    async fn send_sms(&self, m: &SmsMessage, key: &str) -> Result<MessageId, SendError> {
        self.append(OutboxEntry {
            id: String::new(),
            channel: "sms".into(),
            to: m.to.to_string(),
            subject: None,
            body: m.text.clone(),
            time: now(),
            idempotency_key: key.to_owned(),
        })
    }

    async fn opted_out(&self, to: &PhoneNumber) -> Result<bool, SendError> {
        match std::fs::read_to_string(&self.opted_out) {
            Ok(list) => Ok(list.lines().any(|l| l.trim() == to.as_str())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(SendError::NotTaken(e.into())),
        }
    }
}
