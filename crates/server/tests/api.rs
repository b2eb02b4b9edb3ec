//! The staff API end to end, as the console uses it, on SQLite and on PostgreSQL: cases,
//! hearings with their meeting numbers, participants, state changes, and every kind of
//! bad input answered with a clear problem and nothing half-written.

mod common;

use common::{PASSWORD, TestApp, get_ok, id, json, problem};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    clerk_schedules_a_hearing_with_participants,
    the_hearing_lifecycle_and_rescheduling,
    participants_are_edited_and_removed,
    malformed_and_incomplete_bodies_are_refused,
    invalid_participants_write_nothing,
    another_courts_staff_are_kept_out,
    roles_are_enforced,
    sign_in_is_safe,
    operations_endpoints_answer,
);

async fn create_case(app: &TestApp, client: &Client, number: &str) -> Value {
    let response = client
        .post(app.url("/api/v1/cases"))
        .json(&json!({"case_number": number, "cause": "民间借贷纠纷"}))
        .send()
        .await
        .expect("request");
    json(response, StatusCode::CREATED).await
}

fn tomorrow_local() -> String {
    let zone = chrono_tz::Asia::Shanghai;
    let at = chrono::Utc::now().with_timezone(&zone) + chrono::Duration::days(1);
    format!("{}T09:30", at.format("%Y-%m-%d"))
}

async fn create_hearing(
    app: &TestApp,
    client: &Client,
    case_id: &Value,
    participants: Value,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/hearings"))
        .json(&json!({
            "case_id": case_id,
            "scheduled_at": tomorrow_local(),
            "judge_ids": [app.judge.id],
            "clerk_id": app.clerk.id,
            "participants": participants,
        }))
        .send()
        .await
        .expect("request")
}

async fn hearing_with_plaintiff(app: &TestApp, client: &Client, number: &str) -> Value {
    let case = create_case(app, client, number).await;
    let response = create_hearing(
        app,
        client,
        &case["id"],
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111"}]),
    )
    .await;
    json(response, StatusCode::CREATED).await
}

async fn clerk_schedules_a_hearing_with_participants(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let case = create_case(app, &clerk, "(2026)京0107民初1号").await;
    assert_eq!(case["case_number"], "(2026)京0107民初1号");

    let scheduled = tomorrow_local();
    let response = create_hearing(
        app,
        &clerk,
        &case["id"],
        json!([
            {"name": "贾1", "role": "plaintiff", "phone": "138 0000 1111"},
            {"name": "王2", "role": "defendant", "phone": "+86 139-0000-2222", "id_number": "11010519491231002X"},
        ]),
    )
    .await;
    let hearing = json(response, StatusCode::CREATED).await;
    let number = hearing["meeting_number"].as_str().expect("meeting number");
    assert_eq!(number.len(), 8);
    assert!(number.chars().all(|c| c.is_ascii_digit()), "{number}");
    assert_eq!(hearing["state"], "scheduled");
    assert_eq!(hearing["scheduled_local"], scheduled.replace('T', " "));
    assert_eq!(hearing["allowed_transitions"], json!(["open", "cancel"]));
    assert_eq!(
        hearing["bench"],
        json!([
            {"user_id": app.judge.id, "display_name": "许1", "role": "presiding_judge"},
            {"user_id": app.clerk.id, "display_name": "梁1", "role": "clerk"},
        ])
    );
    let participants = hearing["participants"].as_array().expect("participants");
    assert_eq!(participants.len(), 2);
    assert_eq!(participants[0]["phone"], "13800001111");
    assert_eq!(participants[0]["phone_masked"], "138****1111");
    assert_eq!(participants[1]["phone"], "13900002222");
    assert_eq!(participants[1]["id_number"], "11010519491231002X");

    // A participant added later appears in the detail and the list's count.
    let response = clerk
        .post(app.url(&format!("/api/v1/hearings/{}/participants", id(&hearing))))
        .json(&json!({"name": "李3", "role": "agent", "phone": "13700003333"}))
        .send()
        .await
        .expect("request");
    let agent = json(response, StatusCode::CREATED).await;
    assert_eq!(agent["role"], "agent");

    let list = get_ok(&clerk, app.url("/api/v1/hearings")).await;
    let listed = list
        .as_array()
        .and_then(|items| items.iter().find(|h| h["id"] == hearing["id"]))
        .expect("hearing listed");
    assert_eq!(listed["meeting_number"], number);
    assert_eq!(listed["participant_count"], 3);
    assert_eq!(listed["case_number"], "(2026)京0107民初1号");
    assert_eq!(listed["cause"], "民间借贷纠纷");

    // The judge of the same court sees the same hearing.
    let judge = app.login("judge").await;
    let url = app.url(&format!("/api/v1/hearings/{}", id(&hearing)));
    let seen = get_ok(&judge, &url).await;
    assert_eq!(seen["meeting_number"], number);
    assert_eq!(seen["participants"].as_array().map(Vec::len), Some(3));

    // A second case number that is the same is refused.
    let response = clerk
        .post(app.url("/api/v1/cases"))
        .json(&json!({"case_number": "(2026)京0107民初1号", "cause": "另一案由"}))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "case_number_taken");
}

