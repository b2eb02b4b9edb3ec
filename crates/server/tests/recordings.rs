//! The hearing's recording as a court record in the shared stores, on SQLite and
//! PostgreSQL with local blobs and on S3 (moto): a segment finished at 闭庭 is put in the
//! blob store, recorded in the database and audited, and its local copy removed; any
//! node lists and downloads it (ranges too), byte for byte; a file altered at rest is
//! refused and audited. A segment a crashed node left on its disk is recovered and stored
//! at its next start, after a failed upload too; and two nodes recording one hearing take
//! distinct segment numbers from the database.

mod common;

use common::{LiveSocket, TestApp, connect_live, get_ok, id, json, problem, staff_session};
use court::HearingId;
use media::recording::{Packet, Recording, TrackInfo, TrackKind};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use store::blobs::{BlobConfig, Blobs};
use store::{SegmentState, Store};

on_every_store!(
    a_finished_segment_is_kept_in_the_shared_stores,
    a_crashed_nodes_segment_is_recovered_and_stored,
    two_nodes_take_distinct_segments,
);

const PLAINTIFF_PHONE: &str = "13800001111";
/// An Opus packet of 20 ms of silence (CELT, full band).
const OPUS_SILENCE: [u8; 3] = [0xF8, 0xFF, 0xFE];

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn audit_details(app: &TestApp, action: &str) -> Vec<Value> {
    app.store
        .audit_events(0, 10_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.details)
        .collect()
}

async fn new_hearing(app: &TestApp, clerk: &Client, number: &str) -> Value {
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    common::schedule(
        app,
        clerk,
        number,
        &at,
        json!([{"name": "贾1", "role": "plaintiff", "phone": PLAINTIFF_PHONE}]),
    )
    .await
}

