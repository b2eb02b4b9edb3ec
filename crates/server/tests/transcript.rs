//! The transcript API on SQLite and PostgreSQL: the clerk's versions (resent saves,
//! unchanged saves, conflicts), what parties and other courts may reach, the
//! confirmation with signatures bound to a version's hash, correction requests, the
//! sealed record after archiving, and bad input of every kind.

mod common;

use base64::Engine;
use common::{TestApp, get_ok, id, join, json, problem};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    the_clerk_keeps_versions_and_parties_read_them,
    bad_saves_are_refused_and_keep_nothing,
    signatures_belong_to_one_version,
    bad_signatures_are_refused_and_keep_nothing,
    corrections_are_answered_once,
    an_archived_transcript_is_sealed,
    the_pdf_is_the_record_signed_by_the_court,
);

const PLAINTIFF_PHONE: &str = "13800001111";
const DEFENDANT_PHONE: &str = "13900002222";

/// A hearing with a plaintiff and a defendant, and the plaintiff's joined client.
async fn hearing_with_parties(app: &TestApp, clerk: &Client, number: &str) -> (Value, Client) {
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let hearing = common::schedule(
        app,
        clerk,
        number,
        &at,
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": PLAINTIFF_PHONE},
            {"name": "李1", "role": "defendant", "phone": DEFENDANT_PHONE},
        ]),
    )
    .await;
    let (party, _) = join(app, &hearing, PLAINTIFF_PHONE).await;
    (hearing, party)
}

fn transcript_url(app: &TestApp, hearing: &Value, rest: &str) -> String {
    app.url(&format!(
        "/api/v1/hearings/{}/transcript{rest}",
        id(hearing)
    ))
}

fn entries(lines: &[(&str, &str, &str)]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|(role, name, text)| json!({"role": role, "name": name, "text": text}))
            .collect(),
    )
}

async fn save(
    app: &TestApp,
    client: &Client,
    hearing: &Value,
    base: i64,
    save_id: &str,
    lines: Value,
) -> reqwest::Response {
    client
        .put(transcript_url(app, hearing, ""))
        .json(&json!({"base_version": base, "save_id": save_id, "entries": lines}))
        .send()
        .await
        .expect("request")
}