async fn the_hearing_lifecycle_and_rescheduling(app: &TestApp) {
    let judge = app.login("judge").await;
    let hearing = hearing_with_plaintiff(app, &judge, "(2026)京0107民初2号").await;
    let hearing_id = id(&hearing).to_owned();
    let transition = |name: &'static str| {
        let judge = judge.clone();
        let url = app.url(&format!("/api/v1/hearings/{hearing_id}/transitions"));
        async move {
            judge
                .post(url)
                .json(&json!({"transition": name}))
                .send()
                .await
                .expect("request")
        }
    };

    // Closing a hearing that never opened is refused, and changes nothing.
    let audit_before = app.audit_rows().await;
    let body = problem(transition("close").await, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "transition_not_allowed");
    assert_eq!(body["message"]["zh-CN"], "庭审当前状态为“已排期”，不能闭庭");
    assert_eq!(app.audit_rows().await, audit_before);

    let body = problem(
        transition("teleport").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "transition");

    // Reschedule while scheduled.
    let response = judge
        .patch(app.url(&format!("/api/v1/hearings/{hearing_id}")))
        .json(&json!({"scheduled_at": "2099-01-01T09:00"}))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["field"], "scheduled_at");
    let later = chrono::Utc::now() + chrono::Duration::days(3);
    let response = judge
        .patch(app.url(&format!("/api/v1/hearings/{hearing_id}")))
        .json(&json!({"scheduled_at": later.to_rfc3339()}))
        .send()
        .await
        .expect("request");
    let moved = json(response, StatusCode::OK).await;
    let moved_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(moved["scheduled_at"].clone()).expect("time");
    assert!(
        (moved_at - later).num_milliseconds().abs() < 1,
        "{moved_at} vs {later}"
    );

    for (name, state, allowed) in [
        ("open", "open", json!(["start", "cancel"])),
        ("start", "in_session", json!(["recess", "close"])),
        ("recess", "recess", json!(["resume", "close"])),
        ("resume", "in_session", json!(["recess", "close"])),
        ("close", "closed", json!(["archive"])),
    ] {
        let hearing = json(transition(name).await, StatusCode::OK).await;
        assert_eq!(hearing["state"], state, "after {name}");
        assert_eq!(hearing["allowed_transitions"], allowed, "after {name}");
    }
    // A closed hearing can no longer be rescheduled or change participants.
    let response = judge
        .patch(app.url(&format!("/api/v1/hearings/{hearing_id}")))
        .json(&json!({"scheduled_at": later.to_rfc3339()}))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::CONFLICT).await;
    let response = judge
        .post(app.url(&format!("/api/v1/hearings/{hearing_id}/participants")))
        .json(&json!({"name": "迟到", "role": "witness", "phone": "13600006666"}))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "hearing_finished");

    let archived = json(transition("archive").await, StatusCode::OK).await;
    assert_eq!(archived["state"], "archived");
    assert_eq!(archived["allowed_transitions"], json!([]));

    // Two people pressing 开放候庭 at once: one wins, the other is told why.
    let hearing = hearing_with_plaintiff(app, &judge, "(2026)京0107民初3号").await;
    let url = app.url(&format!("/api/v1/hearings/{}/transitions", id(&hearing)));
    let clerk = app.login("clerk").await;
    let (a, b) = tokio::join!(
        judge.post(&url).json(&json!({"transition": "open"})).send(),
        clerk.post(&url).json(&json!({"transition": "open"})).send(),
    );
    let mut statuses = vec![a.expect("a").status(), b.expect("b").status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT]);
}

