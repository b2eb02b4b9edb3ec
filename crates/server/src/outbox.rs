//! The outbox worker: sends queued SMS through the configured driver, retries failures
//! with exponential backoff, applies delivery receipts, and queues reminders as their
//! time comes. A message claimed for sending when the server died is never sent again
//! on its own (it may have reached the phone): it is marked failed for staff to resend.

use crate::config::Config;
use crate::notices::HearingNotices;
use chrono::Utc;
use court::{AuditActor, NewAuditEvent, OutboxMessage, SmsStatus};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::sync::{Notify, mpsc};

/// How long one provider call may take before it counts as a temporary failure.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the worker looks for due messages and reminders without being woken.
const POLL_EVERY: Duration = Duration::from_secs(5);
const BATCH: i64 = 20;
/// How long a receipt waits for the record of its send: tries × step.
const RECEIPT_WAIT_TRIES: u32 = 40;
const RECEIPT_WAIT_STEP: Duration = Duration::from_millis(250);
/// How often hearings are checked for due reminders.
const REMINDER_SCAN_EVERY: Duration = Duration::from_secs(30);

pub const INTERRUPTED: &str = "发送过程中服务器中断，无法确认是否送达；如需要请重发 / interrupted while sending: delivery unknown, resend if needed";

/// Runs until the task is dropped.
pub async fn run(store: Arc<dyn Store>, config: Arc<Config>, wakeup: Arc<Notify>) {
    if let Err(err) = recover_interrupted(store.as_ref()).await {
        tracing::error!(error = %err, "outbox: cannot recover interrupted messages");
    }
    let (receipts_tx, mut receipts) = mpsc::unbounded_channel();
    let driver = build_driver(&config, receipts_tx).await;
    let receipt_store = store.clone();
    let _receipt_task = AbortOnDrop(tokio::spawn(async move {
        while let Some(receipt) = receipts.recv().await {
            if let Err(err) = apply_receipt(receipt_store.as_ref(), &receipt).await {
                tracing::warn!(error = %err, provider_id = %receipt.provider_id, "outbox: receipt not applied");
            }
        }
    }));
    let mut last_reminder_scan: Option<tokio::time::Instant> = None;
    loop {
        if last_reminder_scan.is_none_or(|at| at.elapsed() >= REMINDER_SCAN_EVERY) {
            last_reminder_scan = Some(tokio::time::Instant::now());
            if let Err(err) = queue_reminders(store.as_ref(), &config).await {
                tracing::warn!(error = %err, "outbox: reminders not queued");
            }
        }
        let sent = match store.claim_due_sms(Utc::now(), BATCH).await {
            Ok(batch) => {
                for message in &batch {
                    send_one(store.as_ref(), &config, driver.as_ref(), message).await;
                }
                batch.len()
            }
            Err(err) => {
                tracing::warn!(error = %err, "outbox: cannot read due messages");
                0
            }
        };
        if sent < BATCH as usize {
            tokio::select! {
                () = wakeup.notified() => {},
                () = tokio::time::sleep(POLL_EVERY) => {},
            }
        }
    }
}

/// Aborts a background task when its owner goes away.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Builds the driver, retrying while the provider is unreachable (an SMSC down at
/// start-up must not keep the court's server down); messages wait in the outbox.
async fn build_driver(config: &Config, receipts: sms::ReceiptSender) -> Arc<dyn sms::Driver> {
    // The cloud providers sign messages with the same name the texts carry in 【】,
    // unless their own table names another registered signature.
    let mut transport = config.sms.transport.clone();
    for sign_name in [
        &mut transport.aliyun.sign_name,
        &mut transport.tencent.sign_name,
    ] {
        if sign_name.trim().is_empty() {
            sign_name.clone_from(&config.sms.sign_name);
        }
    }
    let mut delay = Duration::from_secs(1);
    loop {
        match sms::build(&transport, receipts.clone()).await {
            Ok(driver) => {
                tracing::info!(driver = driver.name(), "outbox: SMS driver ready");
                return driver;
            }
            Err(err) => {
                tracing::error!(error = %err, "outbox: SMS driver unavailable; retrying in {}s", delay.as_secs());
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(300));
            }
        }
    }
}

fn audit(
    message: &OutboxMessage,
    action: &'static str,
    details: serde_json::Value,
) -> NewAuditEvent {
    let mut event = NewAuditEvent::new(AuditActor::System, action, details).court(message.court_id);
    if let Some(hearing_id) = message.hearing_id {
        event = event.hearing(hearing_id);
    }
    event
}

fn summary(message: &OutboxMessage) -> serde_json::Value {
    json!({
        "message_id": message.id,
        "kind": message.kind,
        "participant_id": message.participant_id,
        "phone": sms::masked(&message.phone),
        "attempt": message.attempts,
    })
}

