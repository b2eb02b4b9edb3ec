//! The `smpp` driver: SMPP 3.4 to an operator's SMSC, bound as a transceiver.
//!
//! One session is kept open (enquire_link keeps it alive) and reopened with backoff
//! when it drops; a send while it is down fails as [`SendError::Temporary`] for the
//! outbox to retry. Texts go as UCS-2 (data_coding 0x08), split into concatenated parts
//! when longer than 70 code units (see [`text`]). Delivery receipts (deliver_sm) are
//! matched to the sent message and reported on the receipt channel (see [`receipt`]).

mod receipt;
mod text;

use crate::{Accepted, BuildError, Driver, Message, Receipt, ReceiptSender, SendError};
use futures_util::{Stream, StreamExt};
use receipt::Tracker;
use rusmpp::pdus::{BindTransceiver, DeliverSm, DeliverSmResp, SubmitSm};
use rusmpp::tlvs::TlvValue;
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, InterfaceVersion, Npi, RegisteredDelivery, Ton};
use rusmpp::{CommandStatus, Pdu};
use rusmppc::{Client, ConnectionBuilder, Event};
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How to reach and use the operator's SMSC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmppConfig {
    /// The SMSC's host name or address.
    pub host: String,
    pub port: u16,
    /// The account the operator gave (at most 15 characters).
    pub system_id: String,
    /// Its password (at most 8 characters); printed as `***`.
    pub password: String,
    /// Sent in bind_transceiver; most SMSCs want it empty.
    pub system_type: String,
    /// The sender the participant sees: the SP service code, e.g. `106900000000`.
    pub source_addr: String,
    /// TON of `source_addr`. 0 (unknown) by default: a 106… service code is neither an
    /// international nor a national number and SMSCs take it as given; some gateways
    /// want 3 (network specific) or 2 (national) instead.
    pub source_addr_ton: u8,
    /// NPI of `source_addr`; 0 (unknown) by default, as for the TON.
    pub source_addr_npi: u8,
    /// TON of the destination. With 1 (international, the default) the number goes as
    /// `86` followed by the 11 digits; with any other TON, as the 11 digits alone.
    pub dest_addr_ton: u8,
    /// NPI of the destination; 1 (E.164) by default.
    pub dest_addr_npi: u8,
    /// Seconds between enquire_link PDUs that keep the session alive; 0 sends none.
    pub enquire_link_seconds: u64,
    /// Seconds to wait for the SMSC to connect or answer a PDU.
    pub response_timeout_seconds: u64,
    /// Ask for delivery receipts (registered_delivery 0x01) and report them.
    pub request_delivery_receipts: bool,
}

impl Default for SmppConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 2775,
            system_id: String::new(),
            password: String::new(),
            system_type: String::new(),
            source_addr: "106900000000".into(),
            source_addr_ton: 0,
            source_addr_npi: 0,
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            enquire_link_seconds: 30,
            response_timeout_seconds: 10,
            request_delivery_receipts: true,
        }
    }
}

/// The longest pause between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long an unbind may take when the driver stops.
const UNBIND_TIMEOUT: Duration = Duration::from_secs(2);
/// Esm_class message type bits (5–2) of a deliver_sm.
const ESM_MESSAGE_TYPE: u8 = 0x3C;
/// Message type "MC delivery receipt".
const ESM_DELIVERY_RECEIPT: u8 = 0x04;
/// Message type "intermediate delivery notification".
const ESM_INTERMEDIATE: u8 = 0x20;
/// Esm_class bit: the short_message starts with a user data header.
const ESM_UDHI: u8 = 0x40;

type Events = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// Sends through one SMPP session; dropping it unbinds and stops reconnecting.
pub struct SmppDriver {
    inner: Arc<Inner>,
    /// Dropped with the driver, which tells the session task to stop.
    _stop: oneshot::Sender<()>,
}

/// What the driver and its session task share.
struct Inner {
    config: SmppConfig,
    /// Where we connect, for messages: `host:port`.
    address: String,
    source_addr: COctetString<1, 21>,
    bind: BindTransceiver,
    /// The bound session; `None` while reconnecting.
    session: Mutex<Option<Client>>,
    tracker: Mutex<Tracker>,
    receipts: ReceiptSender,
    /// The concatenation reference of the next long message.
    reference: AtomicU8,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing is left half-updated under these locks, so a panic elsewhere need not
    // stop the driver.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn build_error(reason: impl Into<String>) -> BuildError {
    BuildError {
        driver: "smpp",
        reason: reason.into(),
    }
}