async fn participants_are_edited_and_removed(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with_plaintiff(app, &clerk, "(2026)京0107民初4号").await;
    let hearing_id = id(&hearing);
    let plaintiff = &hearing["participants"][0];
    let url = app.url(&format!(
        "/api/v1/hearings/{hearing_id}/participants/{}",
        id(plaintiff)
    ));

    let edited = json(
        clerk
            .patch(&url)
            .json(&json!({"name": "贾一", "role": "plaintiff", "phone": "13800009999"}))
            .send()
            .await
            .expect("request"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["name"], "贾一");
    assert_eq!(edited["phone"], "13800009999");
    assert_eq!(edited["id"], plaintiff["id"]);

    // A second participant may not take the same phone.
    let response = clerk
        .post(app.url(&format!("/api/v1/hearings/{hearing_id}/participants")))
        .json(&json!({"name": "王2", "role": "defendant", "phone": "13800009999"}))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "phone_taken");

    // A participant without a phone is allowed (the court may add it later).
    let response = clerk
        .post(app.url(&format!("/api/v1/hearings/{hearing_id}/participants")))
        .json(&json!({"name": "赵5", "role": "witness", "phone": ""}))
        .send()
        .await
        .expect("request");
    let witness = json(response, StatusCode::CREATED).await;
    assert_eq!(witness["phone"], Value::Null);

    let response = clerk.delete(&url).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = clerk.delete(&url).send().await.expect("request");
    problem(response, StatusCode::NOT_FOUND).await;

    let detail = get_ok(&clerk, app.url(&format!("/api/v1/hearings/{hearing_id}"))).await;
    let names: Vec<&str> = detail["participants"]
        .as_array()
        .map(|items| items.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["赵5"]);
}

