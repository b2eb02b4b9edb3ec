//! Two nodes on one PostgreSQL database (cluster mode): a party connected to one node and
//! the clerk to the other see each other in the roster and every state change and
//! transcript version, numbered alike on both nodes; the hearing's live connections are
//! served by the node its media was placed on (the other proxies them); a node whose
//! listening connection to the database is cut reads what it missed when it is back; an
//! evidence upload's chunks reach the node it is staged on from either node.
//! PostgreSQL only: SQLite serves one node.

mod common;

use common::{TestApp, connect_live, id, join, json, next_live, staff_session};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

/// The next message of `kind` on `socket`, skipping others; panics after `WAIT`.
async fn expect(socket: &mut common::LiveSocket, kind: &str, what: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_live(socket, left).await {
            Some(message) if message["type"] == kind => return message,
            Some(_) => continue,
            None => panic!("{what}: no {kind} message within {WAIT:?}"),
        }
    }
}

/// The next roster on `socket` in which `check` holds.
async fn roster_where(
    socket: &mut common::LiveSocket,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_live(socket, left).await {
            Some(message)
                if matches!(message["type"].as_str(), Some("roster" | "snapshot"))
                    && check(message["members"].as_array().map_or(&[], Vec::as_slice)) =>
            {
                return message;
            }
            Some(_) => continue,
            None => panic!("{what}: no such roster within {WAIT:?}"),
        }
    }
}

