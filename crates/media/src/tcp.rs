//! ICE-TCP for networks that block UDP: a passive TCP candidate on the media port, each
//! connection framed as RFC 4571 (a 16-bit big-endian length before every packet). The
//! engine sees the same datagrams as over UDP; connections are tasks on the SFU's
//! runtime that hand their datagrams to the engine and write what it sends them.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// The most connections open at once; more are refused (each is a browser's fallback
/// path, so a court's largest hearing day stays far below this).
pub(crate) const MAX_CONNECTIONS: usize = 4096;
/// A connection that has not said a valid first word (an ICE check) by then is closed.
pub(crate) const FIRST_PACKET_TIMEOUT: Duration = Duration::from_secs(10);
/// Packets queued for one connection before further ones are dropped (like a full UDP
/// buffer: media is better late-free than late).
const WRITE_QUEUE: usize = 512;
/// Datagrams queued from every connection to the engine.
pub(crate) const READ_QUEUE: usize = 4096;

/// What the connection tasks tell the engine.
pub(crate) enum TcpEvent {
    Opened {
        remote: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
        reader: AbortHandle,
    },
    Datagram {
        remote: SocketAddr,
        contents: Vec<u8>,
    },
    Closed {
        remote: SocketAddr,
    },
}

/// One open connection, as the engine holds it.
pub(crate) struct Connection {
    writer: mpsc::Sender<Vec<u8>>,
    reader: AbortHandle,
    /// A peer accepted this connection's first packet.
    pub(crate) known: bool,
    pub(crate) opened: tokio::time::Instant,
}

impl Connection {
    pub(crate) fn new(writer: mpsc::Sender<Vec<u8>>, reader: AbortHandle) -> Self {
        Self {
            writer,
            reader,
            known: false,
            opened: tokio::time::Instant::now(),
        }
    }

    /// Queues one packet; false when it was dropped (queue full or connection gone).
    pub(crate) fn send(&self, contents: &[u8]) -> bool {
        let Ok(length) = u16::try_from(contents.len()) else {
            return false;
        };
        let mut framed = Vec::with_capacity(contents.len() + 2);
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(contents);
        self.writer.try_send(framed).is_ok()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The writer task ends with its channel; the reader is stopped here.
        self.reader.abort();
    }
}

/// Accepts connections until the engine is gone.
pub(crate) async fn accept(listener: TcpListener, events: mpsc::Sender<TcpEvent>) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(error = %err, "SFU TCP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if events.is_closed() {
            return;
        }
        // Media must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        open(stream, remote, events.clone());
    }
}

fn open(stream: TcpStream, remote: SocketAddr, events: mpsc::Sender<TcpEvent>) {
    let (mut read_half, mut write_half) = stream.into_split();
    let (writer, mut outgoing) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    tokio::spawn(async move {
        while let Some(framed) = outgoing.recv().await {
            if write_half.write_all(&framed).await.is_err() {
                break;
            }
        }
    });
    let reader_events = events.clone();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; usize::from(u16::MAX)];
        loop {
            let mut length = [0u8; 2];
            if read_half.read_exact(&mut length).await.is_err() {
                break;
            }
            let length = usize::from(u16::from_be_bytes(length));
            let Some(frame) = buf.get_mut(..length) else {
                break;
            };
            if read_half.read_exact(frame).await.is_err() {
                break;
            }
            let datagram = TcpEvent::Datagram {
                remote,
                contents: frame.to_vec(),
            };
            if reader_events.send(datagram).await.is_err() {
                return;
            }
        }
        let _ = reader_events.send(TcpEvent::Closed { remote }).await;
    });
    let opened = TcpEvent::Opened {
        remote,
        writer,
        reader: reader.abort_handle(),
    };
    if events.try_send(opened).is_err() {
        reader.abort();
    }
}
