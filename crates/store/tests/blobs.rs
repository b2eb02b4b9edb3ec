//! The blob store as its users rely on it, on both stores: every test runs on a temp
//! local directory (`local::…`) and on S3, a moto_server on loopback (`s3::…`).
//! `CLOUDCOURT_TEST_MOTO` names moto_server (`scripts/test` installs it); without it the
//! S3 variants fail, unless `CLOUDCOURT_TEST_NO_S3=1` skips them on purpose.

use bytes::Bytes;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use std::io::{Seek, SeekFrom, Write};
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use store::blobs::PART_SIZE;
use store::testing::Moto;
use store::{BlobConfig, BlobError, Blobs};
use tempfile::TempDir;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::Notify;

const MIB: u64 = 1024 * 1024;

/// One store under test, and the means to reach behind its back.
struct Fixture {
    blobs: Blobs,
    backend: Backend,
}

enum Backend {
    Local { dir: TempDir },
    S3 { moto: Box<Moto> },
}

impl Fixture {
    async fn local() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = Blobs::open(&BlobConfig::default(), &dir.path().join("blobs")).expect("open");
        Fixture {
            blobs,
            backend: Backend::Local { dir },
        }
    }

    async fn s3() -> Fixture {
        let moto = Moto::start().await;
        let blobs = Blobs::open(&moto.config(), std::path::Path::new("unused")).expect("open");
        Fixture {
            blobs,
            backend: Backend::S3 {
                moto: Box::new(moto),
            },
        }
    }

    /// Changes one byte of a stored blob, behind the blob store's back.
    async fn alter_at_rest(&self, key: &str, original: &[u8]) {
        match &self.backend {
            Backend::Local { dir } => {
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dir.path().join("blobs").join(key))
                    .expect("the blob's file");
                file.seek(SeekFrom::Start(7)).expect("seek");
                file.write_all(&[original[7] ^ 0x01])
                    .expect("overwrite a byte");
            }
            Backend::S3 { moto } => {
                let mut altered = original.to_vec();
                altered[7] ^= 0x01;
                moto.put_raw(key, altered).await;
            }
        }
    }

    /// What unfinished uploads left behind: files in the directory that no finished blob
    /// accounts for (staging files), or multipart uploads pending in the bucket.
    async fn leftovers(&self, finished: &[&str]) -> Vec<String> {
        match &self.backend {
            Backend::Local { dir } => {
                let root = dir.path().join("blobs");
                files_under(&root)
                    .into_iter()
                    .filter(|f| !finished.contains(&f.as_str()))
                    .collect()
            }
            Backend::S3 { moto } => (0..moto.pending_uploads().await)
                .map(|i| format!("pending multipart upload {i}"))
                .collect(),
        }
    }
}

fn files_under(root: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files
}

/// Runs each test on both stores: `local::name` and `s3::name`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Fixture::local().await).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if store::testing::s3_skipped(stringify!($name)) {
                        return;
                    }
                    super::$name(super::Fixture::s3().await).await;
                }
            )*
        }
    };
}

on_both_stores!(
    a_large_stream_round_trips_whole_and_in_ranges,
    a_small_stream_and_bytes_round_trip,
    a_stream_over_the_limit_is_refused_and_leaves_nothing,
    a_dropped_upload_leaves_nothing,
    a_blob_altered_at_rest_is_detected,
    a_missing_key_is_not_found,
    keys_that_climb_out_are_refused,
    delete_removes_a_blob,
    ping_answers,
);

/// Deterministic pseudo-random bytes, produced chunk by chunk (never held whole).
struct Generated {
    pos: u64,
    len: u64,
}

impl Generated {
    fn new(len: u64) -> Self {
        Generated { pos: 0, len }
    }

    /// Byte `i` of every generated stream.
    fn byte_at(i: u64) -> u8 {
        Self::word(i / 8).to_le_bytes()[(i % 8) as usize]
    }

