//! The blob store: the bytes of evidence, recordings and PDFs, in a local directory (the
//! default, `{data_dir}/blobs`) or an S3-compatible bucket. Every write is streamed
//! through SHA-256 in bounded memory; the database keeps the hash, and a reader can
//! re-hash a blob to find one altered at rest.

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The size of the parts of a multipart upload (S3 wants at least 5 MiB but the last).
/// A stream shorter than one part is stored with a single PUT.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploaded at once: with the part being filled, at most three parts are in memory.
const PARTS_IN_FLIGHT: usize = 2;
/// How much is read from an upload's reader at a time.
const READ_CHUNK: usize = 64 * 1024;
/// How long `ping` waits for the store before calling it down.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Where blobs live: a local directory (the default: `{data_dir}/blobs`) or an
/// S3-compatible bucket. The server's config embeds it as `[blobs]`, `kind = "local"`
/// or `kind = "s3"`. Its `Debug` hides the secret key; print [`BlobConfig::redacted`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlobConfig {
    Local {
        /// `None`: the caller's default (`{data_dir}/blobs`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dir: Option<PathBuf>,
    },
    S3 {
        bucket: String,
        region: String,
        /// For S3-compatible stores (MinIO, Ceph, OSS, COS…): their URL, addressed
        /// path-style (`{endpoint}/{bucket}/{key}`). `None`: AWS itself.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        access_key_id: String,
        secret_access_key: String,
        /// Allows a plain `http://` endpoint (a store on loopback or a private network).
        #[serde(default)]
        allow_http: bool,
    },
}

impl Default for BlobConfig {
    fn default() -> Self {
        BlobConfig::Local { dir: None }
    }
}

impl BlobConfig {
    /// The same config with the secret key replaced by `***`, for printing.
    pub fn redacted(&self) -> Self {
        match self {
            BlobConfig::Local { .. } => self.clone(),
            BlobConfig::S3 {
                bucket,
                region,
                endpoint,
                access_key_id,
                allow_http,
                ..
            } => BlobConfig::S3 {
                bucket: bucket.clone(),
                region: region.clone(),
                endpoint: endpoint.clone(),
                access_key_id: access_key_id.clone(),
                secret_access_key: "***".to_owned(),
                allow_http: *allow_http,
            },
        }
    }
}

impl fmt::Debug for BlobConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.redacted() {
            BlobConfig::Local { dir } => f.debug_struct("Local").field("dir", &dir).finish(),
            BlobConfig::S3 {
                bucket,
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            } => f
                .debug_struct("S3")
                .field("bucket", &bucket)
                .field("region", &region)
                .field("endpoint", &endpoint)
                .field("access_key_id", &access_key_id)
                .field("secret_access_key", &secret_access_key)
                .field("allow_http", &allow_http)
                .finish(),
        }
    }
}

/// What a write stored: its size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// What the store says about a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    pub e_tag: Option<String>,
    pub last_modified: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0} not found")]
    NotFound(String),
    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey { key: String, reason: String },
    #[error("blob {key} is larger than the limit of {limit} bytes")]
    TooLarge { key: String, limit: u64 },
    #[error("invalid range {start}..{end} of blob {key}")]
    InvalidRange { key: String, start: u64, end: u64 },
    #[error("cannot read the bytes for blob {key}: {source}")]
    Read {
        key: String,
        #[source]
        source: std::io::Error,
    },
    #[error("blob store: cannot {op} {key}: {source}")]
    ObjectStore {
        op: &'static str,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot create the blob directory {path}: {source}")]
    Dir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the blob store {what}: {source}")]
    Open {
        what: String,
        #[source]
        source: object_store::Error,
    },
    #[error("the blob store did not answer within {0:?}")]
    Timeout(Duration),
}