/// The clerk opens the transcript for confirmation; returns the confirmation.
async fn open_confirmation(app: &TestApp, clerk: &Client, hearing: &Value) -> Value {
    json(
        clerk
            .post(transcript_url(app, hearing, "/confirmation"))
            .json(&json!({}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

const OPENING: [(&str, &str, &str); 3] = [
    ("presiding_judge", "许1", "现在开庭。"),
    ("plaintiff", "贾1", "我方坚持诉讼请求。"),
    ("defendant", "李1", "不同意原告的诉讼请求。"),
];

async fn the_clerk_keeps_versions_and_parties_read_them(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, party) = hearing_with_parties(app, &clerk, "（2026）京0107民初1号").await;

    // Before the first save: the empty draft, header filled from the hearing.
    let draft = get_ok(&party, transcript_url(app, &hearing, "")).await;
    assert_eq!(draft["version"], 0);
    assert_eq!(draft["sha256"], Value::Null);
    assert_eq!(draft["header"]["title"], "庭审笔录");
    assert_eq!(draft["header"]["place"], "互联网庭审");
    assert_eq!(draft["header"]["case_number"], "（2026）京0107民初1号");
    assert_eq!(draft["header"]["cause"], "民间借贷纠纷");
    assert_eq!(draft["header"]["judges"], json!([app.judge.display_name]));
    assert_eq!(draft["header"]["clerk"], app.clerk.display_name.to_string());
    assert!(
        draft["opening_note"]
            .as_str()
            .is_some_and(|n| n.starts_with("(开庭审理前，书记员应当查明"))
    );

    let first_id = new_id();
    let first = json(
        save(app, &clerk, &hearing, 0, &first_id, entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["created"], true);
    let sha1 = first["sha256"].as_str().expect("hash").to_owned();
    assert_eq!(sha1.len(), 64);

    // A resent save (same id) and an unchanged save make no new version.
    let resent = json(
        save(app, &clerk, &hearing, 0, &first_id, entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (resent["version"].clone(), resent["created"].clone()),
        (json!(1), json!(false))
    );
    let unchanged = json(
        save(app, &clerk, &hearing, 1, &new_id(), entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (unchanged["version"].clone(), unchanged["created"].clone()),
        (json!(1), json!(false))
    );

    let mut more = OPENING.to_vec();
    more.push((
        "plaintiff",
        "贾1",
        "被告于2025年3月借款50000元，\n至今未还。",
    ));
    let second = json(
        save(app, &clerk, &hearing, 1, &new_id(), entries(&more)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["version"], 2);

    // A save made from version 1 after version 2 exists is a conflict, not an overwrite.
    let stale = problem(
        save(app, &clerk, &hearing, 1, &new_id(), entries(&OPENING[..1])).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(stale["code"], "transcript_conflict");

    // The party reads the latest, and any version; the text is kept as typed.
    let latest = get_ok(&party, transcript_url(app, &hearing, "")).await;
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["latest_version"], 2);
    assert_eq!(latest["entries"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        latest["entries"][3]["text"],
        "被告于2025年3月借款50000元，\n至今未还。"
    );
    assert_eq!(latest["saved_by"], app.clerk.display_name.to_string());
    let old = get_ok(&party, transcript_url(app, &hearing, "?version=1")).await;
    assert_eq!(old["sha256"], sha1.as_str());
    assert_eq!(old["entries"].as_array().map(Vec::len), Some(3));
    let missing = problem(
        party
            .get(transcript_url(app, &hearing, "?version=9"))
            .send()
            .await
            .expect("request"),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(missing["code"], "version_not_found");

    // The history is the staff's; only the clerk edits.
    let history = get_ok(&clerk, transcript_url(app, &hearing, "/versions")).await;
    let numbers: Vec<i64> = history
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(numbers, [2, 1]);
    assert_eq!(history[1]["sha256"], sha1.as_str());
    let judge = app.login("judge").await;
    // A party has no staff session (401); the judge has one but may not edit (403).
    for (who, expected, response) in [
        (
            "party history",
            StatusCode::UNAUTHORIZED,
            party
                .get(transcript_url(app, &hearing, "/versions"))
                .send()
                .await,
        ),
        (
            "party save",
            StatusCode::UNAUTHORIZED,
            party
                .put(transcript_url(app, &hearing, ""))
                .json(&json!({"base_version": 2, "save_id": new_id(), "entries": []}))
                .send()
                .await,
        ),
        (
            "judge save",
            StatusCode::FORBIDDEN,
            judge
                .put(transcript_url(app, &hearing, ""))
                .json(&json!({"base_version": 2, "save_id": new_id(), "entries": []}))
                .send()
                .await,
        ),
    ] {
        let response = response.expect("request");
        assert_eq!(response.status(), expected, "{who}");
    }

    // Another court's clerk, and a party of another hearing, reach nothing.
    let other = app.login("other-clerk").await;
    let (_, stranger) = hearing_with_parties(app, &clerk, "（2026）京0107民初2号").await;
    for client in [&other, &stranger] {
        let response = client
            .get(transcript_url(app, &hearing, ""))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let response = save(app, &other, &hearing, 2, &new_id(), entries(&OPENING)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get_ok(&clerk, transcript_url(app, &hearing, "")).await["version"],
        2,
        "nothing was saved by the refused requests"
    );
}

async fn bad_saves_are_refused_and_keep_nothing(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, _party) = hearing_with_parties(app, &clerk, "（2026）京0107民初3号").await;
    json(
        save(app, &clerk, &hearing, 0, &new_id(), entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    // Oversized bodies go on a connection of their own (the server closes it).
    let second_clerk = app.login("clerk").await;
    let rows = app.audit_rows().await;

    let empty = problem(
        save(
            app,
            &clerk,
            &hearing,
            1,
            &new_id(),
            entries(&[("plaintiff", "贾1", "  \n ")]),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(empty["field"], "entries");
    assert!(
        empty["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| m.contains("第1条"))
    );
    let control = problem(
        save(
            app,
            &clerk,
            &hearing,
            1,
            &new_id(),
            entries(&[("plaintiff", "贾1", "a\u{1b}[31m")]),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(control["code"], "validation_failed");
    let bad_role = problem(
        save(
            app,
            &clerk,
            &hearing,
            1,
            &new_id(),
            entries(&[("emperor", "某", "朕")]),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad_role["code"], "invalid_body");
    let malformed = clerk
        .put(transcript_url(app, &hearing, ""))
        .header("content-type", "application/json")
        .body("{\"base_version\": 1, \"entries\": [")
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(malformed, StatusCode::BAD_REQUEST).await["code"],
        "malformed_json"
    );
    let too_many: Vec<(&str, &str, &str)> = (0..5_001).map(|_| ("clerk", "梁1", "记录")).collect();
    let response = save(app, &clerk, &hearing, 1, &new_id(), entries(&too_many)).await;
    assert_eq!(
        problem(response, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "entries"
    );
    // Over the 8 MiB limit: refused before it is read (on its own connection).
    let huge = "字".repeat(3 * 1024 * 1024);
    let response = save(
        app,
        &second_clerk,
        &hearing,
        1,
        &new_id(),
        entries(&[("plaintiff", "贾1", &huge)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(app.audit_rows().await, rows, "no refused save left a trace");
    assert_eq!(
        get_ok(&clerk, transcript_url(app, &hearing, "")).await["version"],
        1
    );
}

/// A PNG of `width` × `height` with a dark diagonal line, as a canvas would export.
fn png_data_url(width: u32, height: u32) -> String {
    let mut pixels = vec![255u8; (width * height * 4) as usize];
    for x in 0..width {
        let y = x * height / width;
        let at = ((y.min(height - 1) * width + x) * 4) as usize;
        pixels[at..at + 3].copy_from_slice(&[0, 0, 0]);
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_image_data(&pixels).expect("png data");
    }
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Two strokes across most of an 800 × 400 canvas.
fn strokes() -> Value {
    let stroke = |from: (f64, f64), to: (f64, f64)| -> Value {
        Value::Array(
            (0..25)
                .map(|i| {
                    let f = f64::from(i) / 24.0;
                    json!({"x": from.0 + (to.0 - from.0) * f, "y": from.1 + (to.1 - from.1) * f, "t": f64::from(i) * 16.0, "p": 0.5})
                })
                .collect(),
        )
    };
    json!([
        stroke((100.0, 120.0), (600.0, 260.0)),
        stroke((150.0, 300.0), (650.0, 100.0))
    ])
}

fn signature(version: &Value, sha256: &Value) -> Value {
    json!({
        "version": version, "sha256": sha256, "width": 800, "height": 400,
        "strokes": strokes(), "image": png_data_url(400, 200),
    })
}

async fn sign(app: &TestApp, client: &Client, hearing: &Value, body: &Value) -> reqwest::Response {
    client
        .post(transcript_url(app, hearing, "/signatures"))
        .json(body)
        .send()
        .await
        .expect("request")
}

fn task<'a>(confirmation: &'a Value, name: &str) -> &'a Value {
    confirmation["tasks"]
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["name"] == name))
        .expect("a task for the participant")
}

async fn signatures_belong_to_one_version(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, party) = hearing_with_parties(app, &clerk, "（2026）京0107民初4号").await;
    let v1 = json(
        save(app, &clerk, &hearing, 0, &new_id(), entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;

    // Nothing to sign before the court opens the confirmation.
    let closed = problem(
        sign(
            app,
            &party,
            &hearing,
            &signature(&v1["version"], &v1["sha256"]),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(closed["code"], "confirmation_closed");
    let before = get_ok(&party, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(before["open"], false);

    let opened = open_confirmation(app, &clerk, &hearing).await;
    assert_eq!(opened["open"], true);
    assert_eq!(opened["version"], 1);
    assert_eq!(task(&opened, "贾1")["status"], "pending");
    assert_eq!(task(&opened, "李1")["status"], "pending");
    // Opening again changes nothing and writes nothing.
    let rows = app.audit_rows().await;
    let again = open_confirmation(app, &clerk, &hearing).await;
    assert_eq!(again["opened_at"], opened["opened_at"]);
    assert_eq!(app.audit_rows().await, rows);

    let body = signature(&v1["version"], &v1["sha256"]);
    let signed = json(
        sign(app, &party, &hearing, &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(signed["version"], 1);
    assert_eq!(signed["sha256"], v1["sha256"]);
    let confirmation = get_ok(&clerk, transcript_url(app, &hearing, "/confirmation")).await;
    let mine = task(&confirmation, "贾1");
    assert_eq!(mine["status"], "signed");
    assert_eq!(mine["signature"]["sha256"], v1["sha256"]);
    assert_eq!(task(&confirmation, "李1")["status"], "pending");

    // The image is kept byte for byte, and readable by the court.
    let image_url = app.url(signed["image_url"].as_str().expect("url"));
    let image = clerk.get(&image_url).send().await.expect("request");
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/png");
    let sent = body["image"]
        .as_str()
        .expect("image")
        .trim_start_matches("data:image/png;base64,");
    assert_eq!(
        image.bytes().await.expect("bytes").as_ref(),
        base64::engine::general_purpose::STANDARD
            .decode(sent)
            .expect("base64")
    );
    let stranger = TestApp::client();
    assert_eq!(
        stranger
            .get(&image_url)
            .send()
            .await
            .expect("request")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The other party sees that the plaintiff signed, not the handwriting; the signer does.
    let (defendant, _) = join(app, &hearing, DEFENDANT_PHONE).await;
    let status = |client: Client| {
        let url = image_url.clone();
        async move { client.get(url).send().await.expect("request").status() }
    };
    assert_eq!(status(defendant.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(status(party.clone()).await, StatusCode::OK);
    let seen = get_ok(&defendant, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(task(&seen, "贾1")["status"], "signed");
    assert_eq!(task(&seen, "贾1")["signature"], Value::Null);

    // The transcript changes after the signature: it is outdated, and must be given again.
    let mut more = OPENING.to_vec();
    more.push(("clerk", "梁1", "休庭。"));
    let v2 = json(
        save(app, &clerk, &hearing, 1, &new_id(), entries(&more)).await,
        StatusCode::OK,
    )
    .await;
    let confirmation = get_ok(&party, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(confirmation["version"], 2);
    assert_eq!(task(&confirmation, "贾1")["status"], "outdated");
    assert_eq!(task(&confirmation, "贾1")["signature"]["version"], 1);
    let outdated = problem(
        sign(app, &party, &hearing, &body).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(outdated["code"], "transcript_outdated");
    json(
        sign(
            app,
            &party,
            &hearing,
            &signature(&v2["version"], &v2["sha256"]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let confirmation = get_ok(&clerk, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(task(&confirmation, "贾1")["status"], "signed");
    assert_eq!(
        task(&confirmation, "贾1")["signature"]["sha256"],
        v2["sha256"]
    );

    // Every step is in the audit log.
    let actions: Vec<String> = app
        .store
        .audit_events(0, 1_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action.starts_with("transcript."))
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "transcript.save",
            "transcript.confirmation_open",
            "transcript.sign",
            "transcript.save",
            "transcript.sign"
        ]
    );
}

async fn bad_signatures_are_refused_and_keep_nothing(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, party) = hearing_with_parties(app, &clerk, "（2026）京0107民初5号").await;
    let v1 = json(
        save(app, &clerk, &hearing, 0, &new_id(), entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    open_confirmation(app, &clerk, &hearing).await;
    let good = signature(&v1["version"], &v1["sha256"]);
    let rows = app.audit_rows().await;
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };

    let cases = [
        (
            "empty",
            with("strokes", json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "signature_empty",
        ),
        (
            "a dot",
            with("strokes", json!([[{"x": 10, "y": 10, "t": 0, "p": 0.5}]])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "signature_trivial",
        ),
        (
            "outside the canvas",
            with(
                "strokes",
                json!([[{"x": 10, "y": 10, "t": 0, "p": 0.5}, {"x": 9000, "y": 10, "t": 5, "p": 0.5}]]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "no such version",
            with("version", json!(99)),
            StatusCode::NOT_FOUND,
            "version_not_found",
        ),
        (
            "a wrong hash",
            with("sha256", json!("0".repeat(64))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "not a PNG",
            with(
                "image",
                json!(format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(b"MZ\x90\x00 not a png")
                )),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "a JPEG data URL",
            with("image", json!("data:image/jpeg;base64,/9j/4AAQ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "absurdly many points",
            with(
                "strokes",
                Value::Array(vec![Value::Array(
                    (0..20_001)
                        .map(|i| json!({"x": f64::from(i % 700), "y": 100, "t": 1, "p": 0.5}))
                        .collect(),
                )]),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "signature_too_large",
        ),
    ];
    for (what, body, status, code) in cases {
        let answer = problem(sign(app, &party, &hearing, &body).await, status).await;
        assert_eq!(answer["code"], code, "{what}");
        assert!(
            answer["message"]["zh-CN"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }

    // Over the body limit: refused before it is read (on its own connection).
    let huge = with(
        "image",
        json!(format!(
            "data:image/png;base64,{}",
            "A".repeat(3 * 1024 * 1024)
        )),
    );
    let (own, _) = join(app, &hearing, DEFENDANT_PHONE).await;
    assert_eq!(
        sign(app, &own, &hearing, &huge).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    // The court's staff and another hearing's party cannot sign here.
    let staff = problem(
        sign(app, &clerk, &hearing, &good).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(staff["code"], "forbidden");
    let (_, stranger) = hearing_with_parties(app, &clerk, "（2026）京0107民初6号").await;
    let rows_before_stranger = app.audit_rows().await;
    problem(
        sign(app, &stranger, &hearing, &good).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(app.audit_rows().await, rows_before_stranger);
    assert_eq!(
        sign(app, &TestApp::client(), &hearing, &good)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let confirmation = get_ok(&clerk, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(
        task(&confirmation, "贾1")["status"],
        "pending",
        "nothing was kept"
    );
    // Scheduling the second hearing and joining wrote their own rows; no signature did.
    let signed = app
        .store
        .audit_events(rows, 1_000)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == "transcript.sign")
        .count();
    assert_eq!(signed, 0);
}

async fn corrections_are_answered_once(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, party) = hearing_with_parties(app, &clerk, "（2026）京0107民初7号").await;
    let v1 = json(
        save(app, &clerk, &hearing, 0, &new_id(), entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    let ask = |text: &str| json!({"version": v1["version"], "text": text});
    let request = |body: Value| {
        let party = party.clone();
        let url = transcript_url(app, &hearing, "/corrections");
        async move { party.post(url).json(&body).send().await.expect("request") }
    };
    let closed = problem(
        request(ask("第3条应为“同意部分请求”")).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(closed["code"], "confirmation_closed");
    open_confirmation(app, &clerk, &hearing).await;
    problem(request(ask("   ")).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let first = json(
        request(ask("第3条应为“同意部分请求”")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["status"], "pending");
    assert_eq!(first["name"], "贾1");
    let confirmation = get_ok(&clerk, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(task(&confirmation, "贾1")["status"], "correction_requested");
    assert_eq!(
        task(&confirmation, "贾1")["correction"]["text"],
        "第3条应为“同意部分请求”"
    );

    let resolve = |cid: &str, body: Value| {
        let clerk = clerk.clone();
        let url = transcript_url(app, &hearing, &format!("/corrections/{cid}/resolution"));
        async move { clerk.post(url).json(&body).send().await.expect("request") }
    };
    let no_reason = problem(
        resolve(id(&first), json!({"accepted": false})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(no_reason["field"], "reason");
    let refused = json(
        resolve(
            id(&first),
            json!({"accepted": false, "reason": "与庭审录音一致，不予补正"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["reason"], "与庭审录音一致，不予补正");
    let twice = problem(
        resolve(id(&first), json!({"accepted": true})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(twice["code"], "correction_resolved");
    // A party cannot answer requests.
    let response = party
        .post(transcript_url(
            app,
            &hearing,
            &format!("/corrections/{}/resolution", id(&first)),
        ))
        .json(&json!({"accepted": true}))
        .send()
        .await
        .expect("request");
    // No staff session: the court's own functions answer a party as a stranger.
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Accepted: the clerk saves the corrected text, then answers; the answer names it.
    let second = json(
        request(ask("我方的借款金额应为五万元")).await,
        StatusCode::CREATED,
    )
    .await;
    let mut corrected = OPENING.to_vec();
    corrected.push(("plaintiff", "贾1", "借款金额为五万元。"));
    json(
        save(app, &clerk, &hearing, 1, &new_id(), entries(&corrected)).await,
        StatusCode::OK,
    )
    .await;
    let accepted = json(
        resolve(id(&second), json!({"accepted": true})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["resolved_version"], 2);
    let missing = resolve(&uuid::Uuid::new_v4().to_string(), json!({"accepted": true})).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let listed = get_ok(&party, transcript_url(app, &hearing, "/corrections")).await;
    let statuses: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(statuses, ["refused", "accepted"]);
    // Another party sees none of the plaintiff's requests; the court sees them all.
    let (defendant, _) = join(app, &hearing, DEFENDANT_PHONE).await;
    assert_eq!(
        get_ok(&defendant, transcript_url(app, &hearing, "/corrections")).await,
        json!([])
    );
    let all = get_ok(&clerk, transcript_url(app, &hearing, "/corrections")).await;
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let confirmation = get_ok(&clerk, transcript_url(app, &hearing, "/confirmation")).await;
    assert_eq!(
        task(&confirmation, "贾1")["status"],
        "pending",
        "answered: sign the corrected version"
    );
}

async fn an_archived_transcript_is_sealed(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, _party) = hearing_with_parties(app, &clerk, "（2026）京0107民初8号").await;
    json(
        save(app, &clerk, &hearing, 0, &new_id(), entries(&OPENING)).await,
        StatusCode::OK,
    )
    .await;
    common::archive(app, &clerk, &hearing).await;
    let sealed = problem(
        save(app, &clerk, &hearing, 1, &new_id(), entries(&OPENING[..1])).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(sealed["code"], "transcript_sealed");
    let sealed = problem(
        clerk
            .post(transcript_url(app, &hearing, "/confirmation"))
            .json(&json!({}))
            .send()
            .await
            .expect("request"),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(sealed["code"], "transcript_sealed");
    // The record stays readable to the court.
    assert_eq!(
        get_ok(&clerk, transcript_url(app, &hearing, "")).await["version"],
        1
    );
}

/// Runs a poppler tool on `pdf` and returns what it printed (the test fails, not skips,
/// when the tool is missing: `scripts/test` installs poppler-utils).
fn poppler(tool: &str, args: &[&str], pdf: &std::path::Path) -> String {
    let output = std::process::Command::new(tool)
        .args(args)
        .arg(pdf)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|err| panic!("{tool} (poppler-utils) must be installed: {err}"));
    assert!(
        output.status.success() || tool == "pdfsig",
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn the_pdf_is_the_record_signed_by_the_court(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let (hearing, party) = hearing_with_parties(app, &clerk, "（2026）京0107民初9号").await;
    let long = "被告于二〇二五年三月向原告借款人民币五万元整，约定同年十二月前归还，\
                但至今分文未还，原告多次催要未果，故诉至法院，请求判令被告归还借款并支付利息。"
        .repeat(3);
    let mut lines = OPENING.to_vec();
    lines.push(("plaintiff", "贾1", &long));
    lines.push((
        "defendant",
        "李1",
        "借款属实，但已还款20000元（有微信转账记录）。\n请求法院查明。",
    ));
    let v1 = json(
        save(app, &clerk, &hearing, 0, &new_id(), entries(&lines)).await,
        StatusCode::OK,
    )
    .await;
    open_confirmation(app, &clerk, &hearing).await;
    json(
        sign(
            app,
            &party,
            &hearing,
            &signature(&v1["version"], &v1["sha256"]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (defendant, _) = join(app, &hearing, DEFENDANT_PHONE).await;
    json(
        sign(
            app,
            &defendant,
            &hearing,
            &signature(&v1["version"], &v1["sha256"]),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // The party downloads the PDF of the version they signed.
    let response = party
        .get(app.url(&format!("/api/v1/hearings/{}/transcript.pdf", id(&hearing))))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let bytes = response.bytes().await.expect("body");
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = dir.path().join("transcript.pdf");
    std::fs::write(&pdf, &bytes).expect("write");

    let text = squeeze(&poppler("pdftotext", &[], &pdf));
    let draft = get_ok(&clerk, transcript_url(app, &hearing, "")).await;
    let header = &draft["header"];
    for expected in [
        app_court_name(app).await,
        "庭审笔录".to_owned(),
        format!("时间：{}", header["time"].as_str().expect("time")),
        "地点：互联网庭审".to_owned(),
        "案由：民间借贷纠纷".to_owned(),
        "案号：（2026）京0107民初9号".to_owned(),
        format!("审判人员：{}", app.judge.display_name),
        format!("书记员：{}", app.clerk.display_name),
        "(开庭审理前，书记员应当查明当事人和其他诉讼参与人是否到庭，落座后宣布法庭纪律，请审判人员入庭就座)".to_owned(),
    ] {
        assert!(text.contains(&squeeze(&expected)), "the PDF lacks {expected}");
    }
    // Every entry, exactly and in order, with its speaker.
    let mut from = 0;
    for (role, name, said) in &lines {
        let label = match *role {
            "presiding_judge" => "审判长",
            "plaintiff" => "原告",
            "defendant" => "被告",
            other => other,
        };
        let expected = squeeze(&format!("{label} {name}：{said}"));
        let at = text[from..]
            .find(&expected)
            .unwrap_or_else(|| panic!("the PDF lacks, in order: {expected}"));
        from += at + expected.len();
    }
    assert!(
        text.contains(&squeeze(v1["sha256"].as_str().expect("hash"))),
        "every page names the version's hash"
    );

    let images = poppler("pdfimages", &["-list"], &pdf);
    let image_rows = images
        .lines()
        .skip(2)
        .filter(|line| line.contains("image"))
        .count();
    assert_eq!(image_rows, 2, "both signatures are in the PDF:\n{images}");

    let verdict = poppler("pdfsig", &[], &pdf);
    assert!(
        verdict.contains("Signature Validation: Signature is Valid."),
        "{verdict}"
    );
    assert!(verdict.contains("Total document signed"), "{verdict}");

    // The PDF of an older version, a missing one, and a stranger.
    let missing = party
        .get(app.url(&format!(
            "/api/v1/hearings/{}/transcript.pdf?version=7",
            id(&hearing)
        )))
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(missing, StatusCode::NOT_FOUND).await["code"],
        "version_not_found"
    );
    let stranger = TestApp::client()
        .get(app.url(&format!("/api/v1/hearings/{}/transcript.pdf", id(&hearing))))
        .send()
        .await
        .expect("request");
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let taken: Vec<serde_json::Value> = app
        .store
        .audit_events(0, 1_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "transcript.pdf")
        .map(|e| e.details)
        .collect();
    assert_eq!(taken.len(), 1, "the download is audited");
    assert_eq!(taken[0]["signatures"], 2);
    assert_eq!(taken[0]["pdf_sha256"].as_str().map(str::len), Some(64));
}

async fn app_court_name(app: &TestApp) -> String {
    app.store
        .court(app.clerk.court_id)
        .await
        .expect("court")
        .name
        .to_string()
}
