//! Evidence over the API, on SQLite and PostgreSQL with local blobs and on S3 (moto):
//! chunked uploads and their resumption, the SHA-256 kept and checked on every read
//! (an alteration at rest is refused and audited), ranges, hostile files and names,
//! who may do what, withdrawal, admission, opinions, presenting, and the ZIP.

mod common;

use common::{TestApp, get_ok, id, join, json, problem};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_every_store!(
    a_file_arrives_in_chunks_and_reads_back_the_same,
    a_cut_upload_resumes_from_the_servers_offset,
    hostile_files_and_requests_store_nothing,
    a_blob_altered_at_rest_is_refused_and_audited,
    parties_withdraw_and_cross_examine_the_court_decides,
);

const PLAINTIFF_PHONE: &str = "13800001111";
const DEFENDANT_PHONE: &str = "13900002222";
const WITNESS_PHONE: &str = "13700003333";
const CHUNK: usize = 1024 * 1024;

struct Hearing {
    record: Value,
    plaintiff: Client,
    defendant: Client,
}

async fn hearing(app: &TestApp, clerk: &Client, number: &str) -> Hearing {
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let record = common::schedule(
        app,
        clerk,
        number,
        &at,
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": PLAINTIFF_PHONE},
            {"name": "李1", "role": "defendant", "phone": DEFENDANT_PHONE},
            {"name": "王5", "role": "witness", "phone": WITNESS_PHONE},
        ]),
    )
    .await;
    let (plaintiff, _) = join(app, &record, PLAINTIFF_PHONE).await;
    let (defendant, _) = join(app, &record, DEFENDANT_PHONE).await;
    Hearing {
        record,
        plaintiff,
        defendant,
    }
}

fn evidence_url(app: &TestApp, hearing: &Value, rest: &str) -> String {
    app.url(&format!("/api/v1/hearings/{}/evidence{rest}", id(hearing)))
}