/// `value` as an SMPP C-octet string, naming the setting when it does not fit.
fn c_string<const MAX: usize>(
    setting: &str,
    value: &str,
) -> Result<COctetString<1, MAX>, BuildError> {
    COctetString::from_string(value.to_owned()).map_err(|error| {
        // The value is left out: the setting may be the password.
        build_error(format!(
            "smpp.{setting} is not valid (ASCII, at most {} characters): {error}",
            MAX - 1
        ))
    })
}

impl SmppDriver {
    /// Connects and binds as a transceiver, then keeps the session open in the
    /// background. Fails when the SMSC cannot be reached or refuses the bind, so that a
    /// wrong address or password shows at start-up.
    pub async fn connect(config: &SmppConfig, receipts: ReceiptSender) -> Result<Self, BuildError> {
        let bind = BindTransceiver::builder()
            .system_id(c_string("system_id", &config.system_id)?)
            .password(c_string("password", &config.password)?)
            .system_type(c_string("system_type", &config.system_type)?)
            .interface_version(InterfaceVersion::Smpp3_4)
            .addr_ton(Ton::Unknown)
            .addr_npi(Npi::Unknown)
            .address_range(COctetString::empty())
            .build();
        let source_addr = c_string("source_addr", &config.source_addr)?;
        let address = if config.host.contains(':') {
            format!("[{}]:{}", config.host, config.port)
        } else {
            format!("{}:{}", config.host, config.port)
        };
        // Seeded from the clock so a restart does not reuse the last references at once.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos().to_le_bytes()[1])
            .unwrap_or(0);
        let inner = Arc::new(Inner {
            config: config.clone(),
            address,
            source_addr,
            bind,
            session: Mutex::new(None),
            tracker: Mutex::new(Tracker::default()),
            receipts,
            reference: AtomicU8::new(seed),
        });
        let (client, events) = inner.open().await.map_err(build_error)?;
        *lock(&inner.session) = Some(client.clone());
        tracing::info!(smsc = %inner.address, system_id = %config.system_id, "SMPP session bound as transceiver");
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(Arc::clone(&inner).run(client, events, stopped));
        Ok(Self { inner, _stop: stop })
    }
}

impl Inner {
    fn response_timeout(&self) -> Duration {
        Duration::from_secs(self.config.response_timeout_seconds.max(1))
    }

    /// Opens a TCP connection and binds as a transceiver.
    async fn open(&self) -> Result<(Client, Events), String> {
        let timeout = self.response_timeout();
        let stream = tokio::time::timeout(
            timeout,
            tokio::net::TcpStream::connect((self.config.host.as_str(), self.config.port)),
        )
        .await
        .map_err(|_| {
            format!(
                "cannot reach the SMSC at {}: no answer in {timeout:?}",
                self.address
            )
        })?
        .map_err(|error| format!("cannot reach the SMSC at {}: {error}", self.address))?;
        let enquire_link = (self.config.enquire_link_seconds > 0)
            .then(|| Duration::from_secs(self.config.enquire_link_seconds));
        let (client, events) = ConnectionBuilder::new()
            .with_enquire_link_interval(enquire_link)
            .enquire_link_response_timeout(timeout)
            .response_timeout(timeout)
            // rusmppc speaks SMPP 5.0, a superset of the 3.4 PDUs used here; we bind as 3.4.
            .disable_interface_version_check()
            .connected(stream);
        match client.bind_transceiver(self.bind.clone()).await {
            Ok(_) => Ok((client, Box::pin(events))),
            Err(error) => {
                let _ = client.close().await;
                Err(match error {
                    rusmppc::error::Error::UnexpectedResponse { response } => {
                        let status = response.status();
                        let hint = match status {
                            CommandStatus::EsmeRinvpaswd
                            | CommandStatus::EsmeRinvsysid
                            | CommandStatus::EsmeRbindfail => {
                                " (check smpp.system_id and smpp.password)"
                            }
                            _ => "",
                        };
                        format!(
                            "the SMSC at {} refused bind_transceiver as {:?}: {}{hint}",
                            self.address,
                            self.config.system_id,
                            status_name(status)
                        )
                    }
                    other => format!(
                        "bind_transceiver to the SMSC at {} failed: {other}",
                        self.address
                    ),
                })
            }
        }
    }