    fn word(n: u64) -> u64 {
        // splitmix64
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill(&mut self, out: &mut [u8]) {
        for b in out.iter_mut() {
            *b = Self::byte_at(self.pos);
            self.pos += 1;
        }
    }

    /// The SHA-256 of the whole stream, computed the same way, chunk by chunk.
    fn sha256(len: u64) -> String {
        let mut generated = Generated::new(len);
        let mut hasher = Sha256::new();
        let mut chunk = vec![0u8; 64 * 1024];
        while generated.pos < len {
            let n = (len - generated.pos).min(chunk.len() as u64) as usize;
            generated.fill(&mut chunk[..n]);
            hasher.update(&chunk[..n]);
        }
        hex::encode(hasher.finalize())
    }

    fn bytes(range: Range<u64>) -> Vec<u8> {
        range.map(Self::byte_at).collect()
    }
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (self.len - self.pos)
            .min(buf.remaining() as u64)
            .min(64 * 1024) as usize;
        let mut chunk = vec![0u8; n];
        self.fill(&mut chunk);
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

/// Gives `len` generated bytes, then tells `stalled` and never answers again: a client
/// that stops sending midway.
struct Stalling {
    inner: Generated,
    stalled: Arc<Notify>,
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.inner.pos == self.inner.len {
            self.stalled.notify_one();
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

async fn read_all(blobs: &Blobs, key: &str, range: Option<Range<u64>>) -> Vec<u8> {
    blobs
        .get(key, range)
        .await
        .expect("get")
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .expect("read the stream")
}

fn new_key() -> String {
    format!("evidence/{}/{}", uuid::Uuid::now_v7(), uuid::Uuid::now_v7())
}

async fn a_large_stream_round_trips_whole_and_in_ranges(f: Fixture) {
    let len = 50 * MIB;
    let key = new_key();
    let stored = f
        .blobs
        .put_stream(&key, Generated::new(len), len)
        .await
        .expect("put a 50 MiB stream with a limit of exactly its size");
    let expected = Generated::sha256(len);
    assert_eq!(stored.size, len);
    assert_eq!(stored.sha256, expected);

    assert_eq!(f.blobs.head(&key).await.expect("head").size, len);

    // The whole blob, hashed as it streams.
    let mut stream = f.blobs.get(&key, None).await.expect("get");
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    while let Some(chunk) = stream.try_next().await.expect("chunk") {
        read += chunk.len() as u64;
        hasher.update(&chunk);
    }
    assert_eq!(read, len);
    assert_eq!(hex::encode(hasher.finalize()), expected);
    assert_eq!(f.blobs.sha256(&key).await.expect("sha256"), expected);

    // A slice across a part boundary, and the last byte.
    let middle = (PART_SIZE as u64 * 3 - 1000)..(PART_SIZE as u64 * 3 + MIB);
    assert_eq!(
        read_all(&f.blobs, &key, Some(middle.clone())).await,
        Generated::bytes(middle)
    );
    assert_eq!(
        read_all(&f.blobs, &key, Some(len - 1..len)).await,
        vec![Generated::byte_at(len - 1)]
    );
}

async fn a_small_stream_and_bytes_round_trip(f: Fixture) {
    // Shorter than a part: one PUT.
    let key = new_key();
    let stored = f
        .blobs
        .put_stream(&key, Generated::new(1000), 1000)
        .await
        .expect("put a small stream");
    assert_eq!(stored.size, 1000);
    assert_eq!(stored.sha256, Generated::sha256(1000));
    assert_eq!(
        read_all(&f.blobs, &key, None).await,
        Generated::bytes(0..1000)
    );
    assert_eq!(
        read_all(&f.blobs, &key, Some(10..20)).await,
        Generated::bytes(10..20)
    );

    let other = new_key();
    let text = "证据一：借条原件".as_bytes();
    let stored = f
        .blobs
        .put_bytes(&other, Bytes::from_static(text))
        .await
        .expect("put bytes");
    assert_eq!(stored.size, text.len() as u64);
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(text)));
    let meta = f.blobs.head(&other).await.expect("head");
    assert_eq!(meta.size, text.len() as u64);
    assert_eq!(read_all(&f.blobs, &other, None).await, text);

    // An empty blob is a blob too.
    let empty = new_key();
    let stored = f
        .blobs
        .put_stream(&empty, Generated::new(0), 10)
        .await
        .expect("put an empty stream");
    assert_eq!(stored.size, 0);
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(b"")));
    assert_eq!(f.blobs.head(&empty).await.expect("head").size, 0);

    // A range must hold at least one byte.
    assert!(matches!(
        f.blobs.get(&key, Some(5..5)).await,
        Err(BlobError::InvalidRange { .. })
    ));
}

async fn a_stream_over_the_limit_is_refused_and_leaves_nothing(f: Fixture) {
    // Over the limit after a few parts were uploaded: the multipart upload is aborted.
    let key = new_key();
    let limit = 3 * PART_SIZE as u64 + 5;
    let refused = f
        .blobs
        .put_stream(&key, Generated::new(limit + 1), limit)
        .await;
    assert!(
        matches!(refused, Err(BlobError::TooLarge { limit: l, .. }) if l == limit),
        "{refused:?}"
    );
    assert!(matches!(
        f.blobs.head(&key).await,
        Err(BlobError::NotFound(_))
    ));

    // Over the limit within the first part: nothing was sent at all.
    let small = new_key();
    let refused = f.blobs.put_stream(&small, Generated::new(101), 100).await;
    assert!(
        matches!(refused, Err(BlobError::TooLarge { limit: 100, .. })),
        "{refused:?}"
    );
    assert!(matches!(
        f.blobs.head(&small).await,
        Err(BlobError::NotFound(_))
    ));

    assert_eq!(f.leftovers(&[]).await, Vec::<String>::new());
}

