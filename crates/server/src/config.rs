//! Configuration: one typed struct, layered defaults < `cloudcourt.toml` <
//! `CLOUDCOURT_*` environment < command-line flags, printed at start-up with secrets hidden.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The court this installation serves first; created on first start if none exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourtConfig {
    pub name: String,
    pub time_zone: String,
}

/// How notices go out by SMS: the driver and the texts' configurable parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsSettings {
    /// `driver` (log, smpp, aliyun, tencent) and each driver's own settings.
    #[serde(flatten)]
    pub transport: sms::DriverConfig,
    /// The name in 【】 that starts every message.
    pub sign_name: String,
    /// Where the client page is; the meeting number is appended. Default `{public_url}/d`.
    pub client_url: Option<String>,
    /// The phrase in parentheses after 下载庭审客户端.
    pub client_note: String,
    /// How notices name the case: `case_number` (案号) or `cause` (案由).
    pub case_label: CaseLabel,
    /// Reminders before a hearing, in minutes (default a day and an hour).
    pub reminders_minutes: Vec<u32>,
    /// Attempts before a message is given up.
    pub max_attempts: i32,
    /// The first retry's delay in seconds; it doubles with each attempt, up to an hour.
    pub retry_base_seconds: u64,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            transport: sms::DriverConfig::default(),
            sign_name: "北京云法庭".into(),
            client_url: None,
            client_note: "手机和电脑均可使用".into(),
            case_label: CaseLabel::CaseNumber,
            reminders_minutes: vec![24 * 60, 60],
            max_attempts: 6,
            retry_base_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseLabel {
    CaseNumber,
    Cause,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Holds the SQLite file (`cloudcourt.db`) and the blobs.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; empty for the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// The address people reach the server at, for links; defaults to `http://{listen}`.
    pub public_url: Option<String>,
    pub court: CourtConfig,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    /// How long a staff session lasts, in hours.
    pub session_hours: u32,
    /// The largest JSON body the API accepts, in bytes.
    pub max_json_bytes: usize,
    /// Failed sign-ins allowed per account and per address before a lock-out.
    pub login_max_failures: u32,
    /// How long a sign-in lock-out lasts, in seconds.
    pub login_lockout_seconds: u64,
    /// Join-code requests allowed per phone in 10 minutes (an address counts double,
    /// so it gets half); a load test from one machine raises it.
    pub join_max_requests: u32,
    /// The court's own reverse proxies (nginx): requests from these addresses are
    /// counted against the client address they give in `X-Forwarded-For`.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub sms: SmsSettings,
    #[serde(default)]
    pub pdf: PdfSettings,
    /// Where evidence (and later recordings) are kept: `kind = "local"` (the default,
    /// `{data_dir}/blobs`) or `kind = "s3"` with bucket, region, endpoint and keys.
    #[serde(default)]
    pub blobs: store::blobs::BlobConfig,
    #[serde(default)]
    pub evidence: EvidenceSettings,
    #[serde(default)]
    pub media: MediaSettings,
    #[serde(default)]
    pub cluster: ClusterSettings,
}

/// Several nodes on one PostgreSQL database (cluster mode is on with PostgreSQL).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterSettings {
    /// How the other nodes reach this node's HTTP listener on the internal network,
    /// e.g. `http://10.0.0.11:8080`; defaults to the address listened on (127.0.0.1
    /// when listening on every interface, which only suits nodes on one machine).
    pub node_url: Option<String>,
}

/// The SFU: the one UDP socket all audio and video goes through, the same port on TCP
/// for networks that block UDP, and the TURN servers browsers may relay through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MediaSettings {
    /// The UDP address to bind (port 0: any free port, as tests do; production sets
    /// one port, e.g. `0.0.0.0:3478`, and opens it in the firewall, UDP and TCP).
    pub bind: SocketAddr,
    /// The address browsers send media to (the public IP behind NAT); defaults to the
    /// bound address, or 127.0.0.1 when bound to every interface.
    pub advertise: Option<std::net::IpAddr>,
    /// Also accept ICE-TCP on the same port number (a passive TCP candidate).
    pub tcp: bool,
    /// coturn servers (`[[media.turn]]`), handed to browsers with short-lived
    /// credentials (coturn's `use-auth-secret`).
    pub turn: Vec<TurnSettings>,
}