async fn malformed_and_incomplete_bodies_are_refused(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let uploader = app.login("clerk").await;
    let audit_before = app.audit_rows().await;
    let post = |body: String| {
        clerk
            .post(app.url("/api/v1/cases"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let body = problem(
        post("{\"case_number\": ".into()).await.expect("request"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "malformed_json");
    let body = problem(
        post("{\"case_number\": \"(2026)1号\"}".into())
            .await
            .expect("request"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["code"], "invalid_body");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("cause"),
        "{body}"
    );
    let body = problem(
        post("{\"case_number\": 12, \"cause\": \"x\"}".into())
            .await
            .expect("request"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["code"], "invalid_body");
    let body = problem(
        post("{\"case_number\": \"  \", \"cause\": \"x\"}".into())
            .await
            .expect("request"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["field"], "case_number");
    assert_eq!(body["message"]["zh-CN"], "案号不能为空");

    // An oversized body is refused before it is read whole.
    let huge = format!(
        "{{\"case_number\": \"x\", \"cause\": \"{}\"}}",
        "长".repeat(100_000)
    );
    // Sent on its own connection: the server answers before reading the body and then
    // closes that connection, which a pooled client would otherwise reuse.
    let response = uploader
        .post(app.url("/api/v1/cases"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(body["code"], "body_too_large");

    let response = clerk
        .post(app.url("/api/v1/cases"))
        .header("content-type", "text/plain")
        .body("case")
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let response = clerk
        .get(app.url("/api/v1/hearings/not-a-uuid"))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::BAD_REQUEST).await;
    let response = clerk
        .get(app.url(&format!("/api/v1/hearings/{}", uuid::Uuid::now_v7())))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(body["message"]["zh-CN"], "庭审不存在");
    let response = clerk
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::NOT_FOUND).await;

    let cases = get_ok(&clerk, app.url("/api/v1/cases")).await;
    assert_eq!(cases, json!([]), "nothing was created");
    assert_eq!(
        app.audit_rows().await,
        audit_before,
        "nothing was audited as done"
    );
}

async fn invalid_participants_write_nothing(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let case = create_case(app, &clerk, "(2026)京0107民初5号").await;
    let audit_before = app.audit_rows().await;

    let cases = [
        (
            json!([{"name": "贾1", "role": "plaintiff", "phone": "12345"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone",
        ),
        (
            json!([{"name": "贾1", "role": "judgee", "phone": "13800001111"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "role",
        ),
        (
            json!([{"name": "贾1", "role": "clerk", "phone": "13800001111"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "role",
        ),
        (
            json!([{"name": "", "role": "plaintiff", "phone": "13800001111"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!([{"name": "贾1", "role": "plaintiff", "phone": "13800001111", "id_number": "110105194912310021"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "id_number",
        ),
        // Valid one by one, but two people share a phone: the database refuses the
        // second row and the whole hearing is rolled back.
        (
            json!([
                {"name": "贾1", "role": "plaintiff", "phone": "13800001111"},
                {"name": "王2", "role": "defendant", "phone": "13800001111"},
            ]),
            StatusCode::CONFLICT,
            "phone",
        ),
    ];
    for (participants, status, field) in cases {
        let body = problem(
            create_hearing(app, &clerk, &case["id"], participants).await,
            status,
        )
        .await;
        assert_eq!(body["field"], field, "{body}");
    }
    let body = problem(
        create_hearing(
            app,
            &clerk,
            &case["id"],
            json!([{"name": "贾1", "role": "plaintiff", "phone": "12345"}]),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["message"]["zh-CN"], "请输入有效的11位中国大陆手机号码");

    // A bench that is not right is refused as well.
    let response = clerk
        .post(app.url("/api/v1/hearings"))
        .json(&json!({"case_id": case["id"], "scheduled_at": tomorrow_local(), "judge_ids": [app.clerk.id], "clerk_id": app.judge.id}))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["field"], "judge_ids");
    let response = clerk
        .post(app.url("/api/v1/hearings"))
        .json(&json!({"case_id": case["id"], "scheduled_at": tomorrow_local(), "judge_ids": [], "clerk_id": app.clerk.id}))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    let hearings = get_ok(&clerk, app.url("/api/v1/hearings")).await;
    assert_eq!(hearings, json!([]), "no hearing was half-written");
    assert_eq!(app.audit_rows().await, audit_before);

    // Adding one bad participant to a real hearing leaves it as it was.
    let hearing = hearing_with_plaintiff(app, &clerk, "(2026)京0107民初6号").await;
    let url = app.url(&format!("/api/v1/hearings/{}/participants", id(&hearing)));
    for (body, field) in [
        (
            json!({"name": "王2", "role": "defendant", "phone": "02-1234"}),
            "phone",
        ),
        (
            json!({"name": "王2", "role": "lawyerish", "phone": "13900002222"}),
            "role",
        ),
    ] {
        let answer = problem(
            clerk.post(&url).json(&body).send().await.expect("request"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(answer["field"], field);
    }
    let response = clerk
        .post(&url)
        .json(&json!({"role": "defendant"}))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let detail = get_ok(
        &clerk,
        app.url(&format!("/api/v1/hearings/{}", id(&hearing))),
    )
    .await;
    assert_eq!(detail["participants"].as_array().map(Vec::len), Some(1));
}

async fn another_courts_staff_are_kept_out(app: &TestApp) {
    let clerk = app.login("clerk").await;
    let hearing = hearing_with_plaintiff(app, &clerk, "(2026)京0107民初7号").await;
    let hearing_id = id(&hearing);
    let participant = hearing["participants"][0]["id"]
        .as_str()
        .expect("participant");
    let intruder = app.login("other-clerk").await;
    let audit_before = app.audit_rows().await;

    let attempts = [
        intruder.get(app.url(&format!("/api/v1/hearings/{hearing_id}"))),
        intruder
            .post(app.url(&format!("/api/v1/hearings/{hearing_id}/transitions")))
            .json(&json!({"transition": "open"})),
        intruder
            .patch(app.url(&format!("/api/v1/hearings/{hearing_id}")))
            .json(&json!({"scheduled_at": tomorrow_local()})),
        intruder
            .post(app.url(&format!("/api/v1/hearings/{hearing_id}/participants")))
            .json(&json!({"name": "冒名", "role": "plaintiff", "phone": "13500005555"})),
        intruder
            .patch(app.url(&format!(
                "/api/v1/hearings/{hearing_id}/participants/{participant}"
            )))
            .json(&json!({"name": "冒名", "role": "plaintiff", "phone": "13500005555"})),
        intruder.delete(app.url(&format!(
            "/api/v1/hearings/{hearing_id}/participants/{participant}"
        ))),
        intruder.get(app.url(&format!(
            "/api/v1/cases/{}",
            hearing["case"]["id"].as_str().unwrap_or_default()
        ))),
        // Scheduling a hearing on the other court's case.
        intruder.post(app.url("/api/v1/hearings")).json(&json!({
            "case_id": hearing["case"]["id"], "scheduled_at": tomorrow_local(),
            "judge_ids": [app.judge.id], "clerk_id": app.other_clerk.id,
        })),
    ];
    for attempt in attempts {
        let body = problem(
            attempt.send().await.expect("request"),
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(body["code"], "forbidden");
    }
    // The other court's lists do not show this court's records.
    let list = get_ok(&intruder, app.url("/api/v1/hearings")).await;
    assert_eq!(list, json!([]));
    let staff = get_ok(&intruder, app.url("/api/v1/staff")).await;
    assert_eq!(staff.as_array().map(Vec::len), Some(1));

    assert_eq!(app.audit_rows().await, audit_before);
    let detail = get_ok(&clerk, app.url(&format!("/api/v1/hearings/{hearing_id}"))).await;
    assert_eq!(detail["state"], "scheduled");
    assert_eq!(detail["participants"][0]["name"], "贾1");
}

async fn roles_are_enforced(app: &TestApp) {
    // Without a session, nothing but sign-in.
    let anonymous = TestApp::client();
    for path in [
        "/api/v1/me",
        "/api/v1/cases",
        "/api/v1/hearings",
        "/api/v1/staff",
    ] {
        let body = problem(
            anonymous.get(app.url(path)).send().await.expect("request"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(body["code"], "unauthenticated");
        assert_eq!(body["message"]["zh-CN"], "请先登录");
    }
    // The administrator manages accounts but runs no hearing.
    let admin = app.login("admin").await;
    let response = admin
        .post(app.url("/api/v1/cases"))
        .json(&json!({"case_number": "(2026)京0107民初8号", "cause": "合同纠纷"}))
        .send()
        .await
        .expect("request");
    let body = problem(response, StatusCode::FORBIDDEN).await;
    assert_eq!(body["message"]["zh-CN"], "您无权执行此操作");
    let clerk = app.login("clerk").await;
    let hearing = hearing_with_plaintiff(app, &clerk, "(2026)京0107民初9号").await;
    let response = admin
        .post(app.url(&format!("/api/v1/hearings/{}/transitions", id(&hearing))))
        .json(&json!({"transition": "open"}))
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::FORBIDDEN).await;
    // … and may look.
    let seen = get_ok(
        &admin,
        app.url(&format!("/api/v1/hearings/{}", id(&hearing))),
    )
    .await;
    assert_eq!(seen["id"], hearing["id"]);
    let me = get_ok(&admin, app.url("/api/v1/me")).await;
    assert_eq!(me["user"]["role"], "admin");
    assert_eq!(me["court"]["name"], "北京市石景山区人民法院");
}

async fn sign_in_is_safe(app: &TestApp) {
    // Stored as argon2id.
    let (_, hash) = app
        .store
        .user_credentials("clerk")
        .await
        .expect("store")
        .expect("clerk exists");
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    // The cookie is HttpOnly and SameSite=Strict.
    let client = TestApp::client();
    let response = client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "Clerk", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(cookie.starts_with("cc_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !hash.contains(
            cookie
                .trim_start_matches("cc_session=")
                .split(';')
                .next()
                .unwrap_or("?")
        )
    );

    // Signing out ends the session on the server, not only in the browser.
    let token = cookie
        .trim_start_matches("cc_session=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let response = client
        .delete(app.url("/api/v1/session"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let replay = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("cc_session={token}"))
        .send()
        .await
        .expect("request");
    problem(replay, StatusCode::UNAUTHORIZED).await;

    // Wrong credentials: the same answer for a wrong password and an unknown user.
    let wrong = |username: &'static str, password: &'static str| {
        TestApp::client()
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": username, "password": password}))
            .send()
    };
    let unknown = problem(
        wrong("nobody", "whatever1").await.expect("request"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let bad = problem(
        wrong("judge", "whatever1").await.expect("request"),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(unknown["message"], bad["message"]);
    assert_eq!(bad["message"]["zh-CN"], "用户名或密码错误");

    // After five failures the account is locked, even for the right password.
    for _ in 0..4 {
        problem(
            wrong("judge", "whatever2").await.expect("request"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let response = wrong("judge", PASSWORD).await.expect("request");
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["code"], "too_many_attempts");
    assert!(
        body["message"]["zh-CN"]
            .as_str()
            .unwrap_or_default()
            .contains("分钟后再试"),
        "{body}"
    );
    // Other accounts are not locked by it.
    app.login("clerk").await;

    let failures = app.store.audit_events(0, 1000).await.expect("audit");
    assert!(
        failures
            .iter()
            .filter(|e| e.action == "session.login_failed")
            .count()
            >= 6
    );
}

async fn operations_endpoints_answer(app: &TestApp) {
    let client = TestApp::client();
    let health = get_ok(&client, app.url("/healthz")).await;
    assert_eq!(health["status"], "ok");

    let openapi = get_ok(&client, app.url("/api/openapi.json")).await;
    for path in [
        "/api/v1/session",
        "/api/v1/cases",
        "/api/v1/hearings",
        "/api/v1/hearings/{id}",
        "/api/v1/hearings/{id}/transitions",
        "/api/v1/hearings/{id}/participants",
        "/api/v1/hearings/{id}/participants/{pid}",
    ] {
        assert!(openapi["paths"][path].is_object(), "OpenAPI lacks {path}");
    }

    app.login("clerk").await;
    let metrics = client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("cloudcourt_http_requests_total{method=\"POST\",route=\"/api/v1/session\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("# TYPE cloudcourt_http_request_duration_seconds histogram"));

    let console = client
        .get(app.url("/console/"))
        .send()
        .await
        .expect("request");
    assert_eq!(console.status(), StatusCode::OK);
    assert!(
        console.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .contains("default-src 'self'")
    );
    assert_eq!(
        console.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(console.text().await.expect("html").contains("<cc-console"));

    // The short links of the SMS and the personal join link serve their pages.
    for (path, page) in [
        ("/d/91951413", "client"),
        ("/d", "client"),
        ("/join/91951413", "join"),
        ("/join/", "join"),
    ] {
        let response = client.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.expect("html");
        assert!(
            html.contains(&format!("/{page}/app.js")),
            "{path} serves the {page} page"
        );
        // … and the page's own files are files, not the page again.
        let script = client
            .get(app.url(&format!("/{page}/app.js")))
            .send()
            .await
            .expect("request");
        assert_eq!(
            script.headers()["content-type"],
            "text/javascript; charset=utf-8",
            "/{page}/app.js"
        );
    }
    let outbox = &openapi["paths"]["/api/v1/sms/outbox"]["get"]["parameters"];
    assert!(
        outbox.as_array().is_some_and(|ps| ps
            .iter()
            .all(|p| p["in"] == "query" && p["required"] != true)),
        "{outbox}"
    );
}