    /// The session task: serves incoming PDUs, and reconnects with backoff when the
    /// session ends, until the driver is dropped.
    async fn run(
        self: Arc<Self>,
        mut client: Client,
        mut events: Events,
        mut stop: oneshot::Receiver<()>,
    ) {
        loop {
            loop {
                tokio::select! {
                    _ = &mut stop => {
                        self.stop(&client).await;
                        return;
                    }
                    event = events.next() => match event {
                        Some(Event::Incoming(command)) => self.on_incoming(&client, command).await,
                        Some(Event::Error(error)) => tracing::warn!(smsc = %self.address, %error, "SMPP session error"),
                        None => break,
                    }
                }
            }
            *lock(&self.session) = None;
            tracing::warn!(smsc = %self.address, "SMPP session closed; reconnecting");
            let mut delay = Duration::from_secs(1);
            (client, events) = loop {
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                match self.open().await {
                    Ok(session) => break session,
                    Err(reason) => {
                        tracing::warn!(%reason, retry_in_seconds = delay.as_secs(), "SMPP reconnect failed");
                        delay = (delay * 2).min(MAX_BACKOFF);
                    }
                }
            };
            *lock(&self.session) = Some(client.clone());
            tracing::info!(smsc = %self.address, "SMPP session bound again");
        }
    }

    async fn stop(&self, client: &Client) {
        *lock(&self.session) = None;
        if let Err(error) = tokio::time::timeout(UNBIND_TIMEOUT, client.unbind())
            .await
            .unwrap_or(Ok(()))
        {
            tracing::debug!(%error, "SMPP unbind failed");
        }
        let _ = client.close().await;
    }

    async fn on_incoming(&self, client: &Client, command: rusmpp::Command) {
        let sequence_number = command.sequence_number();
        match command.pdu() {
            Some(Pdu::DeliverSm(deliver)) => {
                self.on_deliver_sm(deliver);
                // Always acknowledge, or the SMSC sends the receipt again and again.
                if let Err(error) = client
                    .deliver_sm_resp(sequence_number, DeliverSmResp::default())
                    .await
                {
                    tracing::warn!(%error, "SMPP deliver_sm_resp failed");
                }
            }
            Some(Pdu::Unbind) => {
                tracing::info!(smsc = %self.address, "the SMSC unbinds the session");
                let _ = client.unbind_resp(sequence_number).await;
                // Ends the event stream, which reconnects.
                let _ = client.close().await;
            }
            _ => tracing::debug!(id = ?command.id(), sequence_number, "SMPP PDU ignored"),
        }
    }

