//! The `log` driver: the default and the demo's. It sends nothing; it records the
//! message as sent (staff read it in the outbox) and logs it with the phone masked.

use crate::{Accepted, Driver, Message, SendError};

pub struct LogDriver;

#[async_trait::async_trait]
impl Driver for LogDriver {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, message: &Message) -> Result<Accepted, SendError> {
        tracing::info!(
            id = %message.id,
            phone = %crate::masked(&message.phone),
            kind = message.kind.as_str(),
            "SMS (log driver): {}",
            message.text
        );
        Ok(Accepted {
            provider_id: Some(format!("log-{}", message.id)),
        })
    }
}