async fn a_dropped_upload_leaves_nothing(f: Fixture) {
    // A client that sends two parts' worth and goes silent; the request is dropped.
    let key = new_key();
    let stalled = Arc::new(Notify::new());
    let reader = Stalling {
        inner: Generated::new(2 * PART_SIZE as u64 + 10),
        stalled: stalled.clone(),
    };
    let mut upload = Box::pin(f.blobs.put_stream(&key, reader, 100 * MIB));
    tokio::select! {
        result = &mut upload => panic!("the upload ended: {result:?}"),
        () = stalled.notified() => {}
    }
    // While it waits, the upload is under way (a staging file, a pending multipart upload)…
    assert_eq!(f.leftovers(&[]).await.len(), 1, "the upload under way");
    // …until the request goes.
    drop(upload);
    // The abort runs in the background: wait for it (bounded).
    let mut left = f.leftovers(&[]).await;
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = f.leftovers(&[]).await;
    }
    assert_eq!(left, Vec::<String>::new());
    assert!(matches!(
        f.blobs.head(&key).await,
        Err(BlobError::NotFound(_))
    ));
}

async fn a_blob_altered_at_rest_is_detected(f: Fixture) {
    let key = new_key();
    let original = Generated::bytes(0..4096);
    let stored = f
        .blobs
        .put_bytes(&key, Bytes::from(original.clone()))
        .await
        .expect("put");
    assert_eq!(f.blobs.sha256(&key).await.expect("sha256"), stored.sha256);

    f.alter_at_rest(&key, &original).await;

    let now = f
        .blobs
        .sha256(&key)
        .await
        .expect("sha256 of the altered blob");
    assert_ne!(now, stored.sha256, "an altered blob must not hash the same");
    assert_eq!(f.blobs.head(&key).await.expect("head").size, stored.size);
}

async fn a_missing_key_is_not_found(f: Fixture) {
    let key = new_key();
    assert!(matches!(f.blobs.head(&key).await, Err(BlobError::NotFound(k)) if k == key));
    assert!(matches!(
        f.blobs.get(&key, None).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(matches!(
        f.blobs.get(&key, Some(0..10)).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(matches!(
        f.blobs.sha256(&key).await,
        Err(BlobError::NotFound(_))
    ));
    // Deleting what is not there is no error (S3 cannot tell).
    f.blobs.delete(&key).await.expect("delete a missing blob");
}

async fn keys_that_climb_out_are_refused(f: Fixture) {
    for bad in [
        "../escaped",
        "evidence/../../escaped",
        "evidence/..",
        "evidence/./x",
        "evidence//x",
        "/evidence/x",
        "evidence/x/",
        "",
        "evidence/\u{0}x",
    ] {
        let refused = f.blobs.put_bytes(bad, Bytes::from_static(b"x")).await;
        assert!(
            matches!(refused, Err(BlobError::InvalidKey { .. })),
            "{bad:?}: {refused:?}"
        );
        let refused = f.blobs.put_stream(bad, Generated::new(10), 10).await;
        assert!(
            matches!(refused, Err(BlobError::InvalidKey { .. })),
            "{bad:?}: {refused:?}"
        );
        assert!(matches!(
            f.blobs.head(bad).await,
            Err(BlobError::InvalidKey { .. })
        ));
        assert!(matches!(
            f.blobs.get(bad, None).await,
            Err(BlobError::InvalidKey { .. })
        ));
        assert!(matches!(
            f.blobs.delete(bad).await,
            Err(BlobError::InvalidKey { .. })
        ));
    }
    if let Backend::Local { dir } = &f.backend {
        // Nothing landed beside or above the blob directory.
        assert_eq!(files_under(dir.path()), Vec::<String>::new());
    }
}

async fn delete_removes_a_blob(f: Fixture) {
    let key = new_key();
    f.blobs
        .put_bytes(&key, Bytes::from_static(b"withdrawn, then purged"))
        .await
        .expect("put");
    f.blobs.delete(&key).await.expect("delete");
    assert!(matches!(
        f.blobs.head(&key).await,
        Err(BlobError::NotFound(_))
    ));
    assert_eq!(f.leftovers(&[]).await, Vec::<String>::new());
}

async fn ping_answers(f: Fixture) {
    f.blobs.ping().await.expect("ping");
    match &f.backend {
        Backend::Local { dir } => {
            std::fs::remove_dir_all(dir.path().join("blobs")).expect("remove the blob dir");
            assert!(f.blobs.ping().await.is_err(), "ping of a removed directory");
        }
        Backend::S3 { moto } => {
            let BlobConfig::S3 {
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
                ..
            } = moto.config()
            else {
                unreachable!("moto's config is S3");
            };
            let missing = BlobConfig::S3 {
                bucket: "no-such-bucket".to_owned(),
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            };
            let blobs = Blobs::open(&missing, std::path::Path::new("unused")).expect("open");
            assert!(blobs.ping().await.is_err(), "ping of a missing bucket");
        }
    }
}