/// One TURN (or STUN) server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnSettings {
    /// e.g. `["turn:turn.court.example:3478", "turns:turn.court.example:443?transport=tcp"]`.
    pub urls: Vec<String>,
    /// coturn's `static-auth-secret`; leave out for a STUN server.
    #[serde(default)]
    pub secret: Option<String>,
    /// How long handed-out credentials stay valid, in seconds (a hearing's length and
    /// some: a relay in use is not cut when they expire, only new allocations fail).
    #[serde(default = "default_turn_ttl")]
    pub ttl_seconds: u64,
}

fn default_turn_ttl() -> u64 {
    6 * 3600
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            advertise: None,
            tcp: true,
            turn: Vec::new(),
        }
    }
}

impl MediaSettings {
    pub fn sfu(&self) -> media::SfuConfig {
        media::SfuConfig {
            bind: self.bind,
            advertise: self.advertise,
            tcp: self.tcp,
        }
    }

    pub fn turn_servers(&self) -> Vec<media::turn::TurnServer> {
        self.turn
            .iter()
            .map(|turn| media::turn::TurnServer {
                urls: turn.urls.clone(),
                secret: turn.secret.clone(),
                ttl: std::time::Duration::from_secs(turn.ttl_seconds),
            })
            .collect()
    }
}

/// Limits on evidence uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvidenceSettings {
    /// The largest file, in bytes (default 2 GiB).
    pub max_bytes: u64,
    /// The most items (and uploads in progress) per hearing.
    pub max_items: i64,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024 * 1024,
            max_items: court::evidence::MAX_ITEMS_PER_HEARING,
        }
    }
}

/// How transcript PDFs are made: the CJK font and the court's signing key (PEM files).
/// Without a font the bundled WenQuanYi Micro Hei is used; without a key, a
/// self-signed one is created in `{data_dir}/pdf-signing/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PdfSettings {
    /// A TrueType/OpenType font file or collection with Simplified Chinese.
    pub font: Option<PathBuf>,
    /// The face in a collection (Noto Sans CJK's TTC: 2 is Simplified Chinese).
    pub font_index: u32,
    /// The court's certificate chain (PEM, the signing certificate first).
    pub certificate: Option<PathBuf>,
    /// Its private key (PEM: ECDSA P-256 or RSA, PKCS#8).
    pub key: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            public_url: None,
            court: CourtConfig {
                name: "北京市石景山区人民法院".into(),
                time_zone: "Asia/Shanghai".into(),
            },
            cookie_secure: false,
            session_hours: 12,
            max_json_bytes: 64 * 1024,
            login_max_failures: 5,
            login_lockout_seconds: 15 * 60,
            join_max_requests: 10,
            trusted_proxies: Vec::new(),
            sms: SmsSettings::default(),
            pdf: PdfSettings::default(),
            blobs: store::blobs::BlobConfig::default(),
            evidence: EvidenceSettings::default(),
            media: MediaSettings::default(),
            cluster: ClusterSettings::default(),
        }
    }
}

/// Values given on the command line; only those present override the layers below.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// Loads the layers. `file` is the TOML file to read (`cloudcourt.toml` when not
    /// named; a missing default file is fine, a missing named one is an error).
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("cloudcourt.toml"));
        if file.is_some() && !path.exists() {
            anyhow::bail!("configuration file {} does not exist", path.display());
        }
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&path))
            .merge(
                Env::prefixed("CLOUDCOURT_")
                    .split("__")
                    .ignore(&["config", "test_postgres"]),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .with_context(|| {
                format!(
                    "invalid configuration (file {}, CLOUDCOURT_* environment)",
                    path.display()
                )
            })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        court::CourtName::parse(&self.court.name)
            .map_err(|e| anyhow::anyhow!("court.name: {}", e.en))?;
        court::TimeZoneName::parse(&self.court.time_zone)
            .map_err(|e| anyhow::anyhow!("court.time_zone: {}", e.en))?;
        anyhow::ensure!(self.session_hours > 0, "session_hours must be at least 1");
        anyhow::ensure!(
            self.max_json_bytes >= 1024,
            "max_json_bytes must be at least 1024"
        );
        Ok(())
    }

    /// The address people reach the server at, without a trailing slash.
    pub fn base_url(&self) -> String {
        let url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        url.trim_end_matches('/').to_owned()
    }

    /// The client page's address for one meeting number (the link in the invitation).
    pub fn client_url(&self, meeting_number: &str) -> String {
        let base = match &self.sms.client_url {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
            _ => format!("{}/d", self.base_url()),
        };
        format!("{base}/{meeting_number}")
    }

    /// The database URL to use, if any (an empty string means the SQLite default).
    pub fn database_url(&self) -> Option<&str> {
        self.database_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
    }

    /// The configuration as TOML with secrets hidden, for the start-up log.
    pub fn describe(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = self.database_url().map(redact_url);
        shown.sms.transport = self.sms.transport.redacted();
        shown.blobs = self.blobs.redacted();
        for turn in &mut shown.media.turn {
            if turn.secret.is_some() {
                turn.secret = Some("***".into());
            }
        }
        toml::to_string(&shown).unwrap_or_else(|err| format!("(cannot print configuration: {err})"))
    }
}