async fn transition(app: &TestApp, clerk: &Client, hearing: &Value, name: &str) {
    json(
        clerk
            .post(app.url(&format!("/api/v1/hearings/{}/transitions", id(hearing))))
            .json(&json!({"transition": name}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
}

/// The clerk's live channel to the hearing: on PostgreSQL (a cluster of nodes) a
/// hearing's media, and so its recording, runs on the node its live connections reach.
async fn place_here(app: &TestApp, hearing: &Value) -> LiveSocket {
    let (_, cookie) = staff_session(app, "clerk").await;
    connect_live(&app.base, &cookie, id(hearing)).await
}

fn recordings_url(app: &TestApp, hearing: &Value) -> String {
    app.url(&format!("/api/v1/hearings/{}/recordings", id(hearing)))
}

/// The hearing's segments once `done` holds for them (within 60 s).
async fn segments_when(
    client: &Client,
    url: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let list = get_ok(client, url).await;
        let segments = list.as_array().cloned().unwrap_or_default();
        if done(&segments) {
            return segments;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within 60 s: {list:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn hearing_id(hearing: &Value) -> HearingId {
    HearingId(id(hearing).parse().expect("a UUID"))
}

/// The blob store the server uses (its local directory, or the bucket).
fn server_blobs(app: &TestApp) -> Blobs {
    Blobs::open(&app.config.blobs, &app.data_dir.path().join("blobs")).expect("the blob store")
}

/// Another node's recorders on this test's database and blobs, with a disk of its own.
fn node(name: &str, disk: &Path, blobs: Blobs) -> cloudcourt::recording::Recorders {
    let sfu = media::Sfu::start(&media::SfuConfig::default()).expect("an SFU");
    cloudcourt::recording::Recorders::new(disk, sfu, blobs, name)
}

async fn a_finished_segment_is_kept_in_the_shared_stores(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = new_hearing(app, &clerk, "（2026）京0107民初41号").await;
    let url = recordings_url(app, &hearing);
    assert_eq!(get_ok(&clerk, &url).await, json!([]));
    let _live = place_here(app, &hearing).await;
    for step in ["open", "start"] {
        transition(app, &clerk, &hearing, step).await;
    }
    // While it is written: listed, on this node, without files.
    let recording = segments_when(&clerk, &url, "the segment is listed", |s| s.len() == 1).await;
    assert_eq!(recording[0]["segment"], 1);
    assert_eq!(recording[0]["state"], "recording");
    assert_eq!(recording[0]["files"], json!([]));
    assert!(recording[0]["manifest"].is_null());
    let node = recording[0]["node"].as_str().expect("a node").to_owned();
    let local = app
        .data_dir
        .path()
        .join("recordings")
        .join(id(&hearing))
        .join("1");
    // The number is taken in the database first, then the segment's files are made (in
    // a cluster the hearing's node starts when the state message reaches it).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !local.join("manifest.json").is_file() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(local.join("manifest.json").is_file(), "written on the disk");
    for step in ["recess", "resume", "close"] {
        transition(app, &clerk, &hearing, step).await;
    }
    let segments = segments_when(&clerk, &url, "the segment is stored", |s| {
        s.first().is_some_and(|s| s["state"] == "finished")
    })
    .await;
    let segment = &segments[0];
    assert_eq!(segment["node"], node);
    assert!(segment["finished_at"].is_string());
    assert_eq!(segment["manifest"]["state"], "finished");
    assert!(
        segment["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .any(|g| g["kind"] == "recess"),
        "the recess is registered: {segment:#}"
    );
    let files = segment["files"].as_array().expect("files");
    let names: Vec<&str> = files.iter().filter_map(|f| f["file"].as_str()).collect();
    assert_eq!(names, ["manifest.json", "gaps.jsonl"], "{segment:#}");
    let manifest_files = segment["manifest"]["files"].as_array().expect("hashes");
    assert_eq!(
        files.len(),
        manifest_files.len() + 1,
        "every file and the manifest"
    );
    // The local copy goes once the blobs are stored and checked (right after the
    // segment is marked finished).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while local.exists() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!local.exists(), "{} is removed", local.display());

    // Every file downloads as stored, its hash the one listed, recorded and audited.
    let blobs = server_blobs(app);
    let audited = audit_details(app, "recording.file").await;
    let restarted = app.restarted().await;
    let other = TestApp::client();
    json(
        other
            .post(restarted.url("/api/v1/session"))
            .json(&json!({"username": "clerk", "password": common::PASSWORD}))
            .send()
            .await
            .expect("login"),
        StatusCode::OK,
    )
    .await;
    for file in files {
        let name = file["file"].as_str().expect("name");
        let key = format!("recordings/{}/1/{name}", id(&hearing));
        let stored = blobs.sha256(&key).await.expect("the blob is there");
        assert_eq!(file["sha256"], stored, "{name}");
        if let Some(record) = manifest_files.iter().find(|f| f["file"] == name) {
            assert_eq!(record["sha256"], stored, "{name}: the manifest's hash");
        }
        assert!(
            audited
                .iter()
                .any(|a| a["file"] == name && a["sha256"] == stored && a["blob_key"] == key),
            "{name} is audited with its hash: {audited:#?}"
        );
        let link = file["url"].as_str().expect("url");
        // This node and another one serve the same bytes.
        for (client, base) in [
            (&clerk, app.base.as_str()),
            (&other, restarted.base.as_str()),
        ] {
            let response = client
                .get(format!("{base}{link}"))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            let bytes = response.bytes().await.expect("body");
            assert_eq!(sha256(&bytes), stored, "{name} downloads byte for byte");
            assert_eq!(file["bytes"], bytes.len(), "{name}");
        }
    }
    let downloads = audit_details(app, "recording.download").await;
    assert_eq!(
        downloads.len(),
        2 * files.len(),
        "every download is audited"
    );

    // A range of the manifest.
    let manifest_url = app.url(files[0]["url"].as_str().expect("url"));
    let whole = clerk
        .get(&manifest_url)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let part = clerk
        .get(&manifest_url)
        .header("range", "bytes=2-9")
        .send()
        .await
        .expect("request");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 2-9/{}", whole.len()).as_str()
    );
    assert_eq!(part.bytes().await.expect("body"), whole.slice(2..10));
    let beyond = clerk
        .get(&manifest_url)
        .header("range", format!("bytes={}-", whole.len() + 5))
        .send()
        .await
        .expect("request");
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // Only listed names: nothing else of the bucket or the disk.
    for name in ["..%2F..%2Fcloudcourt.db", "nope.ogg"] {
        let response = clerk
            .get(format!("{url}/1/{name}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name}");
    }
    let response = clerk
        .get(format!("{url}/2/manifest.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // One byte of the gap register changes in the bucket: refused on every node, audited.
    let gaps_key = format!("recordings/{}/1/gaps.jsonl", id(&hearing));
    let mut altered = Vec::new();
    let mut stream = blobs.get(&gaps_key, None).await.expect("the gaps blob");
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        altered.extend_from_slice(&chunk.expect("a chunk"));
    }
    altered[0] ^= 0x20;
    app.overwrite_blob(&gaps_key, altered).await;
    let gaps_link = files[1]["url"].as_str().expect("url");
    for (client, base) in [
        (&clerk, app.base.as_str()),
        (&other, restarted.base.as_str()),
    ] {
        let refused = problem(
            client
                .get(format!("{base}{gaps_link}"))
                .send()
                .await
                .expect("request"),
            StatusCode::INTERNAL_SERVER_ERROR,
        )
        .await;
        assert_eq!(refused["code"], "recording_corrupt");
    }
    let corrupt = audit_details(app, "recording.corrupt").await;
    assert_eq!(corrupt.len(), 2, "{corrupt:#?}");
    assert_eq!(corrupt[0]["expected"], files[1]["sha256"]);
    assert_eq!(corrupt[0]["file"], "gaps.jsonl");
    // A party sees no recording.
    let party = TestApp::client();
    let response = party.get(&url).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    restarted.stop().await;
}

/// What a node that stopped mid-hearing leaves on its disk: segment `segment` of
/// `hearing` with a second of a participant's audio, never finished.
fn crashed_segment(disk: &Path, hearing: HearingId, segment: i32, participant: &str) {
    let dir = disk
        .join("recordings")
        .join(hearing.to_string())
        .join(segment.to_string());
    let start = SystemTime::now() - Duration::from_secs(5);
    let mut recording = Recording::create(&dir, &hearing.to_string(), start).expect("create");
    let track = recording
        .open_track(
            TrackInfo::new(participant, "plaintiff", "贾1", TrackKind::Audio),
            start,
        )
        .expect("a track");
    for n in 0..50u32 {
        let packet = Packet {
            rtp_time: 10_000 + u64::from(n) * 960,
            wall: start + Duration::from_millis(u64::from(n) * 20),
            data: &OPUS_SILENCE,
            contiguous: true,
            sender_report: None,
        };
        recording.write(track, packet).expect("write");
    }
    // The process dies: nothing is finished.
    drop(recording);
}

async fn a_crashed_nodes_segment_is_recovered_and_stored(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = new_hearing(app, &clerk, "（2026）京0107民初42号").await;
    let url = recordings_url(app, &hearing);
    let _live = place_here(app, &hearing).await;
    for step in ["open", "start"] {
        transition(app, &clerk, &hearing, step).await;
    }
    segments_when(&clerk, &url, "this node records", |s| s.len() == 1).await;
    let h = hearing_id(&hearing);
    let participant = hearing["participants"][0]["id"]
        .as_str()
        .expect("a participant")
        .to_owned();

    // Node B recorded segment 2 and died.
    let disk = tempfile::tempdir().expect("node B's disk");
    let taken = app
        .store
        .begin_segment(h, "node-b", chrono::Utc::now())
        .await
        .expect("a segment number");
    assert_eq!(taken.segment, 2);
    crashed_segment(disk.path(), h, taken.segment, &participant);
    let local = disk.path().join("recordings").join(h.to_string()).join("2");

    // It restarts while the blob store fails: the files stay, the failure is recorded.
    let broken_dir = disk.path().join("broken-blobs");
    let broken = Blobs::open(
        &BlobConfig::Local {
            dir: Some(broken_dir.clone()),
        },
        &broken_dir,
    )
    .expect("a blob store");
    std::fs::remove_dir_all(&broken_dir).expect("remove it");
    std::fs::write(&broken_dir, b"not a directory").expect("a file in its place");
    let b = node("node-b", disk.path(), broken);
    b.recover_unfinished(&app.store).await;
    let row = app
        .store
        .recording_segment(h, 2)
        .await
        .expect("read")
        .expect("segment 2");
    assert_eq!(row.state, SegmentState::Failed, "{row:?}");
    assert!(row.error.is_some());
    assert!(local.join("manifest.json").is_file(), "the files stay");
    let failed = audit_details(app, "recording.upload_failed").await;
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["node"], "node-b");
    assert!(
        failed[0]["files"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["file"] == "manifest.json"))
    );
    let listed = get_ok(&clerk, &url).await;
    assert_eq!(listed[1]["state"], "failed");
    assert_eq!(listed[1]["files"], json!([]));

    // Its next start with the blob store back: recovered, stored, removed from its disk.
    let b = node("node-b", disk.path(), server_blobs(app));
    b.recover_unfinished(&app.store).await;
    assert!(!local.exists(), "the stored segment leaves node B's disk");
    let segments = get_ok(&clerk, &url).await;
    let recovered = &segments[1];
    assert_eq!(recovered["state"], "recovered", "{recovered:#}");
    assert_eq!(recovered["node"], "node-b");
    assert!(recovered["error"].is_null());
    assert_eq!(recovered["manifest"]["state"], "interrupted");
    assert!(
        recovered["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .any(|g| g["kind"] == "interruption"),
        "{recovered:#}"
    );
    let track = format!("{participant}-audio-1.ogg");
    let files = recovered["files"].as_array().expect("files");
    let file = files
        .iter()
        .find(|f| f["file"] == track.as_str())
        .unwrap_or_else(|| panic!("{track} is stored: {recovered:#}"));
    let expected = recovered["manifest"]["files"]
        .as_array()
        .expect("hashes")
        .iter()
        .find(|f| f["file"] == track.as_str())
        .expect("the manifest hashes the track")["sha256"]
        .clone();
    assert_eq!(file["sha256"], expected);
    let bytes = clerk
        .get(app.url(file["url"].as_str().expect("url")))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert!(bytes.starts_with(b"OggS"), "an Ogg file");
    assert_eq!(json!(sha256(&bytes)), expected);
    assert_eq!(audit_details(app, "recording.recovered").await.len(), 1);
    let audited = audit_details(app, "recording.file").await;
    assert!(
        audited
            .iter()
            .any(|a| a["file"] == track.as_str() && a["sha256"] == expected && a["segment"] == 2)
    );
    // Again: nothing left to do, nothing audited twice.
    b.recover_unfinished(&app.store).await;
    assert_eq!(audit_details(app, "recording.recovered").await.len(), 1);

    transition(app, &clerk, &hearing, "close").await;
    segments_when(&clerk, &url, "segment 1 is stored", |s| {
        s.first().is_some_and(|s| s["state"] == "finished")
    })
    .await;
}

async fn two_nodes_take_distinct_segments(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = new_hearing(app, &clerk, "（2026）京0107民初43号").await;
    let url = recordings_url(app, &hearing);
    let _live = place_here(app, &hearing).await;
    for step in ["open", "start"] {
        transition(app, &clerk, &hearing, step).await;
    }
    segments_when(&clerk, &url, "this node records", |s| s.len() == 1).await;
    let h = hearing_id(&hearing);
    let store: Arc<dyn Store> = app.store.clone();
    let in_session = store.hearing(h).await.expect("the hearing");

    // Two more nodes record it at once (as after a take-over gone wrong): each its own.
    let (disk_b, disk_c) = (
        tempfile::tempdir().expect("disk"),
        tempfile::tempdir().expect("disk"),
    );
    let b = node("node-b", disk_b.path(), server_blobs(app));
    let c = node("node-c", disk_c.path(), server_blobs(app));
    tokio::join!(b.follow(&store, &in_session), c.follow(&store, &in_session));
    let (sb, sc) = (
        b.recording_segment(h).expect("node B records"),
        c.recording_segment(h).expect("node C records"),
    );
    let mut numbers = vec![1, sb, sc];
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3], "distinct numbers");
    let segments = get_ok(&clerk, &url).await;
    let nodes: Vec<(u64, String, String)> = segments
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| {
            (
                s["segment"].as_u64().unwrap_or_default(),
                s["node"].as_str().unwrap_or_default().to_owned(),
                s["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|(_, _, state)| state == "recording"));
    assert!(nodes.contains(&(u64::from(sb), "node-b".to_owned(), "recording".to_owned())));
    assert!(nodes.contains(&(u64::from(sc), "node-c".to_owned(), "recording".to_owned())));
    for (disk, n) in [(disk_b.path(), sb), (disk_c.path(), sc)] {
        let dir = disk
            .join("recordings")
            .join(h.to_string())
            .join(n.to_string());
        assert!(
            dir.join("manifest.json").is_file(),
            "written on its own disk"
        );
    }

    // Many at once on the store itself: never the same number twice.
    let other = new_hearing(app, &clerk, "（2026）京0107民初44号").await;
    let other = hearing_id(&other);
    let takers = (0..12).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .begin_segment(other, &format!("node-{n}"), chrono::Utc::now())
                .await
                .expect("a number")
                .segment
        })
    });
    let mut taken = Vec::new();
    for taker in takers {
        taken.push(taker.await.expect("task"));
    }
    taken.sort_unstable();
    assert_eq!(taken, (1..=12).collect::<Vec<i32>>());

    // Closing: each node finishes and stores its own segment.
    transition(app, &clerk, &hearing, "close").await;
    let closed = store.hearing(h).await.expect("the hearing");
    b.follow(&store, &closed).await;
    c.follow(&store, &closed).await;
    let segments = segments_when(&clerk, &url, "every segment is stored", |s| {
        s.len() == 3 && s.iter().all(|s| s["state"] == "finished")
    })
    .await;
    for segment in &segments {
        assert!(
            segment["files"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["file"] == "manifest.json")),
            "{segment:#}"
        );
    }
    for (disk, n) in [(disk_b.path(), sb), (disk_c.path(), sc)] {
        let dir = disk
            .join("recordings")
            .join(h.to_string())
            .join(n.to_string());
        assert!(!dir.exists(), "stored, so removed from its node's disk");
    }
}