impl BlobError {
    fn store(op: &'static str, key: &str, source: object_store::Error) -> Self {
        match source {
            object_store::Error::NotFound { .. } => BlobError::NotFound(key.to_owned()),
            source => BlobError::ObjectStore {
                op,
                key: key.to_owned(),
                source,
            },
        }
    }
}

/// The blob store: cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// The directory of a local store (checked by `ping`).
    local_root: Option<PathBuf>,
}

impl fmt::Debug for Blobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The store's Display names the bucket or directory, never a credential.
        write!(f, "Blobs({})", self.store)
    }
}

impl Blobs {
    /// Opens the store a config names; a local one in `default_dir` when the config names
    /// no directory. Creates the local directory.
    pub fn open(config: &BlobConfig, default_dir: &Path) -> Result<Blobs, BlobError> {
        match config {
            BlobConfig::Local { dir } => {
                let dir = dir.as_deref().unwrap_or(default_dir);
                std::fs::create_dir_all(dir).map_err(|source| BlobError::Dir {
                    path: dir.display().to_string(),
                    source,
                })?;
                // fsync: a blob the database records must survive a power cut.
                let store = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|source| BlobError::Open {
                        what: dir.display().to_string(),
                        source,
                    })?
                    .with_fsync(true);
                Ok(Blobs {
                    store: Arc::new(store),
                    local_root: Some(dir.to_path_buf()),
                })
            }
            BlobConfig::S3 {
                bucket,
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                install_crypto_provider();
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_allow_http(*allow_http);
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                let store = builder.build().map_err(|source| BlobError::Open {
                    what: format!("s3 bucket {bucket}"),
                    source,
                })?;
                Ok(Blobs {
                    store: Arc::new(store),
                    local_root: None,
                })
            }
        }
    }

    /// Streams `reader` into `key` while hashing it: a multipart upload in parts of
    /// [`PART_SIZE`], so memory stays bounded whatever the size (a stream shorter than one
    /// part is one PUT). Refuses with [`BlobError::TooLarge`] when more than `limit` bytes
    /// arrive, aborting the upload so that nothing is left under `key`. An upload whose
    /// future is dropped midway is aborted in the background.
    pub async fn put_stream<R: AsyncRead + Unpin + Send>(
        &self,
        key: &str,
        mut reader: R,
        limit: u64,
    ) -> Result<Stored, BlobError> {
        let path = parse_key(key)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut buf = vec![0u8; READ_CHUNK];

        // The first part, held until we know whether the stream is longer.
        let mut first = BytesMut::new();
        while first.len() < PART_SIZE {
            let n = read_counted(&mut reader, &mut buf, &mut size, limit, key).await?;
            if n == 0 {
                hasher.update(&first);
                let first = first.freeze();
                self.store
                    .put(&path, PutPayload::from(first))
                    .await
                    .map_err(|e| BlobError::store("write", key, e))?;
                return Ok(Stored {
                    size,
                    sha256: hex::encode(hasher.finalize()),
                });
            }
            first.extend_from_slice(&buf[..n]);
        }

        let upload = self
            .store
            .put_multipart(&path)
            .await
            .map_err(|e| BlobError::store("start the upload of", key, e))?;
        let mut guard = AbortOnDrop {
            writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)),
            key: key.to_owned(),
        };
        hasher.update(&first);
        let pumped = match guard.writer.as_mut() {
            Some(writer) => {
                writer.put(first.freeze());
                pump(
                    writer,
                    &mut reader,
                    &mut buf,
                    &mut hasher,
                    &mut size,
                    limit,
                    key,
                )
                .await
            }
            None => Ok(()),
        };
        // The guard gives its writer up only here; the dead branch keeps this panic-free.
        let Some(writer) = guard.writer.take() else {
            return Err(BlobError::Read {
                key: key.to_owned(),
                source: std::io::Error::other("the multipart upload was lost"),
            });
        };
        match pumped {
            Ok(()) => {
                writer
                    .finish()
                    .await
                    .map_err(|e| BlobError::store("finish the upload of", key, e))?;
                Ok(Stored {
                    size,
                    sha256: hex::encode(hasher.finalize()),
                })
            }
            Err(err) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(key, error = %abort, "cannot abort a refused blob upload");
                }
                Err(err)
            }
        }
    }

    /// Stores `bytes` under `key` in one PUT.
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<Stored, BlobError> {
        let path = parse_key(key)?;
        let stored = Stored {
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        };
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|e| BlobError::store("write", key, e))?;
        Ok(stored)
    }

    /// The size and version of `key`, or [`BlobError::NotFound`].
    pub async fn head(&self, key: &str) -> Result<BlobMeta, BlobError> {
        let path = parse_key(key)?;
        let meta = self
            .store
            .head(&path)
            .await
            .map_err(|e| BlobError::store("look up", key, e))?;
        Ok(BlobMeta {
            size: meta.size,
            e_tag: meta.e_tag,
            last_modified: meta.last_modified,
        })
    }

    /// The bytes of `key` (or of `range`, end exclusive; an end past the blob's end stops
    /// at its end), as a stream of chunks: never the whole blob in memory.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        let path = parse_key(key)?;
        if let Some(range) = &range
            && range.start >= range.end
        {
            return Err(BlobError::InvalidRange {
                key: key.to_owned(),
                start: range.start,
                end: range.end,
            });
        }
        let result = self
            .store
            .get_opts(&path, GetOptions::new().with_range(range))
            .await
            .map_err(|e| BlobError::store("read", key, e))?;
        let key = key.to_owned();
        Ok(result
            .into_stream()
            .map_err(move |e| BlobError::store("read", &key, e))
            .boxed())
    }

    /// Reads the whole blob through SHA-256 (streamed), in lowercase hex: how a reader
    /// detects a blob altered at rest.
    pub async fn sha256(&self, key: &str) -> Result<String, BlobError> {
        let mut stream = self.get(key, None).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.try_next().await? {
            hasher.update(&chunk);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    /// Deletes `key`; deleting a missing blob succeeds (S3 cannot tell the difference).
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = parse_key(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::store("delete", key, e)),
        }
    }

    /// Checks that the store answers (for `/healthz`): the local directory is there, or
    /// the bucket lists (an empty prefix: cheap, yet a missing bucket or a wrong key fails).
    pub async fn ping(&self) -> Result<(), BlobError> {
        const PROBE: &str = "cloudcourt-ping";
        if let Some(root) = &self.local_root {
            let meta = tokio::fs::metadata(root)
                .await
                .map_err(|source| BlobError::Dir {
                    path: root.display().to_string(),
                    source,
                })?;
            if !meta.is_dir() {
                return Err(BlobError::Dir {
                    path: root.display().to_string(),
                    source: std::io::Error::other("not a directory"),
                });
            }
        }
        let probe = StorePath::from(PROBE);
        match tokio::time::timeout(PING_TIMEOUT, self.store.list_with_delimiter(Some(&probe))).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(BlobError::store("list", PROBE, e)),
            Err(_) => Err(BlobError::Timeout(PING_TIMEOUT)),
        }
    }
}