    fn on_deliver_sm(&self, deliver: &DeliverSm) {
        let message_type = u8::from(deliver.esm_class) & ESM_MESSAGE_TYPE;
        if message_type != ESM_DELIVERY_RECEIPT && message_type != ESM_INTERMEDIATE {
            // A reply from a participant: not handled by cloudcourt.
            tracing::info!(from = %crate::masked(deliver.source_addr.as_str()), "SMPP mobile-originated message ignored");
            return;
        }
        let mut body: &[u8] = deliver.short_message().as_ref();
        let mut receipted_id = None;
        let mut state = None;
        for tlv in deliver.tlvs() {
            match tlv.value() {
                Some(TlvValue::ReceiptedMessageId(id)) if !id.is_empty() => {
                    receipted_id = Some(id.as_str().to_owned())
                }
                Some(TlvValue::MessageState(value)) => state = Some(u8::from(*value)),
                Some(TlvValue::MessagePayload(payload)) if body.is_empty() => {
                    body = payload.value.as_ref()
                }
                _ => {}
            }
        }
        let text = if deliver.data_coding == DataCoding::Ucs2 {
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        let parsed = receipt::parse_receipt_text(&text);
        let id = receipted_id.or_else(|| parsed.as_ref().map(|receipt| receipt.id.clone()));
        let stat = parsed
            .as_ref()
            .map(|receipt| receipt.stat.clone())
            .or_else(|| state.map(|state| receipt::stat_of_message_state(state).to_owned()));
        let (Some(id), Some(stat)) = (id, stat) else {
            tracing::warn!(%text, "SMPP delivery receipt without an id or a state; ignored");
            return;
        };
        tracing::debug!(%id, %stat, err = ?parsed.and_then(|receipt| receipt.err), "SMPP delivery receipt");
        let out = lock(&self.tracker).on_receipt(&id, &stat, Instant::now());
        self.report(out);
    }

    fn report(&self, receipts: Vec<Receipt>) {
        for receipt in receipts {
            if self.receipts.send(receipt).is_err() {
                tracing::debug!("SMS receipt channel closed; receipt dropped");
            }
        }
    }

    /// The destination address for an 11-digit mainland mobile number.
    fn destination(&self, phone: &str) -> Result<COctetString<1, 21>, SendError> {
        if phone.len() != 11 || !phone.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SendError::Rejected(format!(
                "{} is not an 11-digit mainland mobile number",
                crate::masked(phone)
            )));
        }
        let address = if self.config.dest_addr_ton == 1 {
            format!("86{phone}")
        } else {
            phone.to_owned()
        };
        COctetString::from_string(address)
            .map_err(|error| SendError::Rejected(format!("destination address: {error}")))
    }

    /// Submits every part; returns the first part's message id.
    async fn submit(
        &self,
        client: &Client,
        message: &Message,
        destination: COctetString<1, 21>,
        parts: &[text::Part],
        key: Option<u64>,
    ) -> Result<Option<String>, SendError> {
        let registered_delivery =
            RegisteredDelivery::from(u8::from(self.config.request_delivery_receipts));
        let mut first_id = None;
        for (index, part) in parts.iter().enumerate() {
            let context = format!(
                "submit_sm part {}/{} to {}",
                index + 1,
                parts.len(),
                crate::masked(&message.phone)
            );
            let short_message = OctetString::from_vec(part.short_message.clone())
                .map_err(|error| SendError::Rejected(format!("{context}: {error}")))?;
            let submit = SubmitSm::builder()
                .source_addr_ton(Ton::from(self.config.source_addr_ton))
                .source_addr_npi(Npi::from(self.config.source_addr_npi))
                .source_addr(self.source_addr.clone())
                .dest_addr_ton(Ton::from(self.config.dest_addr_ton))
                .dest_addr_npi(Npi::from(self.config.dest_addr_npi))
                .destination_addr(destination.clone())
                .esm_class(EsmClass::from(if part.udhi { ESM_UDHI } else { 0 }))
                .registered_delivery(registered_delivery)
                .data_coding(DataCoding::Ucs2)
                .short_message(short_message)
                .build();
            let response = client
                .submit_sm(submit)
                .await
                .map_err(|error| submit_error(error, &context))?;
            let id = response.message_id().as_str().to_owned();
            if let Some(key) = key {
                lock(&self.tracker).add_part(key, &id);
            }
            if index == 0 && !id.is_empty() {
                first_id = Some(id);
            }
        }
        Ok(first_id)
    }
}

#[async_trait::async_trait]
impl Driver for SmppDriver {
    fn name(&self) -> &'static str {
        "smpp"
    }

    async fn send(&self, message: &Message) -> Result<Accepted, SendError> {
        let inner = &self.inner;
        let destination = inner.destination(&message.phone)?;
        let reference = inner.reference.fetch_add(1, Ordering::Relaxed);
        let parts = text::parts(&message.text, reference)
            .map_err(|error| SendError::Rejected(error.to_string()))?;
        let client = lock(&inner.session)
            .clone()
            .filter(|client| !client.is_closed())
            .ok_or_else(|| {
                SendError::Temporary(format!(
                    "the SMPP session to {} is down; reconnecting",
                    inner.address
                ))
            })?;
        let mut tracked = Tracked::begin(inner);
        let result = inner
            .submit(&client, message, destination, &parts, tracked.key)
            .await;
        tracked.finish(result.is_ok());
        let provider_id = result?;
        tracing::info!(
            message = %message.id,
            to = %crate::masked(&message.phone),
            parts = parts.len(),
            provider_id = provider_id.as_deref().unwrap_or(""),
            "SMS accepted by the SMSC"
        );
        Ok(Accepted { provider_id })
    }
}

/// A message's entry in the receipt tracker while its parts are submitted. Dropped
/// unfinished (the caller gave up on `send`), it counts as not sent, so that held
/// receipts are not kept waiting for it.
struct Tracked<'a> {
    inner: &'a Inner,
    key: Option<u64>,
}

