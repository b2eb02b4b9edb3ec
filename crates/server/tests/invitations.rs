//! Hearing notices by SMS through the outbox (log driver), on SQLite and PostgreSQL: the
//! seed's text word for word, delivery status per participant, no notice twice, notices
//! of a new time and of a cancellation, reminders, resending, and who may do what.

mod common;

use common::{TestApp, get_ok, id, json, problem};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    invitations_carry_the_seed_text_and_go_out_once,
    a_new_time_and_a_cancellation_are_announced,
    resending_and_who_may_send,
    reminders_are_queued_once_in_their_window,
);

fn local(days: i64, time: &str) -> (String, String) {
    let zone = chrono_tz::Asia::Shanghai;
    let day = (chrono::Utc::now().with_timezone(&zone) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string();
    (format!("{day}T{time}"), day)
}

async fn hearing(app: &TestApp, clerk: &Client, number: &str, participants: Value) -> Value {
    let (at, _) = local(1, "09:30");
    common::schedule(app, clerk, number, &at, participants).await
}

async fn send_invitations(app: &TestApp, client: &Client, hearing: &Value) -> reqwest::Response {
    client
        .post(app.url(&format!("/api/v1/hearings/{}/invitations", id(hearing))))
        .send()
        .await
        .expect("request")
}

async fn outbox(app: &TestApp, client: &Client, hearing: &Value) -> Vec<Value> {
    let list = get_ok(
        client,
        app.url(&format!("/api/v1/sms/outbox?hearing_id={}", id(hearing))),
    )
    .await;
    list.as_array().cloned().unwrap_or_default()
}

/// Waits until every message of the hearing has left the queue (the log driver is quick).
async fn settled(app: &TestApp, client: &Client, hearing: &Value) -> Vec<Value> {
    for _ in 0..100 {
        let messages = outbox(app, client, hearing).await;
        if messages.iter().all(|m| m["status"] == "sent") {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "messages not sent: {:?}",
        outbox(app, client, hearing).await
    );
}

fn seed_invitation(
    app: &TestApp,
    name: &str,
    case: &str,
    date: &str,
    time: &str,
    number: &str,
) -> String {
    format!(
        "【北京云法庭】{name}，您好，您参与的{case}会议，已决定于{date}{time}进行互联网庭审。请提前访问{}/d/{number}下载庭审客户端（手机和电脑均可使用）、安装并使用会议号登录，会议号为：{number}",
        app.base
    )
}

async fn invitations_carry_the_seed_text_and_go_out_once(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing(
        app,
        &clerk,
        "(2026)京0107民初21号",
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": "13800001111"},
            {"name": "王2", "role": "defendant", "phone": "13900002222"},
            {"name": "赵5", "role": "witness"},
        ]),
    )
    .await;
    let number = hearing["meeting_number"]
        .as_str()
        .expect("number")
        .to_owned();
    let (_, day) = local(1, "09:30");

    let report = json(
        send_invitations(app, &clerk, &hearing).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["queued"], 2);
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["skipped"][0]["name"], "赵5");
    assert_eq!(report["skipped"][0]["reason"], "no_phone");

    let mut messages = settled(app, &clerk, &hearing).await;
    messages.sort_by_key(|m| {
        m["participant_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    assert_eq!(messages.len(), 2);
    for (message, (name, masked)) in messages
        .iter()
        .zip([("王2", "139****2222"), ("贾1", "138****1111")])
    {
        assert_eq!(message["participant_name"], name);
        assert_eq!(message["phone_masked"], masked);
        assert_eq!(message["kind"], "invitation");
        assert_eq!(
            message["text"].as_str().expect("text"),
            seed_invitation(app, name, "(2026)京0107民初21号", &day, "09:30", &number)
        );
        assert!(
            !message.to_string().contains("13800001111"),
            "lists never show the full phone"
        );
    }

    // The detail shows each participant's delivery status and when notices went out.
    let detail = get_ok(
        &clerk,
        app.url(&format!("/api/v1/hearings/{}", id(&hearing))),
    )
    .await;
    assert!(detail["notices_sent_at"].is_string());
    let statuses: Vec<(&str, &Value)> = detail["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| (p["name"].as_str().unwrap_or_default(), &p["invitation"]))
        .collect();
    assert_eq!(statuses[0].1["status"], "sent");
    assert_eq!(statuses[1].1["status"], "sent");
    assert_eq!(statuses[2], ("赵5", &Value::Null));

    // A second press sends nothing new; a participant added later is invited alone.
    let again = json(
        send_invitations(app, &clerk, &hearing).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["queued"], 0);
    let response = clerk
        .post(app.url(&format!("/api/v1/hearings/{}/participants", id(&hearing))))
        .json(&json!({"name": "李3", "role": "agent", "phone": "13700003333"}))
        .send()
        .await
        .expect("request");
    json(response, StatusCode::CREATED).await;
    let again = json(
        send_invitations(app, &clerk, &hearing).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["queued"], 1);
    assert_eq!(settled(app, &clerk, &hearing).await.len(), 3);

    // Sent messages are in the audit trail.
    let events = app.store.audit_events(0, 10_000).await.expect("audit");
    assert_eq!(events.iter().filter(|e| e.action == "sms.sent").count(), 3);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "notice.invitations")
            .count(),
        2
    );
    // Each record names what it queued: two, then only the newcomer.
    let queued: Vec<usize> = events
        .iter()
        .filter(|e| e.action == "notice.invitations")
        .map(|e| e.details["queued"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(queued, vec![2, 1]);

    // The CLI shows the same outbox.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_cloudcourt"))
        .args(["sms", "outbox"])
        .args(app.cli_database_args())
        .env("CLOUDCOURT_LOG", "warn")
        .output()
        .await
        .expect("cloudcourt sms outbox");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("\tsent\tinvitation\t"))
            .count(),
        3,
        "{text}"
    );
    assert!(
        text.contains("138****1111") && !text.contains("13800001111"),
        "{text}"
    );
}

async fn a_new_time_and_a_cancellation_are_announced(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing(
        app,
        &clerk,
        "(2026)京0107民初22号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    // Before any notice went out, a new time tells nobody.
    let (at, _) = local(2, "10:00");
    let url = app.url(&format!("/api/v1/hearings/{}", id(&hearing)));
    json(
        clerk
            .patch(&url)
            .json(&json!({"scheduled_at": at}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert!(outbox(app, &clerk, &hearing).await.is_empty());

    json(
        send_invitations(app, &clerk, &hearing).await,
        StatusCode::OK,
    )
    .await;
    settled(app, &clerk, &hearing).await;

    let (at, day) = local(3, "14:30");
    let moved = json(
        clerk
            .patch(&url)
            .json(&json!({"scheduled_at": at}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    let messages = settled(app, &clerk, &hearing).await;
    let notice = messages
        .iter()
        .find(|m| m["kind"] == "reschedule")
        .expect("notice of the new time");
    let number = moved["meeting_number"].as_str().expect("number");
    assert_eq!(
        notice["text"],
        format!(
            "【北京云法庭】贾1，您好，您参与的(2026)京0107民初22号会议，开庭时间已变更为{day}14:30，届时请访问{}/d/{number}使用会议号登录，会议号为：{number}",
            app.base
        )
    );
    // Told of the new time already: 发送开庭通知 now sends nothing more.
    assert_eq!(
        json(
            send_invitations(app, &clerk, &hearing).await,
            StatusCode::OK
        )
        .await["queued"],
        0
    );
    let detail = get_ok(&clerk, &url).await;
    assert_eq!(
        detail["participants"][0]["invitation"]["kind"],
        "reschedule"
    );

    let response = clerk
        .post(app.url(&format!("/api/v1/hearings/{}/transitions", id(&hearing))))
        .json(&json!({"transition": "cancel"}))
        .send()
        .await
        .expect("request");
    json(response, StatusCode::OK).await;
    let messages = settled(app, &clerk, &hearing).await;
    let cancellation = messages
        .iter()
        .find(|m| m["kind"] == "cancellation")
        .expect("cancellation");
    assert_eq!(
        cancellation["text"],
        format!(
            "【北京云法庭】贾1，您好，您参与的(2026)京0107民初22号会议（原定于{day}14:30进行互联网庭审）已取消，具体安排以法院通知为准。"
        )
    );
    // A cancelled hearing takes no more invitations.
    let body = problem(
        send_invitations(app, &clerk, &hearing).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "hearing_finished");
}

async fn resending_and_who_may_send(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing(
        app,
        &clerk,
        "(2026)京0107民初23号",
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": "13800001111"},
            {"name": "赵5", "role": "witness"},
        ]),
    )
    .await;
    let plaintiff = id(&hearing["participants"][0]).to_owned();
    let witness = id(&hearing["participants"][1]).to_owned();
    let resend = |pid: &str| {
        clerk
            .post(app.url(&format!(
                "/api/v1/hearings/{}/participants/{pid}/invitation",
                id(&hearing)
            )))
            .send()
    };
    let message = json(
        resend(&plaintiff).await.expect("request"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(message["kind"], "invitation");
    assert_eq!(message["phone_masked"], "138****1111");
    json(
        resend(&plaintiff).await.expect("request"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        settled(app, &clerk, &hearing).await.len(),
        2,
        "a resend is sent every time it is asked"
    );

    let body = problem(
        resend(&witness).await.expect("request"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "phone");
    assert_eq!(
        body["message"]["zh-CN"],
        "赵5没有手机号码，无法发送开庭通知"
    );
    let body = problem(
        resend(&uuid::Uuid::now_v7().to_string())
            .await
            .expect("request"),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["code"], "not_found");

    // The administrator reads the outbox but sends nothing; another court sees nothing.
    let admin = app.login("admin").await;
    assert_eq!(outbox(app, &admin, &hearing).await.len(), 2);
    problem(
        send_invitations(app, &admin, &hearing).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let intruder = app.login("other-clerk").await;
    problem(
        send_invitations(app, &intruder, &hearing).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = intruder
        .get(app.url(&format!("/api/v1/sms/outbox?hearing_id={}", id(&hearing))))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::FORBIDDEN).await;
    let everything = get_ok(&intruder, app.url("/api/v1/sms/outbox")).await;
    assert_eq!(everything, json!([]));
    let response = clerk
        .get(app.url("/api/v1/sms/outbox?status=lost"))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["field"], "status");
    let anonymous = TestApp::client();
    problem(
        anonymous
            .get(app.url("/api/v1/sms/outbox"))
            .send()
            .await
            .expect("request"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn reminders_are_queued_once_in_their_window(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing(
        app,
        &clerk,
        "(2026)京0107民初24号",
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}, {"name": "赵5", "role": "witness"}]),
    )
    .await;
    let starts = chrono::Utc::now() + chrono::Duration::minutes(30);
    let url = app.url(&format!("/api/v1/hearings/{}", id(&hearing)));
    json(
        clerk
            .patch(&url)
            .json(&json!({"scheduled_at": starts.to_rfc3339()}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;

    // Not invited yet: no reminder.
    cloudcourt::outbox::queue_reminders(app.store.as_ref(), &app.config)
        .await
        .expect("scan");
    assert!(outbox(app, &clerk, &hearing).await.is_empty());

    json(
        send_invitations(app, &clerk, &hearing).await,
        StatusCode::OK,
    )
    .await;
    // Invited just now, 30 minutes before: no reminder is due.
    cloudcourt::outbox::queue_reminders(app.store.as_ref(), &app.config)
        .await
        .expect("scan");
    assert_eq!(outbox(app, &clerk, &hearing).await.len(), 1);

    // Invited two days ago: the one-hour reminder is due, once, however often we look.
    let sql = format!(
        "UPDATE hearings SET notices_sent_at = $1 WHERE meeting_number = '{}'",
        hearing["meeting_number"].as_str().unwrap_or_default()
    );
    app.execute(&sql, Some(chrono::Utc::now() - chrono::Duration::days(2)))
        .await
        .expect("backdate the notices");
    for _ in 0..3 {
        cloudcourt::outbox::queue_reminders(app.store.as_ref(), &app.config)
            .await
            .expect("scan");
    }
    let messages = settled(app, &clerk, &hearing).await;
    let reminders: Vec<&Value> = messages
        .iter()
        .filter(|m| m["kind"] == "reminder")
        .collect();
    assert_eq!(reminders.len(), 1, "{messages:?}");
    let text = reminders[0]["text"].as_str().expect("text");
    assert!(
        text.starts_with("【北京云法庭】贾1，您好，您参与的(2026)京0107民初24号会议，将于"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "会议号为：{}",
            hearing["meeting_number"].as_str().unwrap_or_default()
        )),
        "{text}"
    );
}