fn connected(members: &[Value], name: &str) -> bool {
    members
        .iter()
        .any(|m| m["name"] == name && m["connected"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_serve_one_hearing() {
    let Some(app) = TestApp::spawn(common::Backend::Postgres).await else {
        return;
    };
    let node_b = app.restarted().await;
    let (clerk, clerk_cookie) = staff_session(&app, "clerk").await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let hearing = common::schedule(
        &app,
        &clerk,
        "(2026)京0107民初3001号",
        &at,
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800000001"}]),
    )
    .await;
    let transition = |base: String, kind: &'static str| {
        let clerk = clerk.clone();
        let url = format!("{base}/api/v1/hearings/{}/transitions", id(&hearing));
        async move {
            json(
                clerk
                    .post(url)
                    .json(&json!({"transition": kind}))
                    .send()
                    .await
                    .expect("request"),
                StatusCode::OK,
            )
            .await
        }
    };
    transition(app.base.clone(), "open").await;
    let (_party, party_cookie) = join(&app, &hearing, "13800000001").await;

    // The clerk's connection places the hearing on node A; the party's reaches node B,
    // which proxies it to A.
    let mut clerk_live = connect_live(&app.base, &clerk_cookie, id(&hearing)).await;
    expect(&mut clerk_live, "snapshot", "the clerk on A").await;
    let mut party_live = connect_live(&node_b.base, &party_cookie, id(&hearing)).await;
    expect(&mut party_live, "welcome", "the party on B").await;
    roster_where(&mut party_live, "the party on B sees the clerk", |m| {
        connected(m, "梁1") && connected(m, "贾1")
    })
    .await;
    roster_where(&mut clerk_live, "the clerk on A sees the party", |m| {
        connected(m, "贾1")
    })
    .await;
    let placed: Vec<(String,)> = sqlx::query_as(
        "SELECT n.url FROM hearing_placements p JOIN cluster_nodes n ON n.id = p.node_id \
         WHERE p.hearing_id = $1::uuid",
    )
    .bind(id(&hearing))
    .fetch_all(&pool(&app).await)
    .await
    .expect("placements");
    assert_eq!(
        placed,
        vec![(app.base.clone(),)],
        "the hearing runs on node A"
    );

    // A state change made on node B and a transcript version saved on node A reach both,
    // with the same numbers.
    transition(node_b.base.clone(), "start").await;
    let on_a = expect(&mut clerk_live, "state", "the clerk sees 开庭").await;
    let on_b = expect(&mut party_live, "state", "the party sees 开庭").await;
    assert_eq!(on_a["hearing"]["state"], "in_session");
    assert_eq!(on_a, on_b, "one message, one number, on both nodes");
    let saved = clerk
        .put(app.url(&format!("/api/v1/hearings/{}/transcript", id(&hearing))))
        .json(&json!({"base_version": 0, "save_id": uuid::Uuid::new_v4(),
            "entries": [{"role": "clerk", "name": "梁1", "text": "现在开庭。"}]}))
        .send()
        .await
        .expect("request");
    json(saved, StatusCode::OK).await;
    let on_b = expect(&mut party_live, "transcript", "the party sees the version").await;
    assert_eq!(on_b["version"], 1);
    assert_eq!(
        expect(&mut clerk_live, "transcript", "the clerk sees it").await,
        on_b
    );

    // The listening connections are cut while a message is published: each node reads
    // it from the log when its listener is back.
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(&pool(&app).await)
    .await
    .expect("cut the listeners");
    assert!(cut >= 2, "both nodes listen ({cut} listeners cut)");
    transition(node_b.base.clone(), "recess").await;
    assert_eq!(
        expect(&mut party_live, "state", "after the cut").await["hearing"]["state"],
        "recess"
    );
    let last = expect(&mut clerk_live, "state", "after the cut, on A").await;
    assert_eq!(last["hearing"]["state"], "recess");

    // A client reconnecting to the other node catches up by number.
    drop(party_live);
    transition(app.base.clone(), "resume").await;
    let since = last["seq"].as_u64().expect("numbered");
    let mut again = connect_live_since(&app.base, &party_cookie, id(&hearing), since).await;
    expect(&mut again, "welcome", "the party back, on A").await;
    let replayed = expect(&mut again, "state", "the missed state").await;
    assert_eq!(replayed["hearing"]["state"], "in_session");
    assert!(replayed["seq"].as_u64() > Some(since));

    // An upload begun on node A goes on through node B: its chunks reach the node that
    // staged it, and the finished item is one, with the file's hash.
    let text = "原告提交的借条照片说明。\n".repeat(2000).into_bytes();
    let created = json(
        clerk
            .post(app.url(&format!("/api/v1/hearings/{}/evidence/uploads", id(&hearing))))
            .json(&json!({"file_name": "说明.txt", "size": text.len(), "title": "借条说明", "purpose": "证明借款事实"}))
            .send()
            .await
            .expect("request"),
        StatusCode::CREATED,
    )
    .await;
    let upload_url = format!("{}/api/v1/evidence/uploads/{}", node_b.base, id(&created));
    let half = text.len() / 2;
    let mut finished = Value::Null;
    for (offset, chunk) in [(0, &text[..half]), (half, &text[half..])] {
        finished = json(
            clerk
                .patch(&upload_url)
                .header("upload-offset", offset.to_string())
                .header("content-type", "application/offset+octet-stream")
                .body(chunk.to_vec())
                .send()
                .await
                .expect("request"),
            StatusCode::OK,
        )
        .await;
    }
    let expected = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&text))
    };
    assert_eq!(
        finished["evidence"]["sha256"],
        expected.as_str(),
        "{finished}"
    );
    let evidence = expect(&mut clerk_live, "evidence", "the clerk sees the item").await;
    assert!(
        evidence.to_string().contains(id(&finished["evidence"])),
        "{evidence}"
    );

    drop(again);
    drop(clerk_live);
    node_b.stop().await;
    app.finish().await;
}

async fn pool(app: &TestApp) -> sqlx::PgPool {
    let url = app.config.database_url.as_deref().expect("PostgreSQL");
    sqlx::PgPool::connect(url).await.expect("connect")
}

async fn connect_live_since(
    base: &str,
    cookie: &str,
    hearing_id: &str,
    since: u64,
) -> common::LiveSocket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/api/v1/hearings/{hearing_id}/live?since={since}",
        base.replace("http://", "ws://")
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
