//! The court's rules in the live hearing, on SQLite and PostgreSQL: a witness (证人)
//! waits outside — no media, no roster of others, no transcript, and no tile on anyone's
//! screen — until the court calls them in (传唤入庭), and leaves again when sent out (退庭,
//! their media ending at once); the call-in survives a restart. The court removes a
//! participant from the hearing (移出庭审): their socket is told, their media ends, they
//! wait to be admitted again. Parties, strangers and another court's staff may not; bad
//! requests get clear problems; everything done is audited, nothing refused is.

mod common;

use common::{
    LiveSocket, TestApp, connect_live, id, join, json, next_live, problem, send_live, staff_session,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    a_witness_waits_outside_until_the_court_calls_them_in,
    only_the_court_calls_in_and_only_a_witness,
    the_court_removes_a_participant_from_the_hearing,
    removal_is_refused_when_it_must_be,
);

/// What a browser offers when it only wants to receive sound: enough for the SFU to
/// answer (the test never completes ICE; the answer is what it looks at).
const OFFER: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=msid-semantic: WMS\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:Wt4q\r\n\
a=ice-pwd:c6u0Dr8Qx1dK0XQp3jB9yWzA\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=recvonly\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n";

const WAIT: Duration = Duration::from_secs(10);

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

fn url(app: &TestApp, hearing: &Value, rest: &str) -> String {
    app.url(&format!("/api/v1/hearings/{}{rest}", id(hearing)))
}

async fn post(client: &Client, url: &str, body: &Value) -> reqwest::Response {
    client.post(url).json(body).send().await.expect("request")
}

