//! Uploads in progress, staged on disk (`{data_dir}/uploads/{id}.part`): each chunk is
//! appended at the offset the client names, so an upload cut by a network drop (or a
//! restart) resumes from the bytes that arrived. The file's length is the offset; one
//! chunk of an upload is written at a time.

use axum::body::Body;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// Why a chunk was not (wholly) taken.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("the upload is at byte {actual}, not {expected}")]
    OffsetMismatch { expected: u64, actual: u64 },
    #[error("more bytes than the upload's size (nothing of the request was kept)")]
    TooLong,
    #[error("no such upload is staged")]
    Missing,
    #[error("the client stopped sending after {written} bytes: {detail}")]
    Interrupted { written: u64, detail: String },
    #[error("staging the upload failed: {0}")]
    Io(#[from] std::io::Error),
}

pub struct Staging {
    dir: PathBuf,
    /// One writer per upload: a client that retries while its first request still runs
    /// waits instead of interleaving bytes.
    locks: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
}

impl Staging {
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            locks: Mutex::default(),
        })
    }

    pub fn path(&self, id: Uuid) -> PathBuf {
        self.dir.join(format!("{id}.part"))
    }

    /// Starts an empty staged file.
    pub async fn create(&self, id: Uuid) -> std::io::Result<()> {
        tokio::fs::File::create(self.path(id))
            .await?
            .sync_all()
            .await
    }

    /// How many bytes arrived so far; `None` when nothing is staged under `id`.
    pub async fn offset(&self, id: Uuid) -> std::io::Result<Option<u64>> {
        match tokio::fs::metadata(self.path(id)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Holds the upload for one request: appending, or finishing it.
    pub async fn lock(&self, id: Uuid) -> tokio::sync::OwnedMutexGuard<()> {
        self.lock_for(id).lock_owned().await
    }

    fn lock_for(&self, id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    /// Appends `body` at `offset`, never past `size`; returns the new offset. Bytes
    /// that arrived before an interruption are kept (the client resumes after them).
    pub async fn append(
        &self,
        id: Uuid,
        offset: u64,
        size: u64,
        body: Body,
    ) -> Result<u64, AppendError> {
        let lock = self.lock_for(id);
        let _writing = lock.lock().await;
        let path = self.path(id);
        let actual = self.offset(id).await?.ok_or(AppendError::Missing)?;
        if actual != offset {
            return Err(AppendError::OffsetMismatch {
                expected: offset,
                actual,
            });
        }
        let mut file = tokio::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .await?;
        let mut written = offset;
        let mut stream = body.into_data_stream();
        let outcome = loop {
            match stream.next().await {
                None => break Ok(()),
                Some(Err(err)) => {
                    break Err(AppendError::Interrupted {
                        written: written - offset,
                        detail: err.to_string(),
                    });
                }
                Some(Ok(chunk)) => {
                    if chunk.len() as u64 > size - written {
                        // A client's mistake, not a network's: keep nothing of this request.
                        file.set_len(offset).await?;
                        break Err(AppendError::TooLong);
                    }
                    file.write_all(&chunk).await?;
                    written += chunk.len() as u64;
                }
            }
        };
        file.flush().await?;
        if written == size {
            // The whole file is here: make it durable before it is finished.
            file.sync_all().await?;
        }
        outcome.map(|()| written)
    }

    /// Opens the staged bytes for reading (to sniff them and to store them).
    pub async fn open(&self, id: Uuid) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(id)).await
    }

    /// The first `n` bytes (fewer when the file is shorter).
    pub async fn head(&self, id: Uuid, n: usize) -> std::io::Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let mut head = Vec::with_capacity(n);
        self.open(id)
            .await?
            .take(n as u64)
            .read_to_end(&mut head)
            .await?;
        Ok(head)
    }

    /// Discards an upload's bytes (finished, refused or cancelled).
    pub async fn remove(&self, id: Uuid) {
        if let Err(err) = tokio::fs::remove_file(self.path(id)).await
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(upload = %id, error = %err, "staged upload not removed");
        }
        self.locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_append_at_their_offset_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let staging = Staging::new(dir.path().join("uploads")).expect("staging");
        let id = Uuid::now_v7();
        staging.create(id).await.expect("create");
        let appended = staging.append(id, 0, 10, Body::from("hello")).await;
        assert_eq!(appended.ok(), Some(5));
        // A resend of the same chunk names an offset that is past.
        assert!(matches!(
            staging.append(id, 0, 10, Body::from("hello")).await,
            Err(AppendError::OffsetMismatch {
                expected: 0,
                actual: 5
            })
        ));
        // More than the declared size: the whole request is refused.
        assert!(matches!(
            staging.append(id, 5, 10, Body::from("world!!")).await,
            Err(AppendError::TooLong)
        ));
        assert_eq!(staging.offset(id).await.expect("offset"), Some(5));
        assert_eq!(
            staging.append(id, 5, 10, Body::from("world")).await.ok(),
            Some(10)
        );
        assert_eq!(staging.head(id, 4).await.expect("head"), b"hell");
        staging.remove(id).await;
        assert_eq!(staging.offset(id).await.expect("offset"), None);
        assert!(matches!(
            staging.append(id, 0, 10, Body::from("x")).await,
            Err(AppendError::Missing)
        ));
    }
}
