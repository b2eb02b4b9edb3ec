//! SMS delivery for cloudcourt: one [`Driver`] trait and its drivers — `log` (records the
//! message as sent; the default), `smpp` (SMPP 3.4 to an operator's SMSC), `aliyun` and
//! `tencent` (the cloud SMS HTTP APIs with their request signing). The outbox and its
//! retries live in the server; a driver only sends one message and reports receipts.

pub mod aliyun;
mod cloud_http;
mod log;
pub mod smpp;
pub mod tencent;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a message is for; cloud providers use a template per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 开庭通知: the seed's invitation.
    Invitation,
    /// A reminder before the hearing.
    Reminder,
    /// The hearing's time changed.
    Reschedule,
    /// The hearing was cancelled.
    Cancellation,
    /// A one-time code to join a hearing.
    JoinCode,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Invitation,
        Kind::Reminder,
        Kind::Reschedule,
        Kind::Cancellation,
        Kind::JoinCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Reminder => "reminder",
            Kind::Reschedule => "reschedule",
            Kind::Cancellation => "cancellation",
            Kind::JoinCode => "join_code",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// One message to one phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The outbox row's id: stable across retries, given to providers that echo an
    /// external id (Aliyun `OutId`, Tencent `SessionContext`).
    pub id: uuid::Uuid,
    /// Mainland mobile number, 11 digits, no prefix.
    pub phone: String,
    /// The full text as the participant reads it, with the 【sign】 prefix (for drivers
    /// that send text: log, SMPP).
    pub text: String,
    pub kind: Kind,
    /// The template's fields by name (for drivers that send a template id and
    /// parameters: Aliyun, Tencent), e.g. `name`, `case`, `date`, `time`, `url`, `number`.
    pub params: BTreeMap<String, String>,
}

/// The provider took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's id for the message, used to match delivery receipts.
    pub provider_id: Option<String>,
}

/// Why a message was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (network, throttling, the provider's own fault).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Trying again will not help (bad number, template not approved, bad credentials).
    #[error("rejected: {0}")]
    Rejected(String),
}

/// A delivery receipt from the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub provider_id: String,
    pub delivered: bool,
    /// The provider's status word, e.g. `DELIVRD`, `UNDELIV`.
    pub detail: String,
}

pub type ReceiptSender = mpsc::UnboundedSender<Receipt>;

/// Sends messages through one provider.
#[async_trait::async_trait]
pub trait Driver: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn send(&self, message: &Message) -> Result<Accepted, SendError>;
}

/// Which driver, with each driver's settings (only the chosen one is used).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriverConfig {
    /// `log`, `smpp`, `aliyun` or `tencent`.
    pub driver: DriverName,
    pub smpp: smpp::SmppConfig,
    pub aliyun: aliyun::AliyunConfig,
    pub tencent: tencent::TencentConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverName {
    #[default]
    Log,
    Smpp,
    Aliyun,
    Tencent,
}

#[derive(Debug, thiserror::Error)]
#[error("SMS driver {driver}: {reason}")]
pub struct BuildError {
    pub driver: &'static str,
    pub reason: String,
}

impl DriverConfig {
    /// The configuration with every secret replaced by `***`, for printing.
    pub fn redacted(&self) -> Self {
        let hide = |secret: &str| {
            if secret.is_empty() {
                String::new()
            } else {
                "***".to_owned()
            }
        };
        let mut shown = self.clone();
        shown.smpp.password = hide(&self.smpp.password);
        shown.aliyun.access_key_secret = hide(&self.aliyun.access_key_secret);
        shown.tencent.secret_key = hide(&self.tencent.secret_key);
        shown
    }
}

/// Builds the configured driver; drivers with receipts report them on `receipts`.
pub async fn build(
    config: &DriverConfig,
    receipts: ReceiptSender,
) -> Result<Arc<dyn Driver>, BuildError> {
    Ok(match config.driver {
        DriverName::Log => Arc::new(log::LogDriver),
        DriverName::Smpp => Arc::new(smpp::SmppDriver::connect(&config.smpp, receipts).await?),
        DriverName::Aliyun => Arc::new(aliyun::AliyunDriver::new(&config.aliyun)?),
        DriverName::Tencent => Arc::new(tencent::TencentDriver::new(&config.tencent)?),
    })
}

/// The number shown in logs: 138****1234.
pub fn masked(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "***".to_owned()
    }
}
