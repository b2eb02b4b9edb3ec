//! The running server: shared state, start-up (store, bootstrap court) and the HTTP
//! listener with graceful shutdown. Tests call [`launch`] with a listener on port 0.

use crate::config::Config;
use crate::metrics::Metrics;
use crate::throttle::Throttle;
use anyhow::Context;
use chrono::{DateTime, Utc};
use court::{AuditActor, Court, CourtId, CourtName, NewAuditEvent, TimeZoneName};
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use uuid::Uuid;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub login_throttle: Arc<Throttle>,
    /// Wakes the outbox worker when messages are queued.
    pub outbox_wakeup: Arc<tokio::sync::Notify>,
    /// Each hearing's live channel.
    pub live: Arc<crate::live::LiveHub>,
    /// Join requests per address and per phone (code sends).
    pub join_requests: Arc<Throttle>,
    /// Failed joins (unknown number or phone, wrong code) per address, phone and hearing.
    pub join_failures: Arc<Throttle>,
    /// The transcript PDF's font and signing key, loaded on first use.
    pdf: Arc<tokio::sync::OnceCell<Arc<crate::pdf::PdfService>>>,
    /// Evidence bytes: a local directory or S3.
    pub blobs: store::blobs::Blobs,
    /// Uploads in progress, staged on disk.
    pub staging: Arc<crate::staging::Staging>,
    /// Evidence whose bytes were checked against their SHA-256, with the blob's
    /// (size, time, tag) when checked: a changed blob is checked again.
    pub verified_blobs: Arc<Mutex<HashMap<Uuid, BlobStamp>>>,
    /// The item each hearing presents on every screen now.
    pub presentations: Arc<Mutex<HashMap<court::HearingId, crate::http::evidence::Presentation>>>,
    /// The SFU every hearing's audio and video goes through.
    pub media: media::Sfu,
    /// The recordings of the hearings in session.
    pub recordings: Arc<crate::recording::Recorders>,
    /// This node among several on PostgreSQL; none on SQLite.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    /// Cluster mode: the live messages this node publishes, until the writer takes them.
    live_outgoing: Arc<Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<crate::live::Outgoing>>>>,
}

/// What identifies one version of a stored blob: size, last change, tag.
pub type BlobStamp = (u64, DateTime<Utc>, Option<String>);

impl AppState {
    /// Opens the blob store and the upload staging directory beside the database.
    pub fn new(store: Arc<dyn Store>, config: Config) -> anyhow::Result<Self> {
        let blobs = store::blobs::Blobs::open(&config.blobs, &config.data_dir.join("blobs"))
            .context("opening the blob store")?;
        let staging_dir = config.data_dir.join("uploads");
        let staging = crate::staging::Staging::new(staging_dir.clone())
            .with_context(|| format!("cannot create {}", staging_dir.display()))?;
        let login_throttle = Throttle::new(
            config.login_max_failures,
            Duration::from_secs(config.login_lockout_seconds),
        );
        let join_requests = Throttle::new(config.join_max_requests, Duration::from_secs(10 * 60));
        let media = media::Sfu::start(&config.media.sfu()).context("starting the SFU")?;
        let cluster = store
            .cluster()
            .map(|db| Arc::new(crate::cluster::Cluster::new(db)));
        // A segment names the node that recorded it: the cluster's node id, or this host.
        let node_name = match &cluster {
            Some(cluster) => cluster.node().to_string(),
            None => crate::recording::default_node(&config.data_dir),
        };
        let recordings = Arc::new(crate::recording::Recorders::new(
            &config.data_dir,
            media.clone(),
            blobs.clone(),
            node_name,
        ));
        let (live, live_outgoing) = match &cluster {
            Some(cluster) => {
                let (hub, outgoing) =
                    crate::live::LiveHub::clustered(cluster.db().clone(), cluster.node());
                (hub, Some(outgoing))
            }
            None => (crate::live::LiveHub::default(), None),
        };
        Ok(Self {
            cluster,
            live_outgoing: Arc::new(Mutex::new(live_outgoing)),
            media,
            recordings,
            store,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            login_throttle: Arc::new(login_throttle),
            outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
            live: Arc::new(live),
            join_requests: Arc::new(join_requests),
            join_failures: Arc::new(Throttle::new(5, Duration::from_secs(15 * 60))),
            pdf: Arc::default(),
            blobs,
            staging: Arc::new(staging),
            verified_blobs: Arc::default(),
            presentations: Arc::default(),
        })
    }

