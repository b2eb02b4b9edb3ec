//! The ICE servers a browser gets before it calls the SFU: each configured TURN server
//! with coturn `use-auth-secret` credentials made for this viewer (expiring, and checked
//! here the way coturn checks them), a STUN entry without any; only the hearing's own
//! participants and its court's staff may ask.

mod common;

use base64::Engine as _;
use cloudcourt::config::TurnSettings;
use common::{Backend, TestApp, get_ok, id, join, problem};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "coturn-static-auth-secret";

fn with_turn(config: &mut cloudcourt::config::Config) {
    config.media.turn = vec![
        TurnSettings {
            urls: vec![
                "turn:turn.court.example:3478".into(),
                "turns:turn.court.example:443?transport=tcp".into(),
            ],
            secret: Some(SECRET.into()),
            ttl_seconds: 3600,
        },
        TurnSettings {
            urls: vec!["stun:stun.court.example:3478".into()],
            secret: None,
            ttl_seconds: 3600,
        },
    ];
}

/// What coturn does with a REST-API username: recompute the password, check the expiry.
fn coturn_accepts(username: &str, credential: &str) -> bool {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(username.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let expiry: i64 = username
        .split(':')
        .next()
        .and_then(|t| t.parse().ok())
        .expect("the username starts with the expiry");
    expected == credential && expiry > chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_get_their_own_expiring_turn_credentials() {
    let app = TestApp::spawn_with(Backend::Sqlite, with_turn)
        .await
        .expect("SQLite is always there");
    let clerk = app.login("clerk").await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let hearing = common::schedule(
        &app,
        &clerk,
        "（2026）京0107民初21号",
        &at,
        json!([{"name": "贾1", "role": "plaintiff", "phone": "13800000021"}]),
    )
    .await;
    let url = app.url(&format!(
        "/api/v1/hearings/{}/media/ice-servers",
        id(&hearing)
    ));

    let staff: Value = get_ok(&clerk, url.clone()).await;
    let (party, _) = join(&app, &hearing, "13800000021").await;
    let theirs: Value = get_ok(&party, url.clone()).await;
    for answer in [&staff, &theirs] {
        let servers = answer["ice_servers"].as_array().expect("a list");
        assert_eq!(servers.len(), 2);
        let turn = &servers[0];
        assert_eq!(
            turn["urls"][1],
            "turns:turn.court.example:443?transport=tcp"
        );
        let username = turn["username"].as_str().expect("a username");
        let credential = turn["credential"].as_str().expect("a credential");
        assert!(
            coturn_accepts(username, credential),
            "coturn takes {username}"
        );
        let expiry: i64 = username
            .split(':')
            .next()
            .and_then(|t| t.parse().ok())
            .expect("expiry");
        let left = expiry - chrono::Utc::now().timestamp();
        assert!(
            (3500..=3600).contains(&left),
            "valid for the configured hour: {left} s"
        );
        assert!(
            servers[1].get("username").is_none(),
            "STUN has no credentials"
        );
    }
    let staff_user = staff["ice_servers"][0]["username"]
        .as_str()
        .expect("username");
    let party_user = theirs["ice_servers"][0]["username"]
        .as_str()
        .expect("username");
    assert!(staff_user.contains(":staff-") && party_user.contains(":participant-"));
    assert_ne!(
        staff_user, party_user,
        "each viewer has credentials of their own"
    );

    // Nobody else: no session, or another court's staff.
    let stranger = TestApp::client();
    let refused = stranger.get(url.clone()).send().await.expect("request");
    problem(refused, StatusCode::UNAUTHORIZED).await;
    let other = app.login("other-clerk").await;
    let refused = other.get(url).send().await.expect("request");
    problem(refused, StatusCode::FORBIDDEN).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_turn_servers_the_list_is_empty() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite");
    let clerk = app.login("clerk").await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let hearing = common::schedule(&app, &clerk, "（2026）京0107民初22号", &at, json!([])).await;
    let url = app.url(&format!(
        "/api/v1/hearings/{}/media/ice-servers",
        id(&hearing)
    ));
    let answer: Value = get_ok(&clerk, url).await;
    assert_eq!(answer, json!({"ice_servers": []}));
    app.finish().await;
}