/// A PDF of about `size` bytes whose content varies (so a wrong byte changes the hash).
fn pdf_bytes(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    let mut n: u32 = 7;
    while bytes.len() < size {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((n >> 16) as u8);
    }
    bytes.truncate(size);
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn start_upload(
    app: &TestApp,
    client: &Client,
    hearing: &Value,
    file_name: &str,
    size: usize,
) -> reqwest::Response {
    client
        .post(evidence_url(app, hearing, "/uploads"))
        .json(&json!({"file_name": file_name, "size": size, "title": "借条", "purpose": "证明借款事实"}))
        .send()
        .await
        .expect("request")
}

async fn patch(
    app: &TestApp,
    client: &Client,
    upload: &str,
    offset: usize,
    bytes: Vec<u8>,
) -> reqwest::Response {
    client
        .patch(app.url(&format!("/api/v1/evidence/uploads/{upload}")))
        .header("upload-offset", offset.to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("request")
}

/// Uploads `bytes` in chunks; returns the last answer's JSON (with `evidence`).
async fn upload(
    app: &TestApp,
    client: &Client,
    hearing: &Value,
    file_name: &str,
    bytes: &[u8],
) -> Value {
    let created = json(
        start_upload(app, client, hearing, file_name, bytes.len()).await,
        StatusCode::CREATED,
    )
    .await;
    let upload_id = id(&created).to_owned();
    let mut last = created;
    for (n, chunk) in bytes.chunks(CHUNK).enumerate() {
        last = json(
            patch(app, client, &upload_id, n * CHUNK, chunk.to_vec()).await,
            StatusCode::OK,
        )
        .await;
    }
    last
}

async fn a_file_arrives_in_chunks_and_reads_back_the_same(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let h = hearing(app, &clerk, "（2026）京0107民初11号").await;
    let bytes = pdf_bytes(3 * CHUNK + 12_345);
    let done = upload(app, &h.plaintiff, &h.record, "借条.pdf", &bytes).await;
    assert_eq!(done["offset"], bytes.len());
    let item = &done["evidence"];
    assert_eq!(item["number"], 1);
    assert_eq!(
        item["sha256"],
        sha256(&bytes),
        "the stored hash is the file's"
    );
    assert_eq!(item["size"], bytes.len());
    assert_eq!(item["media_type"], "application/pdf");
    assert_eq!(item["kind"], "pdf");
    assert_eq!(item["file_name"], "借条.pdf");
    assert_eq!(item["submitted_by"]["name"], "贾1");
    assert_eq!(item["submitted_by"]["role"], "plaintiff");
    assert_eq!(item["status"], "submitted");
    assert_eq!(item["admission"], "pending");

    // Everyone of the hearing sees it; the bytes read back are the same.
    for client in [&h.defendant, &clerk] {
        let list = get_ok(client, evidence_url(app, &h.record, "")).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        assert_eq!(list[0]["sha256"], sha256(&bytes));
    }
    let content_url = app.url(item["content_url"].as_str().expect("url"));
    let response = h.defendant.get(&content_url).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["x-frame-options"], "SAMEORIGIN");
    assert_eq!(
        response.bytes().await.expect("bytes").as_ref(),
        bytes.as_slice()
    );
    // A range, for seeking; an unsatisfiable one; a download with the name.
    let ranged = h
        .defendant
        .get(&content_url)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .expect("request");
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 1000-1999/{}", bytes.len()).as_str()
    );
    assert_eq!(
        ranged.bytes().await.expect("bytes").as_ref(),
        &bytes[1000..2000]
    );
    let tail = h
        .defendant
        .get(&content_url)
        .header("range", "bytes=-10")
        .send()
        .await
        .expect("request");
    assert_eq!(
        tail.bytes().await.expect("bytes").as_ref(),
        &bytes[bytes.len() - 10..]
    );
    let beyond = h
        .defendant
        .get(&content_url)
        .header("range", format!("bytes={}-", bytes.len() + 5))
        .send()
        .await
        .expect("request");
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let download = h
        .defendant
        .get(format!("{content_url}?download=1"))
        .send()
        .await
        .expect("request");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");

    // A second item takes the next number.
    let photo = [
        &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10][..],
        b"JFIF\0",
        &[0u8; 600][..],
    ]
    .concat();
    let second = upload(app, &h.defendant, &h.record, "IMG_0001.JPG", &photo).await;
    assert_eq!(second["evidence"]["number"], 2);
    assert_eq!(second["evidence"]["kind"], "image");

    // A stranger, and a party of another hearing, read nothing.
    let other = hearing(app, &clerk, "（2026）京0107民初12号").await;
    assert_eq!(
        other
            .plaintiff
            .get(&content_url)
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        other
            .plaintiff
            .get(evidence_url(app, &h.record, ""))
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        TestApp::client()
            .get(&content_url)
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let submitted: Vec<Value> = audit_details(app, "evidence.submit").await;
    assert_eq!(submitted.len(), 2);
    assert_eq!(submitted[0]["sha256"], sha256(&bytes));
    assert_eq!(submitted[0]["number"], 1);
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

async fn a_cut_upload_resumes_from_the_servers_offset(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let h = hearing(app, &clerk, "（2026）京0107民初13号").await;
    let bytes = pdf_bytes(4 * CHUNK);
    let created = json(
        start_upload(app, &h.plaintiff, &h.record, "合同.pdf", bytes.len()).await,
        StatusCode::CREATED,
    )
    .await;
    let upload_id = id(&created).to_owned();
    json(
        patch(app, &h.plaintiff, &upload_id, 0, bytes[..CHUNK].to_vec()).await,
        StatusCode::OK,
    )
    .await;

    // The network drops in the middle of the second chunk: half of it was sent.
    let half = bytes[CHUNK..CHUNK + CHUNK / 2].to_vec();
    let cut = futures_util::stream::iter([
        Ok::<_, std::io::Error>(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "network dropped",
        )),
    ]);
    // (A request cut mid-body costs its connection; the client opens another.)
    let result = h
        .plaintiff
        .patch(app.url(&format!("/api/v1/evidence/uploads/{upload_id}")))
        .header("upload-offset", CHUNK.to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(cut))
        .send()
        .await;
    assert!(result.is_err(), "the client saw its request fail");

    // A resend from a stale offset is told where the server is.
    let status = |client: &Client| {
        let url = app.url(&format!("/api/v1/evidence/uploads/{upload_id}"));
        let client = client.clone();
        async move { get_ok(&client, url).await }
    };
    let mut offset = status(&h.plaintiff).await["offset"]
        .as_u64()
        .expect("offset") as usize;
    for _ in 0..50 {
        // The server may still be writing what arrived before the drop.
        if offset > CHUNK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        offset = status(&h.plaintiff).await["offset"]
            .as_u64()
            .expect("offset") as usize;
    }
    assert!(
        (CHUNK..=CHUNK + CHUNK / 2).contains(&offset),
        "kept what arrived: {offset}"
    );
    // (A short body: the server answers before reading it, and a large unread body
    // would race the answer on the wire.)
    let stale = problem(
        patch(app, &h.plaintiff, &upload_id, 0, bytes[..64].to_vec()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(stale["code"], "offset_mismatch");
    let told = stale["offset"]
        .as_u64()
        .expect("the answer says where to go on") as usize;
    assert!((offset..=CHUNK + CHUNK / 2).contains(&told), "told {told}");

    // Resume from the server's offset to the end: the hash is the whole file's. The
    // server may still be writing what arrived before the drop, so a 409 here is the
    // protocol at work: go on from the offset it names, as the web client does.
    let mut last = Value::Null;
    let mut at = told;
    let mut mismatches = 0;
    while at < bytes.len() {
        let end = (at + CHUNK).min(bytes.len());
        let response = patch(app, &h.plaintiff, &upload_id, at, bytes[at..end].to_vec()).await;
        if response.status() == StatusCode::CONFLICT && mismatches < 5 {
            mismatches += 1;
            let header = response.headers()["upload-offset"].to_str().expect("ascii");
            at = header.parse().expect("offset header");
            assert_eq!(
                problem(response, StatusCode::CONFLICT).await["offset"],
                at,
                "the header and the body agree"
            );
            continue;
        }
        last = json(response, StatusCode::OK).await;
        at = end;
    }
    assert_eq!(last["evidence"]["sha256"], sha256(&bytes));
    let content = app.url(last["evidence"]["content_url"].as_str().expect("url"));
    let read = h
        .plaintiff
        .get(content)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(sha256(&read), sha256(&bytes));
    // The finished upload is gone; its id answers 404.
    let gone = h
        .plaintiff
        .get(app.url(&format!("/api/v1/evidence/uploads/{upload_id}")))
        .send()
        .await
        .expect("request");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

async fn hostile_files_and_requests_store_nothing(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let h = hearing(app, &clerk, "（2026）京0107民初14号").await;

    // A Windows program renamed .pdf: refused once its bytes are seen, nothing kept.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.resize(4096, 0);
    exe[0x3c] = 0x80;
    exe[0x80..0x84].copy_from_slice(b"PE\0\0");
    let created = json(
        start_upload(app, &h.plaintiff, &h.record, "判决书.pdf", exe.len()).await,
        StatusCode::CREATED,
    )
    .await;
    let refused = problem(
        patch(app, &h.plaintiff, id(&created), 0, exe.clone()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert_eq!(refused["code"], "type_not_allowed");
    assert!(
        refused["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| m.contains("拒收"))
    );
    assert_eq!(audit_details(app, "evidence.refuse").await.len(), 1);
    // HTML and an archive, whatever their names.
    for (name, bytes) in [
        (
            "说明.txt",
            b"<!DOCTYPE html><script>document.cookie</script>".to_vec(),
        ),
        (
            "照片.jpg",
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00 zipped".to_vec(),
        ),
    ] {
        let created = json(
            start_upload(app, &h.plaintiff, &h.record, name, bytes.len()).await,
            StatusCode::CREATED,
        )
        .await;
        let answer = problem(
            patch(app, &h.plaintiff, id(&created), 0, bytes).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .await;
        assert_eq!(answer["code"], "type_not_allowed", "{name}");
    }

    // Over the limit: refused before a byte is sent.
    let too_big = problem(
        start_upload(
            app,
            &h.plaintiff,
            &h.record,
            "录像.mp4",
            3 * 1024 * 1024 * 1024,
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(too_big["code"], "file_too_large");
    assert!(
        too_big["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| m.contains("2 GiB"))
    );
    // More bytes than declared.
    let created = json(
        start_upload(app, &h.plaintiff, &h.record, "a.pdf", 100).await,
        StatusCode::CREATED,
    )
    .await;
    let long = problem(
        patch(app, &h.plaintiff, id(&created), 0, pdf_bytes(200)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(long["code"], "upload_too_long");
    // No offset, a bad one, an empty file, a missing title.
    let no_offset = h
        .plaintiff
        .patch(app.url(&format!("/api/v1/evidence/uploads/{}", id(&created))))
        .body(pdf_bytes(100))
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(no_offset, StatusCode::BAD_REQUEST).await["code"],
        "offset_required"
    );
    problem(
        start_upload(app, &h.plaintiff, &h.record, "a.pdf", 0).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let untitled = h
        .plaintiff
        .post(evidence_url(app, &h.record, "/uploads"))
        .json(&json!({"file_name": "a.pdf", "size": 10, "title": "  "}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(untitled, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "title"
    );
    // Somebody else's upload is not there for them.
    let theirs = patch(app, &h.defendant, id(&created), 0, pdf_bytes(100)).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);

    // Names that try to be paths or carry control characters are kept as harmless names.
    let done = upload(
        app,
        &h.plaintiff,
        &h.record,
        "../../etc/passwd",
        &pdf_bytes(500),
    )
    .await;
    assert_eq!(done["evidence"]["file_name"], "passwd");
    let done = upload(
        app,
        &h.plaintiff,
        &h.record,
        "证据\u{0}\u{1b}[2J\r\n.pdf",
        &pdf_bytes(500),
    )
    .await;
    assert_eq!(done["evidence"]["file_name"], "证据[2J.pdf");

    // Another hearing's party cannot upload here; a witness may not submit evidence.
    let other = hearing(app, &clerk, "（2026）京0107民初15号").await;
    assert_eq!(
        start_upload(app, &other.plaintiff, &h.record, "a.pdf", 10)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let (witness, _) = join(app, &h.record, WITNESS_PHONE).await;
    assert_eq!(
        start_upload(app, &witness, &h.record, "a.pdf", 10)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // An archived hearing takes nothing more.
    common::archive(app, &clerk, &h.record).await;
    let sealed = problem(
        start_upload(app, &clerk, &h.record, "a.pdf", 10).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(sealed["code"], "hearing_sealed");
    assert_eq!(
        start_upload(app, &h.plaintiff, &h.record, "a.pdf", 10)
            .await
            .status(),
        StatusCode::GONE
    );

    // Only the two good files were kept; nothing of the refused ones is staged.
    let list = get_ok(&clerk, evidence_url(app, &h.record, "")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let staged: Vec<_> = std::fs::read_dir(app.data_dir.path().join("uploads"))
        .expect("staging dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    // The 100-byte upload refused for its extra bytes is still open (it may resume).
    assert_eq!(staged.len(), 1, "{staged:?}");
}

async fn a_blob_altered_at_rest_is_refused_and_audited(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let h = hearing(app, &clerk, "（2026）京0107民初16号").await;
    let bytes = pdf_bytes(CHUNK + 99);
    let done = upload(app, &h.plaintiff, &h.record, "借条.pdf", &bytes).await;
    let item = &done["evidence"];
    let content = app.url(item["content_url"].as_str().expect("url"));
    assert_eq!(
        h.defendant
            .get(&content)
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::OK
    );

    // One byte changes on the disk (or in the bucket), the size stays.
    let mut altered = bytes.clone();
    altered[5000] ^= 0xFF;
    let hearing_id = id(&h.record);
    app.overwrite_blob(&format!("evidence/{hearing_id}/{}", id(item)), altered)
        .await;
    let refused = problem(
        h.defendant.get(&content).send().await.expect("request"),
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await;
    assert_eq!(refused["code"], "evidence_corrupt");
    assert!(
        refused["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| m.contains("校验值不符"))
    );
    let corrupt = audit_details(app, "evidence.corrupt").await;
    assert_eq!(corrupt.len(), 1);
    assert_eq!(corrupt[0]["expected"], sha256(&bytes));
    // The ZIP refuses too, rather than hand out altered bytes.
    let zip = clerk
        .get(evidence_url(app, &h.record, ".zip"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(zip, StatusCode::INTERNAL_SERVER_ERROR).await["code"],
        "evidence_corrupt"
    );
}

async fn give(
    app: &TestApp,
    client: &Client,
    hearing: &Value,
    item: &Value,
    stance: &str,
) -> reqwest::Response {
    client
        .post(evidence_url(app, hearing, &format!("/{}/opinions", id(item))))
        .json(&json!({"authenticity": "agree", "legality": stance, "relevance": "unclear", "text": "借条系复印件，对真实性有异议"}))
        .send()
        .await
        .expect("request")
}

async fn parties_withdraw_and_cross_examine_the_court_decides(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let judge = app.login("judge").await;
    let h = hearing(app, &clerk, "（2026）京0107民初17号").await;
    let first =
        upload(app, &h.plaintiff, &h.record, "借条.pdf", &pdf_bytes(2000)).await["evidence"]
            .clone();
    let second = upload(
        app,
        &h.plaintiff,
        &h.record,
        "转账记录.pdf",
        &pdf_bytes(3000),
    )
    .await["evidence"]
        .clone();

    // The defendant gives an opinion; a later one replaces it; the plaintiff may not on its own.
    json(
        give(app, &h.defendant, &h.record, &first, "agree").await,
        StatusCode::CREATED,
    )
    .await;
    json(
        give(app, &h.defendant, &h.record, &first, "disagree").await,
        StatusCode::CREATED,
    )
    .await;
    let own = problem(
        give(app, &h.plaintiff, &h.record, &first, "agree").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(own["code"], "own_evidence");
    assert_eq!(
        give(app, &clerk, &h.record, &first, "agree").await.status(),
        StatusCode::FORBIDDEN
    );
    let bad = h
        .defendant
        .post(evidence_url(
            app,
            &h.record,
            &format!("/{}/opinions", id(&first)),
        ))
        .json(&json!({"authenticity": "maybe", "legality": "agree", "relevance": "agree"}))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let list = get_ok(&h.plaintiff, evidence_url(app, &h.record, "")).await;
    let opinions = list[0]["opinions"].as_array().expect("opinions");
    assert_eq!(opinions.len(), 1, "the latest opinion stands");
    assert_eq!(opinions[0]["legality"], "disagree");
    assert_eq!(opinions[0]["name"], "李1");
    assert_eq!(
        audit_details(app, "evidence.opinion").await.len(),
        2,
        "both are in the record"
    );

    // Only the submitter withdraws; withdrawn is kept and marked; no opinion on it.
    let path = format!("/{}/withdrawal", id(&second));
    assert_eq!(
        h.defendant
            .post(evidence_url(app, &h.record, &path))
            .json(&json!({}))
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::FORBIDDEN
    );
    let withdrawn = json(
        h.plaintiff
            .post(evidence_url(app, &h.record, &path))
            .json(&json!({"reason": "重复提交"}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(withdrawn["withdraw_reason"], "重复提交");
    let again = h
        .plaintiff
        .post(evidence_url(app, &h.record, &path))
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(again, StatusCode::CONFLICT).await["code"],
        "already_withdrawn"
    );
    assert_eq!(
        give(app, &h.defendant, &h.record, &second, "agree")
            .await
            .status(),
        StatusCode::CONFLICT
    );
    let list = get_ok(&clerk, evidence_url(app, &h.record, "")).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(2),
        "a withdrawn item is never deleted"
    );

    // The judge admits; the clerk may not.
    let admission = format!("/{}/admission", id(&first));
    let by_clerk = clerk
        .post(evidence_url(app, &h.record, &admission))
        .json(&json!({"admitted": true}))
        .send()
        .await
        .expect("request");
    assert_eq!(by_clerk.status(), StatusCode::FORBIDDEN);
    let admitted = json(
        judge
            .post(evidence_url(app, &h.record, &admission))
            .json(&json!({"admitted": true, "reason": "与原件核对一致"}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(admitted["admission"], "admitted");

    // The clerk presents the first item at page 2; a party cannot; stopping clears it.
    let presenting = format!("/{}/presentation", id(&first));
    let party_tries = h
        .plaintiff
        .post(evidence_url(app, &h.record, &presenting))
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(party_tries.status(), StatusCode::UNAUTHORIZED);
    json(
        clerk
            .post(evidence_url(app, &h.record, &presenting))
            .json(&json!({"page": 2}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    let now = get_ok(&h.defendant, evidence_url(app, &h.record, "/presentation")).await;
    assert_eq!(now["evidence_id"], first["id"]);
    assert_eq!(now["page"], 2);
    let withdrawn_presented = clerk
        .post(evidence_url(
            app,
            &h.record,
            &format!("/{}/presentation", id(&second)),
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(withdrawn_presented.status(), StatusCode::CONFLICT);
    let stopped = clerk
        .delete(evidence_url(app, &h.record, "/presentation"))
        .send()
        .await
        .expect("request");
    assert_eq!(stopped.status(), StatusCode::NO_CONTENT);
    assert!(
        get_ok(&h.defendant, evidence_url(app, &h.record, "/presentation"))
            .await
            .is_null()
    );

    // The staff's ZIP: every file and a manifest of hashes; parties do not get it.
    assert_eq!(
        h.plaintiff
            .get(evidence_url(app, &h.record, ".zip"))
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let zip = clerk
        .get(evidence_url(app, &h.record, ".zip"))
        .send()
        .await
        .expect("request");
    assert_eq!(zip.status(), StatusCode::OK);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let archive = zip.bytes().await.expect("bytes").to_vec();
    // The seek reader is marked deprecated in favour of `read1`, which does not yet list
    // entries; it reads our archive back as any unzip would.
    #[allow(deprecated)]
    let mut reader =
        async_zip::base::read::seek::ZipFileReader::new(futures_util::io::Cursor::new(archive))
            .await
            .expect("a valid zip");
    let names: Vec<String> = reader
        .file()
        .entries()
        .iter()
        .map(|e| e.filename().as_str().expect("utf-8 name").to_owned())
        .collect();
    assert_eq!(names, ["001-借条.pdf", "002-转账记录.pdf", "manifest.csv"]);
    let mut manifest = String::new();
    {
        use futures_util::AsyncReadExt;
        let mut entry = reader.reader_with_entry(2).await.expect("manifest");
        entry
            .read_to_string(&mut manifest)
            .await
            .expect("read manifest");
    }
    assert!(manifest.contains(&sha256(&pdf_bytes(2000))), "{manifest}");
    assert!(manifest.contains(&sha256(&pdf_bytes(3000))), "{manifest}");
    assert!(manifest.contains("withdrawn"), "{manifest}");
    let mut first_file = Vec::new();
    {
        use futures_util::AsyncReadExt;
        let mut entry = reader.reader_with_entry(0).await.expect("first file");
        entry.read_to_end(&mut first_file).await.expect("read file");
    }
    assert_eq!(sha256(&first_file), sha256(&pdf_bytes(2000)));
}
