//! The court's mute, on SQLite and PostgreSQL: the judge or clerk mutes and unmutes a
//! participant (audited, shown in the live roster to everyone); parties, strangers and
//! another court's staff may not, and a participant of another hearing is not found.

mod common;

use common::{TestApp, id, join, json, problem, session_cookie};
use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

on_both_backends!(
    staff_mute_and_unmute_a_participant_for_everyone,
    only_the_hearings_staff_may_mute,
);

async fn hearing_with(app: &TestApp, clerk: &Client, number: &str, participants: Value) -> Value {
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    common::schedule(app, clerk, number, &at, participants).await
}

fn participant_id<'a>(hearing: &'a Value, name: &str) -> &'a str {
    hearing["participants"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .and_then(|p| p["id"].as_str())
        .expect("the participant is in the hearing")
}

fn mute_url(app: &TestApp, hearing: &Value, pid: &str) -> String {
    app.url(&format!(
        "/api/v1/hearings/{}/participants/{pid}/mute",
        id(hearing)
    ))
}

async fn set_muted(client: &Client, url: &str, muted: bool) -> reqwest::Response {
    client
        .post(url)
        .json(&json!({"muted": muted}))
        .send()
        .await
        .expect("request")
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the hearing's live channel with `cookie`, as a browser would.
async fn connect(app: &TestApp, cookie: &str, hearing: &Value) -> Socket {
    let url = format!(
        "{}/api/v1/hearings/{}/live",
        app.base.replace("http://", "ws://"),
        id(hearing)
    );
    let mut request = url.into_client_request().expect("a request");
    request
        .headers_mut()
        .insert("cookie", cookie.parse().expect("a cookie header"));
    tokio_tungstenite::connect_async(request)
        .await
        .expect("the live channel opens")
        .0
}

/// Reads until a roster (or snapshot) shows `name` with `muted`.
async fn until_muted(socket: &mut Socket, name: &str, muted: bool) {
    let wait = async {
        loop {
            let message = socket.next().await.expect("open").expect("readable");
            let tungstenite::Message::Text(text) = message else {
                continue;
            };
            let message: Value = serde_json::from_str(&text).expect("JSON");
            let shown = message["members"]
                .as_array()
                .and_then(|ms| ms.iter().find(|m| m["name"] == name))
                .map(|m| m["muted"].clone());
            if shown == Some(Value::Bool(muted)) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("the roster shows {name} muted = {muted}"));
}

async fn staff_mute_and_unmute_a_participant_for_everyone(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初71号",
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": "13800007101"},
            {"name": "易1", "role": "defendant", "phone": "13800007102"},
        ]),
    )
    .await;
    let plaintiff = participant_id(&hearing, "贾1");
    let (_, defendant_cookie) = join(app, &hearing, "13800007102").await;
    let mut defendant_live = connect(app, &defendant_cookie, &hearing).await;
    until_muted(&mut defendant_live, "贾1", false).await;

    // The clerk mutes the plaintiff: every client's roster says so.
    let url = mute_url(app, &hearing, plaintiff);
    let muted = json(set_muted(&clerk, &url, true).await, StatusCode::OK).await;
    assert_eq!(muted, json!({"participant_id": plaintiff, "muted": true}));
    until_muted(&mut defendant_live, "贾1", true).await;

    // A client connecting now sees the mute in its snapshot.
    let clerk_client = TestApp::client();
    let response = clerk_client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "judge", "password": common::PASSWORD}))
        .send()
        .await
        .expect("login");
    let judge_cookie = session_cookie(&response);
    json(response, StatusCode::OK).await;
    let mut judge_live = connect(app, &judge_cookie, &hearing).await;
    until_muted(&mut judge_live, "贾1", true).await;

    // The judge lifts it.
    let unmuted = json(set_muted(&clerk_client, &url, false).await, StatusCode::OK).await;
    assert_eq!(unmuted["muted"], false);
    until_muted(&mut defendant_live, "贾1", false).await;
    until_muted(&mut judge_live, "贾1", false).await;

    // Both are in the audit log, with who did it and to whom.
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    let mutes: Vec<_> = events
        .iter()
        .filter(|e| e.action == "participant.mute")
        .collect();
    assert_eq!(mutes.len(), 2, "each mute and unmute is audited");
    assert_eq!(mutes[0].details["muted"], true);
    assert_eq!(mutes[0].details["participant_id"], plaintiff);
    assert_eq!(mutes[0].actor, format!("staff:{}:clerk", app.clerk.id));
    assert_eq!(mutes[1].details["muted"], false);
    assert_eq!(mutes[1].actor, format!("staff:{}:judge", app.judge.id));
}

async fn only_the_hearings_staff_may_mute(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初72号",
        json!([
            {"name": "贾2", "role": "plaintiff", "phone": "13800007201"},
            {"name": "易2", "role": "defendant", "phone": "13800007202"},
        ]),
    )
    .await;
    let other_hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初73号",
        json!([{"name": "丙2", "role": "plaintiff", "phone": "13800007301"}]),
    )
    .await;
    let url = mute_url(app, &hearing, participant_id(&hearing, "贾2"));
    let (party, _) = join(app, &hearing, "13800007202").await;
    let other = app.login("other-clerk").await;
    let admin = app.login("admin").await;
    let rows = app.audit_rows().await;

    // A party (even of this hearing) has no staff session: 401.
    problem(
        set_muted(&party, &url, true).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Staff of the court who do not run hearings (the administrator): 403.
    problem(set_muted(&admin, &url, true).await, StatusCode::FORBIDDEN).await;
    // Nobody signed in: 401.
    problem(
        set_muted(&TestApp::client(), &url, true).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Another court's clerk: 403.
    problem(set_muted(&other, &url, true).await, StatusCode::FORBIDDEN).await;
    // Another hearing's participant, through this hearing: 404.
    let stranger = mute_url(app, &hearing, participant_id(&other_hearing, "丙2"));
    problem(
        set_muted(&clerk, &stranger, true).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.audit_rows().await, rows, "no refused mute left a trace");
}
