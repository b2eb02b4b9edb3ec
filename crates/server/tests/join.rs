//! A participant's way in, on SQLite and PostgreSQL: meeting number and phone, the code
//! read from the SMS outbox, the participant session and what it may (not) reach; the
//! live WebSocket with roster, admission and catch-up after a reconnect.

mod common;

use common::{
    TestApp, codes, get_ok, id, join, json, problem, request_code, session_cookie, verify,
};
use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

on_both_backends!(
    a_participant_joins_with_the_code_from_the_sms,
    wrong_expired_reused_and_foreign_codes_are_refused,
    guessing_meeting_numbers_is_locked_out,
    guessing_codes_is_locked_out,
    a_participant_session_reaches_only_its_hearing,
    the_live_channel_shows_the_roster_and_catches_up,
);

async fn hearing_with(app: &TestApp, clerk: &Client, number: &str, participants: Value) -> Value {
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    common::schedule(app, clerk, number, &at, participants).await
}

/// Signs in as the clerk; returns the client and its session cookie.
async fn clerk_with_cookie(app: &TestApp) -> (Client, String) {
    let client = TestApp::client();
    let response = client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "clerk", "password": common::PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = session_cookie(&response);
    json(response, StatusCode::OK).await;
    (client, cookie)
}

async fn a_participant_joins_with_the_code_from_the_sms(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初41号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let number = hearing["meeting_number"].as_str().expect("number");
    let party = TestApp::client();
    let asked = json(
        request_code(app, &party, number, "138 0000 1111").await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(asked["expires_in_seconds"], 300);
    let code = codes(app, &hearing).await.remove(0);
    assert_eq!(code.len(), 6);
    let sms = app
        .store
        .hearing_sms(
            court::HearingId(id(&hearing).parse().expect("uuid")),
            court::NoticeKind::JoinCode,
        )
        .await
        .expect("outbox");
    assert_eq!(
        sms[0].text,
        format!(
            "【北京云法庭】您的庭审登录验证码为{code}，5分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。"
        )
    );
    assert_eq!(sms[0].phone, "13800001111");

    // Asking again within a minute sends no second SMS (and says the same).
    let again = request_code(app, &party, number, "13800001111").await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(codes(app, &hearing).await.len(), 1);

    let response = verify(app, &party, number, "13800001111", &code).await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.starts_with("cc_participant=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let me = json(response, StatusCode::OK).await;
    assert_eq!(me["name"], "贾1");
    assert_eq!(me["role"], "plaintiff");
    assert_eq!(me["meeting_number"], number);
    assert_eq!(me["court_name"], "北京市石景山区人民法院");
    assert_eq!(me["time_zone"], "Asia/Shanghai");
    assert_eq!(me["rules_confirmed_at"], Value::Null);

    let me = get_ok(&party, app.url("/api/v1/participant/me")).await;
    assert_eq!(me["case_number"], "(2026)京0107民初41号");
    let confirmed = json(
        party
            .post(app.url("/api/v1/participant/rules"))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert!(confirmed["rules_confirmed_at"].is_string());
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    for action in [
        "join.code_sent",
        "join.session",
        "participant.rules_confirmed",
    ] {
        assert!(
            events.iter().any(|e| e.action == action),
            "{action} audited"
        );
    }

    // Leaving ends the session.
    let left = party
        .delete(app.url("/api/v1/participant/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(left.status(), StatusCode::NO_CONTENT);
    problem(
        party
            .get(app.url("/api/v1/participant/me"))
            .send()
            .await
            .expect("request"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn wrong_expired_reused_and_foreign_codes_are_refused(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let first = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初42号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let second = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初43号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let number = first["meeting_number"].as_str().expect("number");
    let other_number = second["meeting_number"].as_str().expect("number");
    let party = TestApp::client();

    // A phone that is not in the hearing gets the same answer, and no SMS.
    let stranger = json(
        request_code(app, &party, number, "13999999999").await,
        StatusCode::ACCEPTED,
    )
    .await;
    let known = json(
        request_code(app, &party, number, "13800001111").await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(
        stranger, known,
        "the answer does not say which one was wrong"
    );
    let code = codes(app, &first).await.remove(0);
    assert_eq!(codes(app, &first).await.len(), 1);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let body = problem(
        verify(app, &party, number, "13800001111", wrong).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["code"], "invalid_code");
    assert_eq!(
        body["message"]["zh-CN"],
        "验证码错误或已失效，请核对或重新获取"
    );
    // The right code of another hearing does not open this one.
    problem(
        verify(app, &party, other_number, "13800001111", &code).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Malformed input is told apart clearly.
    let body = problem(
        verify(app, &party, number, "13800001111", "12ab").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "code");
    let body = problem(
        request_code(app, &party, "1234", "13800001111").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "meeting_number");
    let body = problem(
        request_code(app, &party, number, "1380000").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "phone");

    // The right code works once.
    json(
        verify(app, &party, number, "13800001111", &code).await,
        StatusCode::OK,
    )
    .await;
    problem(
        verify(app, &TestApp::client(), number, "13800001111", &code).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // An expired code is refused.
    let other_party = TestApp::client();
    json(
        request_code(app, &other_party, other_number, "13800001111").await,
        StatusCode::ACCEPTED,
    )
    .await;
    let code = codes(app, &second).await.remove(0);
    app.execute("UPDATE join_codes SET expires_at = created_at", None)
        .await
        .expect("expire the codes");
    problem(
        verify(app, &other_party, other_number, "13800001111", &code).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn guessing_meeting_numbers_is_locked_out(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初44号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let guesser = TestApp::client();
    let mut locked = None;
    for guess in 0..12 {
        let response = request_code(
            app,
            &guesser,
            &format!("{}", 20_000_000 + guess),
            "13800001111",
        )
        .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            locked = Some((guess, response));
            break;
        }
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let (after, response) = locked.expect("guessing is locked out");
    assert!(after <= 6, "locked after a few guesses, not {after}");
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(wait > 0);
    let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        body["message"]["zh-CN"]
            .as_str()
            .unwrap_or_default()
            .contains("分钟后再试"),
        "{body}"
    );
    // Even the right number is refused from that address for now.
    let number = hearing["meeting_number"].as_str().expect("number");
    problem(
        request_code(app, &guesser, number, "13800001111").await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    assert!(codes(app, &hearing).await.is_empty());
}

async fn guessing_codes_is_locked_out(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初48号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let number = hearing["meeting_number"].as_str().expect("number");
    let guesser = TestApp::client();
    json(
        request_code(app, &guesser, number, "13800001111").await,
        StatusCode::ACCEPTED,
    )
    .await;
    let code = codes(app, &hearing).await.remove(0);
    let wrong: Vec<String> = (0..5)
        .map(|n| {
            format!(
                "{:06}",
                (code.parse::<u32>().unwrap_or(0) + 1 + n) % 1_000_000
            )
        })
        .collect();
    for guess in &wrong {
        problem(
            verify(app, &guesser, number, "13800001111", guess).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    // Locked now, even for the right code, with the time to wait.
    let response = verify(app, &guesser, number, "13800001111", &code).await;
    assert!(response.headers().contains_key("retry-after"));
    let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["code"], "too_many_attempts");
}

async fn a_participant_session_reaches_only_its_hearing(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let mine = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初45号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let other = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初46号",
        json!([{"name": "王2", "role": "defendant", "phone": "13900002222"}]),
    )
    .await;
    let (party, party_cookie) = join(app, &mine, "13800001111").await;
    // No staff endpoint answers a participant.
    for path in [
        "/api/v1/hearings",
        "/api/v1/cases",
        "/api/v1/sms/outbox",
        "/api/v1/me",
        "/api/v1/staff",
    ] {
        problem(
            party.get(app.url(path)).send().await.expect("request"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    problem(
        party
            .get(app.url(&format!("/api/v1/hearings/{}", id(&mine))))
            .send()
            .await
            .expect("request"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let response = party
        .post(app.url(&format!("/api/v1/hearings/{}/transitions", id(&mine))))
        .json(&json!({"transition": "open"}))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::UNAUTHORIZED).await;
    // Nor does another hearing's live channel.
    let refused = connect(app, Some(&party_cookie), &other, None)
        .await
        .expect_err("refused");
    assert!(refused.contains("403"), "{refused}");
    // Its own does.
    let mut socket = connect(app, Some(&party_cookie), &mine, None)
        .await
        .expect("own hearing");
    let welcome = next(&mut socket).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["you"]["name"], "贾1");
    // Without any session: refused.
    let refused = connect(app, None, &mine, None).await.expect_err("refused");
    assert!(refused.contains("401"), "{refused}");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the hearing's live channel as a browser holding `cookie` would.
async fn connect(
    app: &TestApp,
    cookie: Option<&str>,
    hearing: &Value,
    since: Option<u64>,
) -> Result<Socket, String> {
    let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
    let url = format!(
        "{}/api/v1/hearings/{}/live{query}",
        app.base.replace("http://", "ws://"),
        id(hearing)
    );
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().map_err(|_| "cookie".to_string())?);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            Err(format!("HTTP {}", response.status().as_u16()))
        }
        Err(other) => Err(other.to_string()),
    }
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

/// Reads until a message of `kind` arrives.
async fn until(socket: &mut Socket, kind: &str, check: impl Fn(&Value) -> bool) -> Value {
    loop {
        let message = next(socket).await;
        if message["type"] == kind && check(&message) {
            return message;
        }
    }
}

fn member<'a>(message: &'a Value, name: &str) -> &'a Value {
    message["members"]
        .as_array()
        .and_then(|members| members.iter().find(|m| m["name"] == name))
        .unwrap_or(&Value::Null)
}

async fn the_live_channel_shows_the_roster_and_catches_up(app: &TestApp) {
    let (clerk, clerk_cookie) = clerk_with_cookie(app).await;
    let hearing = hearing_with(
        app,
        &clerk,
        "(2026)京0107民初47号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    let (party, party_cookie) = join(app, &hearing, "13800001111").await;
    json(
        party
            .post(app.url("/api/v1/participant/rules"))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;

    let mut staff_socket = connect(app, Some(&clerk_cookie), &hearing, None)
        .await
        .expect("clerk connects");
    assert_eq!(next(&mut staff_socket).await["you"]["kind"], "staff");
    let snapshot = next(&mut staff_socket).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["hearing"]["state"], "scheduled");
    assert_eq!(member(&snapshot, "许1")["role"], "presiding_judge");

    let mut party_socket = connect(app, Some(&party_cookie), &hearing, None)
        .await
        .expect("party connects");
    next(&mut party_socket).await;
    let first = next(&mut party_socket).await;
    assert_eq!(first["type"], "snapshot");
    // The clerk sees the party arrive, waiting (not admitted).
    let seen = until(&mut staff_socket, "roster", |m| {
        member(m, "贾1")["connected"] == true
    })
    .await;
    assert_eq!(member(&seen, "贾1")["checked_in"], false);
    assert_eq!(member(&seen, "贾1")["role"], "plaintiff");

    // Admitting before the hearing opens is refused; after, it is recorded.
    let participant = id(&hearing["participants"][0]).to_owned();
    let admit_url = app.url(&format!(
        "/api/v1/hearings/{}/participants/{participant}/check-in",
        id(&hearing)
    ));
    let body = problem(
        clerk.post(&admit_url).send().await.expect("request"),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "hearing_not_open");

    // The party's connection drops; meanwhile the hearing opens and the clerk admits.
    let last_seen = until(&mut party_socket, "roster", |_| true).await["seq"]
        .as_u64()
        .expect("seq");
    party_socket.close(None).await.expect("close");
    drop(party_socket);
    let transitions = app.url(&format!("/api/v1/hearings/{}/transitions", id(&hearing)));
    json(
        clerk
            .post(&transitions)
            .json(&json!({"transition": "open"}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    let admitted = json(
        clerk.post(&admit_url).send().await.expect("request"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(admitted["name"], "贾1");
    until(&mut staff_socket, "roster", |m| {
        member(m, "贾1")["checked_in"] == true
    })
    .await;

    // Reconnecting with the last number seen replays exactly what was missed, in order.
    let mut again = connect(app, Some(&party_cookie), &hearing, Some(last_seen))
        .await
        .expect("reconnect");
    assert_eq!(next(&mut again).await["type"], "welcome");
    let mut missed = Vec::new();
    loop {
        let message = next(&mut again).await;
        assert_ne!(
            message["type"], "snapshot",
            "a short gap is replayed, not resent whole"
        );
        let seq = message["seq"].as_u64().expect("numbered");
        missed.push((seq, message));
        if missed
            .last()
            .is_some_and(|(_, m)| m["type"] == "roster" && member(m, "贾1")["connected"] == true)
        {
            break;
        }
    }
    let seqs: Vec<u64> = missed.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        ((last_seen + 1)..=(last_seen + seqs.len() as u64)).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
    assert!(
        missed
            .iter()
            .any(|(_, m)| m["type"] == "state" && m["hearing"]["state"] == "open")
    );
    assert!(
        missed
            .iter()
            .any(|(_, m)| m["type"] == "roster" && member(m, "贾1")["checked_in"] == true)
    );
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    assert!(events.iter().any(|e| e.action == "participant.check_in"));

    // A second window of the same participant replaces the first.
    let mut second = connect(app, Some(&party_cookie), &hearing, None)
        .await
        .expect("second window");
    next(&mut second).await;
    until(&mut again, "replaced", |_| true).await;
}