    /// The PDF service, loading the font and key the first time (off the async workers:
    /// it may read a large font and generate a key).
    pub async fn pdf(&self) -> anyhow::Result<Arc<crate::pdf::PdfService>> {
        let config = self.config.clone();
        self.pdf
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || crate::pdf::PdfService::load(&config))
                    .await
                    .context("loading the PDF font and key")?
                    .map(Arc::new)
            })
            .await
            .cloned()
    }
}

/// Opens the configured store and makes sure the configured court exists when the
/// database has none yet (a fresh installation).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open(config.database_url(), &config.data_dir)
        .await
        .with_context(|| match config.database_url() {
            Some(url) => format!(
                "cannot open the database {}",
                crate::config::redact_url(url)
            ),
            None => format!("cannot open the database in {}", config.data_dir.display()),
        })?;
    if store.courts().await?.is_empty() {
        create_court(
            store.as_ref(),
            &config.court.name,
            &config.court.time_zone,
            AuditActor::System,
        )
        .await?;
    }
    Ok(store)
}

/// Creates a court, audited as `actor`.
pub async fn create_court(
    store: &dyn Store,
    name: &str,
    time_zone: &str,
    actor: AuditActor,
) -> anyhow::Result<Court> {
    let court = Court {
        id: CourtId::new(),
        name: CourtName::parse(name).map_err(|e| anyhow::anyhow!("{}", e.en))?,
        time_zone: TimeZoneName::parse(time_zone).map_err(|e| anyhow::anyhow!("{}", e.en))?,
        created_at: court::to_storage_precision(chrono::Utc::now()),
    };
    let audit = NewAuditEvent::new(
        actor,
        "court.create",
        json!({"name": court.name, "time_zone": court.time_zone}),
    )
    .court(court.id);
    store
        .create_court(&court, audit)
        .await
        .context("creating the court")?;
    Ok(court)
}

/// Serves on `listener`, with the outbox worker beside it, until `shutdown` completes.
pub async fn launch(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let worker = tokio::spawn(crate::outbox::run(
        state.store.clone(),
        state.config.clone(),
        state.outbox_wakeup.clone(),
    ));
    if let Some(cluster) = &state.cluster {
        let outgoing = state
            .live_outgoing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(outgoing) = outgoing {
            tokio::spawn(crate::live::append_outgoing(cluster.db().clone(), outgoing));
        }
        let node_url = node_url(&state.config, listener.local_addr()?);
        crate::cluster::start(&state, node_url).await?;
    }
    // Recordings a stopped process left open are closed, and (on one node) hearings in
    // session are recorded on, beside the serving. In a cluster, a hearing is recorded
    // on by the node its next live connection places it on.
    let recordings = state.recordings.clone();
    let store = state.store.clone();
    let clustered = state.cluster.is_some();
    tokio::spawn(async move {
        if clustered {
            recordings.recover_unfinished(&store).await;
        } else {
            recordings.resume(&store).await;
        }
    });
    let state_cluster = state.cluster.clone();
    let app = crate::http::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the HTTP server stopped with an error");
    // A message being sent right now is left `sending`; the next start recovers it.
    worker.abort();
    if let Some(cluster) = &state_cluster {
        cluster.retire().await;
    }
    served
}

/// How the other nodes reach this one: `[cluster] node_url`, else the address listened
/// on (loopback for every interface).
fn node_url(config: &Config, listening: SocketAddr) -> String {
    if let Some(url) = config
        .cluster
        .node_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        return url.trim().trim_end_matches('/').to_owned();
    }
    let mut address = listening;
    if address.ip().is_unspecified() {
        tracing::warn!(
            "listening on every interface without [cluster] node_url: other nodes are told 127.0.0.1"
        );
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{address}")
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