/// Hides the password of a URL: `postgres://user:secret@host/db` → `postgres://user:***@host/db`,
/// and a query that carries one (`?password=…`).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) if query.contains("password") => (base, "?***"),
        Some((base, query)) => (base, &url[base.len()..base.len() + 1 + query.len()]),
        None => (url, ""),
    };
    let Some((scheme, rest)) = base.split_once("://") else {
        return format!("{base}{query}");
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    format!("{scheme}://{authority}{path}{query}")
}

#[cfg(test)]
// figment's Jail returns its large error type; that is its API, not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        assert_eq!(
            redact_url("postgres://court:s3cret@db.example:5432/cloudcourt"),
            "postgres://court:***@db.example:5432/cloudcourt"
        );
        assert_eq!(
            redact_url("postgres://court@db/cc"),
            "postgres://court@db/cc"
        );
        assert_eq!(
            redact_url("postgres://db/cc?password=x&sslmode=require"),
            "postgres://db/cc?***"
        );
        assert_eq!(
            redact_url("postgres://db/cc?sslmode=require"),
            "postgres://db/cc?sslmode=require"
        );
        let config = Config {
            database_url: Some("postgres://u:topsecret@h/d".into()),
            ..Config::default()
        };
        let mut config = config;
        config.sms.transport.aliyun.access_key_secret = "aliyun-secret".into();
        config.sms.transport.smpp.password = "smpp-secret".into();
        config.media.turn.push(TurnSettings {
            urls: vec!["turns:turn.court.example:443?transport=tcp".into()],
            secret: Some("coturn-secret".into()),
            ttl_seconds: 3600,
        });
        let text = config.describe();
        assert!(!text.contains("topsecret"), "{text}");
        assert!(!text.contains("coturn-secret"), "{text}");
        assert!(
            !text.contains("aliyun-secret") && !text.contains("smpp-secret"),
            "{text}"
        );
        assert!(text.contains("u:***@h/d"));
    }

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("cloudcourt.toml", "listen = \"127.0.0.1:9000\"\nsession_hours = 8\n[court]\nname = \"北京互联网法院\"\n")?;
            jail.set_env("CLOUDCOURT_SESSION_HOURS", "4");
            jail.set_env("CLOUDCOURT_COURT__TIME_ZONE", "Asia/Urumqi");
            jail.set_env("CLOUDCOURT_SMS__DRIVER", "smpp");
            jail.set_env("CLOUDCOURT_SMS__SMPP__PORT", "2776");
            let overrides = Overrides {
                data_dir: Some(PathBuf::from("/srv/cc")),
                ..Overrides::default()
            };
            let config = Config::load(None, &overrides).map_err(|e| e.to_string())?;
            assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 9000)));
            assert_eq!(config.session_hours, 4);
            assert_eq!(config.court.name, "北京互联网法院");
            assert_eq!(config.court.time_zone, "Asia/Urumqi");
            assert_eq!(config.data_dir, PathBuf::from("/srv/cc"));
            assert_eq!(config.sms.transport.driver, sms::DriverName::Smpp);
            assert_eq!(config.sms.transport.smpp.port, 2776);
            assert_eq!(config.sms.sign_name, "北京云法庭");
            Ok(())
        });
    }

    #[test]
    fn a_bad_time_zone_is_refused_at_start() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CLOUDCOURT_COURT__TIME_ZONE", "Moon/Base");
            let err = Config::load(None, &Overrides::default()).expect_err("refused");
            assert!(err.to_string().contains("court.time_zone"), "{err}");
            Ok(())
        });
    }
}