impl<'a> Tracked<'a> {
    fn begin(inner: &'a Inner) -> Self {
        let key = inner
            .config
            .request_delivery_receipts
            .then(|| lock(&inner.tracker).begin(Instant::now()));
        Self { inner, key }
    }

    fn finish(&mut self, sent: bool) {
        if let Some(key) = self.key.take() {
            let released = lock(&self.inner.tracker).finish(key, sent, Instant::now());
            self.inner.report(released);
        }
    }
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.finish(false);
    }
}

/// Whether a submit_sm_resp status is worth retrying: throttling, a full queue, the
/// SMSC's own faults and statuses we do not know (vendor codes).
fn is_temporary(status: CommandStatus) -> bool {
    matches!(
        status,
        CommandStatus::EsmeRthrottled
            | CommandStatus::EsmeRmsgqful
            | CommandStatus::EsmeRsyserr
            | CommandStatus::EsmeRsubmitfail
            | CommandStatus::EsmeRunknownerr
            | CommandStatus::EsmeRdeliveryfailure
            | CommandStatus::EsmeRinvbndsts
            | CommandStatus::EsmeRxTAppn
            | CommandStatus::EsmeRok
            | CommandStatus::Other(_)
    )
}

fn submit_error(error: rusmppc::error::Error, context: &str) -> SendError {
    match error {
        rusmppc::error::Error::UnexpectedResponse { response } => {
            let status = response.status();
            let reason = format!("{context}: the SMSC answered {}", status_name(status));
            if is_temporary(status) {
                SendError::Temporary(reason)
            } else {
                SendError::Rejected(reason)
            }
        }
        // Our PDU cannot be written: sending it again will not help.
        rusmppc::error::Error::Encode(error) => SendError::Rejected(format!("{context}: {error}")),
        other => SendError::Temporary(format!("{context}: {other}")),
    }
}

/// The status as the specification writes it, with its code: `ESME_RTHROTTLED (0x00000058)`.
fn status_name(status: CommandStatus) -> String {
    let code = u32::from(status);
    if let CommandStatus::Other(_) = status {
        return format!("status 0x{code:08X}");
    }
    // The variants are the names in camel case: EsmeRinvdstadr, EsmeRxTAppn.
    let debug = format!("{status:?}");
    let rest = debug.strip_prefix("Esme").unwrap_or(&debug);
    let mut name = String::from("ESME_");
    for (i, c) in rest.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    format!("{name} (0x{code:08X})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_follow_the_specification() {
        assert_eq!(
            status_name(CommandStatus::EsmeRthrottled),
            "ESME_RTHROTTLED (0x00000058)"
        );
        assert_eq!(
            status_name(CommandStatus::EsmeRinvdstadr),
            "ESME_RINVDSTADR (0x0000000B)"
        );
        assert_eq!(
            status_name(CommandStatus::EsmeRxTAppn),
            "ESME_RX_T_APPN (0x00000064)"
        );
        assert_eq!(
            status_name(CommandStatus::Other(0x401)),
            "status 0x00000401"
        );
    }

    #[test]
    fn throttling_and_system_errors_are_temporary_and_bad_numbers_are_not() {
        assert!(is_temporary(CommandStatus::EsmeRthrottled));
        assert!(is_temporary(CommandStatus::EsmeRmsgqful));
        assert!(is_temporary(CommandStatus::EsmeRsyserr));
        assert!(!is_temporary(CommandStatus::EsmeRinvdstadr));
        assert!(!is_temporary(CommandStatus::EsmeRinvsrcadr));
    }

    #[test]
    fn config_defaults_suit_a_chinese_sp_code() {
        let config = SmppConfig::default();
        assert_eq!((config.dest_addr_ton, config.dest_addr_npi), (1, 1));
        assert_eq!((config.source_addr_ton, config.source_addr_npi), (0, 0));
        assert!(config.request_delivery_receipts);
        let parsed: SmppConfig = serde_json::from_str(r#"{"system_id":"court","dest_addr_ton":2}"#)
            .expect("partial config");
        assert_eq!(parsed.system_id, "court");
        assert_eq!(parsed.port, 2775);
        assert_eq!(parsed.dest_addr_ton, 2);
    }
}