async fn transition(app: &TestApp, clerk: &Client, hearing: &Value, transitions: &[&str]) {
    for transition in transitions {
        json(
            post(
                clerk,
                &url(app, hearing, "/transitions"),
                &json!({"transition": transition}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
}

/// A participant joins and confirms the court rules; returns their client and cookie.
async fn arrives(app: &TestApp, hearing: &Value, phone: &str) -> (Client, String) {
    let (client, cookie) = join(app, hearing, phone).await;
    json(
        post(&client, &app.url("/api/v1/participant/rules"), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    (client, cookie)
}

async fn check_in(app: &TestApp, staff: &Client, hearing: &Value, pid: &str) -> reqwest::Response {
    post(
        staff,
        &url(app, hearing, &format!("/participants/{pid}/check-in")),
        &json!({}),
    )
    .await
}

async fn call_in(
    app: &TestApp,
    staff: &Client,
    hearing: &Value,
    pid: &str,
    called_in: bool,
) -> reqwest::Response {
    post(
        staff,
        &url(app, hearing, &format!("/participants/{pid}/call-in")),
        &json!({"called_in": called_in}),
    )
    .await
}

async fn remove(
    app: &TestApp,
    staff: &Client,
    hearing: &Value,
    pid: &str,
    body: &Value,
) -> reqwest::Response {
    post(
        staff,
        &url(app, hearing, &format!("/participants/{pid}/removal")),
        body,
    )
    .await
}

/// Reads a live channel until a message satisfies `wanted`; returns it and everything
/// read before it.
async fn until(
    socket: &mut LiveSocket,
    what: &str,
    wanted: impl Fn(&Value) -> bool,
) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    loop {
        let Some(message) = next_live(socket, WAIT).await else {
            panic!("no {what} on the live channel; read: {before:#?}");
        };
        if wanted(&message) {
            return (message, before);
        }
        before.push(message);
    }
}

/// The roster entry named `name` among a roster's (or snapshot's) `list`.
fn entry<'a>(message: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    message[list]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["name"] == name))
}

fn names(message: &Value, list: &str) -> Vec<String> {
    message[list]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn is_roster(message: &Value) -> bool {
    matches!(message["type"].as_str(), Some("roster" | "snapshot"))
}

/// Offers media on a live channel; returns the server's reply (answer or error).
async fn offer(socket: &mut LiveSocket) -> Value {
    send_live(socket, &json!({"type": "media.offer", "sdp": OFFER})).await;
    until(socket, "a media reply", |m| {
        matches!(m["type"].as_str(), Some("media.answer" | "media.error"))
    })
    .await
    .0
}

async fn a_witness_waits_outside_until_the_court_calls_them_in(app: &TestApp) {
    let (clerk, clerk_cookie) = staff_session(app, "clerk").await;
    let (judge, _) = staff_session(app, "judge").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初81号",
        json!([
            {"name": "贾8", "role": "plaintiff", "phone": "13800008101"},
            {"name": "王8", "role": "witness", "phone": "13800008103"},
        ]),
    )
    .await;
    let hearing_id = id(&hearing).to_owned();
    let plaintiff = participant_id(&hearing, "贾8").to_owned();
    let witness = participant_id(&hearing, "王8").to_owned();
    transition(app, &clerk, &hearing, &["open", "start"]).await;

    // The plaintiff is admitted; the witness joins, confirms the rules and waits.
    let (_, plaintiff_cookie) = arrives(app, &hearing, "13800008101").await;
    json(
        check_in(app, &clerk, &hearing, &plaintiff).await,
        StatusCode::OK,
    )
    .await;
    let mut plaintiff_live = connect_live(&app.base, &plaintiff_cookie, &hearing_id).await;
    let (witness_client, witness_cookie) = arrives(app, &hearing, "13800008103").await;
    let mut witness_live = connect_live(&app.base, &witness_cookie, &hearing_id).await;

    // The witness's own view: their own entry, nobody else, no list of witnesses.
    let (snapshot, _) = until(&mut witness_live, "the snapshot", |m| {
        m["type"] == "snapshot"
    })
    .await;
    assert_eq!(names(&snapshot, "members"), vec!["王8"], "{snapshot:#}");
    assert!(snapshot.get("witnesses").is_none(), "{snapshot:#}");
    assert_eq!(
        snapshot["hearing"]["state"], "in_session",
        "the state is told"
    );

    // The clerk sees the witness apart, outside; not among those in the hearing.
    let mut clerk_live = connect_live(&app.base, &clerk_cookie, &hearing_id).await;
    let (staff_view, _) = until(&mut clerk_live, "the witness connected", |m| {
        is_roster(m) && entry(m, "witnesses", "王8").is_some_and(|w| w["connected"] == true)
    })
    .await;
    assert!(
        entry(&staff_view, "members", "王8").is_none(),
        "no witness tile for the clerk"
    );
    assert!(entry(&staff_view, "members", "贾8").is_some());
    assert_eq!(
        entry(&staff_view, "witnesses", "王8").map(|w| &w["checked_in"]),
        Some(&json!(false))
    );

    // The witness gets no media while outside.
    let refused = offer(&mut witness_live).await;
    assert_eq!(refused["type"], "media.error");
    assert_eq!(refused["code"], "media_not_allowed");

    // 准许入庭 is not how a witness comes in.
    let body = problem(
        check_in(app, &clerk, &hearing, &witness).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["code"], "witness_needs_call_in");

    // The hearing goes on: the transcript is saved; the plaintiff hears of it.
    json(
        clerk
            .put(url(app, &hearing, "/transcript"))
            .json(&json!({
                "base_version": 0, "save_id": uuid::Uuid::new_v4().to_string(),
                "entries": [{"role": "plaintiff", "name": "贾8", "text": "借款属实。"}],
            }))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    until(&mut plaintiff_live, "the transcript", |m| {
        m["type"] == "transcript"
    })
    .await;

    // Nor can the witness read the transcript or the evidence through the API.
    for path in ["/transcript", "/evidence", "/evidence/presentation"] {
        let response = witness_client
            .get(url(app, &hearing, path))
            .send()
            .await
            .expect("request");
        let body = problem(response, StatusCode::FORBIDDEN).await;
        assert_eq!(body["code"], "witness_outside", "{path}");
    }

    // The judge calls the witness in.
    let called = json(
        call_in(app, &judge, &hearing, &witness, true).await,
        StatusCode::OK,
    )
    .await;
    // Inside, the record is theirs to follow.
    let transcript = witness_client
        .get(url(app, &hearing, "/transcript"))
        .send()
        .await
        .expect("request");
    assert_eq!(transcript.status(), StatusCode::OK);
    assert_eq!(
        called,
        json!({"participant_id": witness, "called_in": true})
    );

    // Until then the witness heard nothing of the hearing: no transcript, no other
    // person in any roster; now the roster shows them everybody.
    let (inside, before) = until(&mut witness_live, "the call-in", |m| {
        is_roster(m) && entry(m, "members", "王8").is_some_and(|w| w["checked_in"] == true)
    })
    .await;
    for message in &before {
        let kind = message["type"].as_str().unwrap_or_default();
        assert!(
            matches!(kind, "roster" | "state" | "media.error" | "welcome"),
            "a witness outside is told nothing else: {message:#}"
        );
        if kind == "roster" {
            assert_eq!(names(message, "members"), vec!["王8"], "{message:#}");
            assert!(message.get("witnesses").is_none());
        }
    }
    assert!(entry(&inside, "members", "贾8").is_some(), "{inside:#}");
    assert!(entry(&inside, "members", "许1").is_some(), "{inside:#}");

    // Everyone sees the witness now; the plaintiff never saw them before.
    let (shown, before) = until(&mut plaintiff_live, "the witness in the roster", |m| {
        is_roster(m) && entry(m, "members", "王8").is_some()
    })
    .await;
    assert_eq!(
        entry(&shown, "members", "王8").map(|w| &w["checked_in"]),
        Some(&json!(true))
    );
    for message in before.iter().chain([&shown]) {
        assert!(
            message.get("witnesses").is_none(),
            "a party gets no list of witnesses: {message:#}"
        );
    }
    for message in before.iter().filter(|m| is_roster(m)) {
        assert!(
            entry(message, "members", "王8").is_none(),
            "no witness tile before the call: {message:#}"
        );
    }
    let (staff_view, _) = until(&mut clerk_live, "the witness inside", |m| {
        is_roster(m) && entry(m, "members", "王8").is_some()
    })
    .await;
    assert_eq!(staff_view["witnesses"], json!([]));

    // Called in, the witness gets media.
    let answer = offer(&mut witness_live).await;
    assert_eq!(answer["type"], "media.answer", "{answer:#}");

    // The clerk sends the witness out after the testimony: the media ends at once, the
    // tile goes from everyone's roster.
    let out = json(
        call_in(app, &clerk, &hearing, &witness, false).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(out["called_in"], false);
    let (closed, before) = until(&mut witness_live, "media.closed", |m| {
        m["type"] == "media.closed"
    })
    .await;
    assert_eq!(closed, json!({"type": "media.closed"}));
    assert!(
        before.iter().all(|m| m["type"] != "media.closed"),
        "the media lasted until the witness was sent out"
    );
    until(&mut plaintiff_live, "the witness gone", |m| {
        is_roster(m) && entry(m, "members", "王8").is_none()
    })
    .await;
    let refused = offer(&mut witness_live).await;
    assert_eq!(
        refused["code"], "media_not_allowed",
        "outside again: no media"
    );
    let me = json(
        witness_client
            .get(app.url("/api/v1/participant/me"))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["checked_in_at"], Value::Null);

    // Both are audited, with who did it and to whom.
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    let calls: Vec<_> = events
        .iter()
        .filter(|e| e.action == "participant.call_in")
        .collect();
    assert_eq!(calls.len(), 2, "the call-in and the sending out");
    assert_eq!(calls[0].details["called_in"], true);
    assert_eq!(calls[0].details["participant_id"], witness.as_str());
    assert_eq!(calls[0].actor, format!("staff:{}:judge", app.judge.id));
    assert_eq!(calls[1].details["called_in"], false);
    assert_eq!(calls[1].actor, format!("staff:{}:clerk", app.clerk.id));

    // Called in again, the witness stays in across a restart: a server that knows only
    // the database shows them in the hearing and gives them media.
    json(
        call_in(app, &judge, &hearing, &witness, true).await,
        StatusCode::OK,
    )
    .await;
    let restarted = app.restarted().await;
    let mut again = connect_live(&restarted.base, &plaintiff_cookie, &hearing_id).await;
    let (snapshot, _) = until(&mut again, "the snapshot", |m| m["type"] == "snapshot").await;
    assert_eq!(
        entry(&snapshot, "members", "王8").map(|w| &w["checked_in"]),
        Some(&json!(true))
    );
    let mut witness_again = connect_live(&restarted.base, &witness_cookie, &hearing_id).await;
    let (snapshot, _) = until(&mut witness_again, "the snapshot", |m| {
        m["type"] == "snapshot"
    })
    .await;
    assert!(entry(&snapshot, "members", "贾8").is_some(), "{snapshot:#}");
    assert_eq!(offer(&mut witness_again).await["type"], "media.answer");
    // And sent out there, the same holds for the other server's clients.
    let out = call_in_at(
        &clerk,
        &restarted.url(&format!(
            "/api/v1/hearings/{hearing_id}/participants/{witness}/call-in"
        )),
        false,
    )
    .await;
    assert_eq!(out.status(), StatusCode::OK);
    until(&mut witness_again, "media.closed", |m| {
        m["type"] == "media.closed"
    })
    .await;
    drop((again, witness_again));
    restarted.stop().await;
}

async fn call_in_at(client: &Client, url: &str, called_in: bool) -> reqwest::Response {
    post(client, url, &json!({"called_in": called_in})).await
}

async fn only_the_court_calls_in_and_only_a_witness(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初82号",
        json!([
            {"name": "贾9", "role": "plaintiff", "phone": "13800008201"},
            {"name": "王9", "role": "witness", "phone": "13800008203"},
            {"name": "鉴9", "role": "expert", "phone": "13800008204"},
            {"name": "钱9", "role": "witness", "phone": "13800008205"},
        ]),
    )
    .await;
    let scheduled = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初83号",
        json!([{"name": "孙9", "role": "witness", "phone": "13800008301"}]),
    )
    .await;
    let witness = participant_id(&hearing, "王9");
    transition(app, &clerk, &hearing, &["open"]).await;
    let (party, _) = arrives(app, &hearing, "13800008201").await;
    let (witness_client, _) = arrives(app, &hearing, "13800008203").await;
    let other = app.login("other-clerk").await;
    let admin = app.login("admin").await;
    let rows = app.audit_rows().await;
    let call = |client: &Client, pid: &str| {
        let client = client.clone();
        let url = url(app, &hearing, &format!("/participants/{pid}/call-in"));
        async move { call_in_at(&client, &url, true).await }
    };

    // A party, even of this hearing, and the witness themselves: signed in, refused.
    problem(call(&party, witness).await, StatusCode::FORBIDDEN).await;
    problem(call(&witness_client, witness).await, StatusCode::FORBIDDEN).await;
    // Another court's clerk, and the court's administrator (who runs no hearing).
    problem(call(&other, witness).await, StatusCode::FORBIDDEN).await;
    problem(call(&admin, witness).await, StatusCode::FORBIDDEN).await;
    // Nobody signed in.
    problem(
        call(&TestApp::client(), witness).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Only a witness is called in: not a party, not an expert (admitted like a party).
    for name in ["贾9", "鉴9"] {
        let body = problem(
            call(&clerk, participant_id(&hearing, name)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["code"], "not_a_witness", "{name}");
    }
    // The bench is the court itself.
    let body = problem(
        call(&clerk, &app.judge.id.to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["code"], "staff_not_participant");
    // Unknown, and another hearing's witness through this hearing.
    problem(
        call(&clerk, &uuid::Uuid::now_v7().to_string()).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        call(&clerk, participant_id(&scheduled, "孙9")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(call(&clerk, "not-an-id").await, StatusCode::BAD_REQUEST).await;
    // Not now: a witness who has not confirmed the rules; a hearing not yet open.
    let body = problem(
        call(&clerk, participant_id(&hearing, "钱9")).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "rules_not_confirmed");
    let early = url(
        app,
        &scheduled,
        &format!(
            "/participants/{}/call-in",
            participant_id(&scheduled, "孙9")
        ),
    );
    let body = problem(call_in_at(&clerk, &early, true).await, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "hearing_not_open");
    assert!(
        body["message"]["zh-CN"]
            .as_str()
            .unwrap_or_default()
            .contains("请先开放候庭")
    );

    // Bad bodies.
    let witness_url = url(app, &hearing, &format!("/participants/{witness}/call-in"));
    let malformed = clerk
        .post(&witness_url)
        .header("content-type", "application/json")
        .body("{\"called_in\": tru")
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(malformed, StatusCode::BAD_REQUEST).await["code"],
        "malformed_json"
    );
    let missing = post(&clerk, &witness_url, &json!({"called": true})).await;
    assert_eq!(
        problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "invalid_body"
    );
    assert_eq!(
        app.audit_rows().await,
        rows,
        "no refused call-in left a trace"
    );

    // The clerk, on the court's instruction, may; and in the waiting room too (开放候庭).
    json(call(&clerk, witness).await, StatusCode::OK).await;
    assert_eq!(app.audit_rows().await, rows + 1);
}

async fn the_court_removes_a_participant_from_the_hearing(app: &TestApp) {
    let (clerk, _) = staff_session(app, "clerk").await;
    let (judge, _) = staff_session(app, "judge").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初84号",
        json!([
            {"name": "贾7", "role": "plaintiff", "phone": "13800008401"},
            {"name": "易7", "role": "defendant", "phone": "13800008402"},
        ]),
    )
    .await;
    let hearing_id = id(&hearing).to_owned();
    let plaintiff = participant_id(&hearing, "贾7").to_owned();
    let defendant = participant_id(&hearing, "易7").to_owned();
    transition(app, &clerk, &hearing, &["open", "start"]).await;
    let (plaintiff_client, plaintiff_cookie) = arrives(app, &hearing, "13800008401").await;
    let (_, defendant_cookie) = arrives(app, &hearing, "13800008402").await;
    for pid in [&plaintiff, &defendant] {
        json(check_in(app, &clerk, &hearing, pid).await, StatusCode::OK).await;
    }
    let mut plaintiff_live = connect_live(&app.base, &plaintiff_cookie, &hearing_id).await;
    let mut defendant_live = connect_live(&app.base, &defendant_cookie, &hearing_id).await;
    assert_eq!(
        offer(&mut plaintiff_live).await["type"],
        "media.answer",
        "admitted: media"
    );

    // The judge removes the plaintiff, saying why.
    let removed = json(
        remove(
            app,
            &judge,
            &hearing,
            &plaintiff,
            &json!({"reason": " 扰乱法庭秩序 "}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        removed,
        json!({"participant_id": plaintiff, "reason": "扰乱法庭秩序"})
    );

    // Their socket is told, their media ends at once, and the roster has them waiting.
    let (told, _) = until(&mut plaintiff_live, "removed", |m| m["type"] == "removed").await;
    assert_eq!(told["to"], plaintiff.as_str());
    assert_eq!(told["reason"], "扰乱法庭秩序");
    let (closed, _) = until(&mut plaintiff_live, "media.closed", |m| {
        m["type"] == "media.closed"
    })
    .await;
    assert_eq!(closed, json!({"type": "media.closed"}));
    until(&mut plaintiff_live, "the roster", |m| {
        is_roster(m) && entry(m, "members", "贾7").is_some_and(|p| p["checked_in"] == false)
    })
    .await;
    assert_eq!(
        offer(&mut plaintiff_live).await["code"],
        "media_not_allowed"
    );
    let me = json(
        plaintiff_client
            .get(app.url("/api/v1/participant/me"))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["checked_in_at"], Value::Null, "back in the waiting room");

    // The others see the plaintiff waiting; the notice was not theirs.
    let (_, before) = until(&mut defendant_live, "the plaintiff waiting", |m| {
        is_roster(m) && entry(m, "members", "贾7").is_some_and(|p| p["checked_in"] == false)
    })
    .await;
    assert!(before.iter().all(|m| m["type"] != "removed"), "{before:#?}");

    // Audited, with who, whom and why.
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    let removal = events
        .iter()
        .find(|e| e.action == "participant.removal")
        .expect("the removal is audited");
    assert_eq!(removal.actor, format!("staff:{}:judge", app.judge.id));
    assert_eq!(removal.details["participant_id"], plaintiff.as_str());
    assert_eq!(removal.details["reason"], "扰乱法庭秩序");

    // The court lets them in again: media again.
    json(
        check_in(app, &clerk, &hearing, &plaintiff).await,
        StatusCode::OK,
    )
    .await;
    until(&mut plaintiff_live, "admitted again", |m| {
        is_roster(m) && entry(m, "members", "贾7").is_some_and(|p| p["checked_in"] == true)
    })
    .await;
    assert_eq!(offer(&mut plaintiff_live).await["type"], "media.answer");

    // The clerk removes without a reason (an empty body will do); twice is refused.
    let removed = json(
        remove(app, &clerk, &hearing, &plaintiff, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(removed["reason"], Value::Null);
    let (told, _) = until(&mut plaintiff_live, "removed", |m| m["type"] == "removed").await;
    assert_eq!(told["reason"], Value::Null);
    let body = problem(
        remove(app, &clerk, &hearing, &plaintiff, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "not_in_the_room");
    let removals = app
        .store
        .audit_events(0, 10_000)
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "participant.removal")
        .count();
    assert_eq!(removals, 2);
}

async fn removal_is_refused_when_it_must_be(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初85号",
        json!([
            {"name": "贾6", "role": "plaintiff", "phone": "13800008501"},
            {"name": "易6", "role": "defendant", "phone": "13800008502"},
        ]),
    )
    .await;
    let elsewhere = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初86号",
        json!([{"name": "丙6", "role": "plaintiff", "phone": "13800008601"}]),
    )
    .await;
    let plaintiff = participant_id(&hearing, "贾6");
    transition(app, &clerk, &hearing, &["open", "start"]).await;
    let (party, _) = arrives(app, &hearing, "13800008502").await;
    arrives(app, &hearing, "13800008501").await;
    json(
        check_in(app, &clerk, &hearing, plaintiff).await,
        StatusCode::OK,
    )
    .await;
    let other = app.login("other-clerk").await;
    let admin = app.login("admin").await;
    let rows = app.audit_rows().await;
    let reason = json!({"reason": "test"});

    // A party may not remove anyone; nor another court's clerk or the administrator.
    problem(
        remove(app, &party, &hearing, plaintiff, &reason).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        remove(app, &other, &hearing, plaintiff, &reason).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        remove(app, &admin, &hearing, plaintiff, &reason).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        remove(app, &TestApp::client(), &hearing, plaintiff, &reason).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Staff are never removed.
    for staff in [app.judge.id, app.clerk.id] {
        let body = problem(
            remove(app, &clerk, &hearing, &staff.to_string(), &reason).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["code"], "staff_not_participant");
    }
    // Unknown, and another hearing's participant.
    problem(
        remove(
            app,
            &clerk,
            &hearing,
            &uuid::Uuid::now_v7().to_string(),
            &reason,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        remove(
            app,
            &clerk,
            &hearing,
            participant_id(&elsewhere, "丙6"),
            &reason,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Someone waiting is not in the room.
    let body = problem(
        remove(
            app,
            &clerk,
            &hearing,
            participant_id(&hearing, "易6"),
            &reason,
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "not_in_the_room");
    // Bad bodies.
    let removal_url = url(app, &hearing, &format!("/participants/{plaintiff}/removal"));
    let malformed = clerk
        .post(&removal_url)
        .header("content-type", "application/json")
        .body("{\"reason\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(
        problem(malformed, StatusCode::BAD_REQUEST).await["code"],
        "malformed_json"
    );
    let long = problem(
        remove(
            app,
            &clerk,
            &hearing,
            plaintiff,
            &json!({"reason": "乱".repeat(201)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(long["field"], "reason");
    let typed = problem(
        remove(app, &clerk, &hearing, plaintiff, &json!({"reason": 5})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(typed["code"], "invalid_body");

    assert_eq!(
        app.audit_rows().await,
        rows,
        "no refused removal left a trace"
    );

    // After 闭庭 nobody is removed any more.
    transition(app, &clerk, &hearing, &["close"]).await;
    let rows = app.audit_rows().await;
    let body = problem(
        remove(app, &clerk, &hearing, plaintiff, &reason).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "hearing_not_open");
    assert_eq!(
        app.audit_rows().await,
        rows,
        "no refused removal left a trace"
    );
}