/// A key as the store's path. Keys are `/`-separated, like `evidence/{hearing}/{uuid}`:
/// no empty, `.` or `..` segment, no control character, no leading or trailing `/`.
fn parse_key(key: &str) -> Result<StorePath, BlobError> {
    let invalid = |reason: String| BlobError::InvalidKey {
        key: key.to_owned(),
        reason,
    };
    if key.is_empty() {
        return Err(invalid("empty".to_owned()));
    }
    let path = StorePath::parse(key).map_err(|e| invalid(e.to_string()))?;
    if path.as_ref() != key {
        return Err(invalid("a leading or trailing /".to_owned()));
    }
    Ok(path)
}

/// Reads the next bytes of an upload into `buf`, counting them against `limit`.
async fn read_counted<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
    size: &mut u64,
    limit: u64,
    key: &str,
) -> Result<usize, BlobError> {
    let n = reader.read(buf).await.map_err(|source| BlobError::Read {
        key: key.to_owned(),
        source,
    })?;
    *size += n as u64;
    if *size > limit {
        return Err(BlobError::TooLarge {
            key: key.to_owned(),
            limit,
        });
    }
    Ok(n)
}

/// Feeds the rest of the reader to a multipart upload, waiting for a part to finish
/// before more than [`PARTS_IN_FLIGHT`] are on their way.
async fn pump<R: AsyncRead + Unpin>(
    writer: &mut WriteMultipart,
    reader: &mut R,
    buf: &mut [u8],
    hasher: &mut Sha256,
    size: &mut u64,
    limit: u64,
    key: &str,
) -> Result<(), BlobError> {
    loop {
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(|e| BlobError::store("upload a part of", key, e))?;
        let n = read_counted(reader, buf, size, limit, key).await?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
        writer.write(&buf[..n]);
    }
}