/// Messages left `sending` by a crash become failed, for staff to look at.
async fn recover_interrupted(store: &dyn Store) -> store::Result<()> {
    for message in store.sms_with_status(SmsStatus::Sending).await? {
        tracing::warn!(id = %message.id, "outbox: message was being sent when the server stopped");
        let event = audit(&message, "sms.interrupted", summary(&message));
        store
            .sms_failed(message.id, INTERRUPTED, None, event)
            .await?;
    }
    Ok(())
}

async fn send_one(
    store: &dyn Store,
    config: &Config,
    driver: &dyn sms::Driver,
    message: &OutboxMessage,
) {
    let Some(kind) = sms::Kind::parse(message.kind.as_str()) else {
        return;
    };
    let outgoing = sms::Message {
        id: message.id,
        phone: message.phone.clone(),
        text: message.text.clone(),
        kind,
        params: message.params.clone(),
    };
    let outcome = match tokio::time::timeout(SEND_TIMEOUT, driver.send(&outgoing)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(sms::SendError::Temporary(format!(
            "no answer from the provider in {}s",
            SEND_TIMEOUT.as_secs()
        ))),
    };
    let recorded = match outcome {
        Ok(accepted) => {
            let mut details = summary(message);
            details["provider_id"] = json!(accepted.provider_id);
            store
                .sms_sent(
                    message.id,
                    accepted.provider_id.as_deref(),
                    audit(message, "sms.sent", details),
                )
                .await
        }
        Err(err) => {
            let retry_at = match &err {
                sms::SendError::Temporary(_) if message.attempts < config.sms.max_attempts => Some(
                    Utc::now()
                        + court::notice::retry_delay(
                            config.sms.retry_base_seconds,
                            message.attempts,
                        ),
                ),
                _ => None,
            };
            tracing::warn!(id = %message.id, error = %err, retry = retry_at.is_some(), "outbox: sending failed");
            let mut details = summary(message);
            details["error"] = json!(err.to_string());
            details["retry_at"] = json!(retry_at);
            store
                .sms_failed(
                    message.id,
                    &err.to_string(),
                    retry_at,
                    audit(message, "sms.failed", details),
                )
                .await
        }
    };
    if let Err(err) = recorded {
        tracing::error!(id = %message.id, error = %err, "outbox: cannot record the outcome");
    }
}

async fn apply_receipt(store: &dyn Store, receipt: &sms::Receipt) -> store::Result<()> {
    // A receipt can overtake the record of the send it belongs to (the SMSC answers
    // fast, our commit comes after): give that record a few seconds to land.
    let mut found = None;
    for _ in 0..RECEIPT_WAIT_TRIES {
        found = store.sms_by_provider_id(&receipt.provider_id).await?;
        if found.is_some() {
            break;
        }
        tokio::time::sleep(RECEIPT_WAIT_STEP).await;
    }
    let Some(message) = found else {
        tracing::warn!(provider_id = %receipt.provider_id, "outbox: receipt for an unknown message");
        return Ok(());
    };
    let mut details = summary(&message);
    details["receipt"] = json!(receipt.detail);
    let action = if receipt.delivered {
        "sms.delivered"
    } else {
        "sms.undelivered"
    };
    store
        .sms_receipt(
            message.id,
            receipt.delivered,
            &receipt.detail,
            audit(&message, action, details),
        )
        .await
}

/// Queues the reminder that is due for each hearing starting soon (only the latest
/// due one: after an outage nobody needs yesterday's reminder as well).
pub async fn queue_reminders(store: &dyn Store, config: &Config) -> store::Result<()> {
    let offsets = &config.sms.reminders_minutes;
    let Some(longest) = offsets.iter().max() else {
        return Ok(());
    };
    let now = Utc::now();
    let until = now + chrono::Duration::minutes(i64::from(*longest));
    for hearing in store.hearings_starting_between(now, until).await? {
        let Some(invited_at) = hearing.notices_sent_at else {
            continue;
        };
        let due = court::notice::due_reminders(hearing.scheduled_at, invited_at, now, offsets);
        let Some(minutes) = due.into_iter().min() else {
            continue;
        };
        let court = store.court(hearing.court_id).await?;
        let case = store.case(hearing.case_id).await?;
        let participants = store.participants(hearing.id).await?;
        let notices = HearingNotices {
            config,
            court: &court,
            case: &case,
            hearing: &hearing,
        };
        let messages = notices.reminders(&participants, minutes, now);
        let event = NewAuditEvent::new(
            AuditActor::System,
            "notice.reminder",
            json!({"minutes_before": minutes, "messages": messages.len()}),
        )
        .court(hearing.court_id)
        .hearing(hearing.id);
        store.enqueue_sms(&messages, None, event).await?;
    }
    Ok(())
}