/// Aborts a multipart upload left unfinished (its future dropped, a client gone), so that
/// no staging file or pending S3 upload outlives it.
struct AbortOnDrop {
    writer: Option<WriteMultipart>,
    key: String,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(key = %self.key, "blob upload dropped outside a runtime: not aborted");
            return;
        };
        let key = std::mem::take(&mut self.key);
        runtime.spawn(async move {
            if let Err(error) = writer.abort().await {
                tracing::warn!(key, %error, "cannot abort a dropped blob upload");
            }
        });
    }
}

/// Makes ring rustls' process-wide default (unless something chose one already), as
/// object_store's reqwest has no provider of its own (see the workspace Cargo.toml).
pub(crate) fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one meanwhile: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3() -> BlobConfig {
        BlobConfig::S3 {
            bucket: "court-files".into(),
            region: "cn-north-1".into(),
            endpoint: Some("https://oss.example.invalid".into()),
            access_key_id: "AKID".into(),
            secret_access_key: "very-secret".into(),
            allow_http: false,
        }
    }

    #[test]
    fn config_reads_the_kind_and_defaults_to_a_local_directory() {
        let local: BlobConfig = serde_json::from_str(r#"{"kind": "local"}"#).expect("local");
        assert_eq!(local, BlobConfig::default());
        let dir: BlobConfig =
            serde_json::from_str(r#"{"kind": "local", "dir": "/srv/blobs"}"#).expect("dir");
        assert_eq!(
            dir,
            BlobConfig::Local {
                dir: Some("/srv/blobs".into())
            }
        );
        let json = r#"{"kind": "s3", "bucket": "court-files", "region": "cn-north-1",
            "endpoint": "https://oss.example.invalid", "access_key_id": "AKID",
            "secret_access_key": "very-secret"}"#;
        assert_eq!(serde_json::from_str::<BlobConfig>(json).expect("s3"), s3());
        let round = serde_json::to_string(&s3()).expect("serialize");
        assert_eq!(
            serde_json::from_str::<BlobConfig>(&round).expect("round trip"),
            s3()
        );
    }

    #[test]
    fn the_secret_never_prints() {
        let BlobConfig::S3 {
            secret_access_key, ..
        } = s3().redacted()
        else {
            panic!("still S3");
        };
        assert_eq!(secret_access_key, "***");
        let debug = format!("{:?}", s3());
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(debug.contains("AKID"), "{debug}");
    }

    #[test]
    fn keys_are_plain_relative_paths() {
        assert!(parse_key("evidence/0190/0191").is_ok());
        assert!(parse_key("证据/借条.pdf").is_ok());
        for bad in ["", "..", "a/../b", "a/./b", "a//b", "/a", "a/", "a\nb"] {
            assert!(
                matches!(parse_key(bad), Err(BlobError::InvalidKey { .. })),
                "{bad:?}"
            );
        }
    }
}
