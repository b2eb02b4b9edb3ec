//! The Aliyun and Tencent drivers against local stand-ins for the providers' SMS APIs. Each
//! stand-in re-derives the request signature from what it received, following the
//! provider's documentation step by step (never through the driver's own signing code, so a
//! driver bug cannot hide behind itself), checks the message's parameters, and answers the
//! way the provider does.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sms::aliyun::{AliyunConfig, AliyunDriver};
use sms::tencent::{TencentConfig, TencentDriver};
use sms::{Driver, Kind, Message, SendError};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const KEY_ID: &str = "LTAI5tTestKeyId";
const SECRET: &str = "the-right-secret";
const SIGN_NAME: &str = "北京云法庭";
const PHONE: &str = "13800138000";

/// One stand-in provider: the credentials it knows, whether it is throttling, and the
/// parameters of every request whose signature it accepted.
struct StandIn {
    throttling: AtomicBool,
    requests: Mutex<usize>,
    accepted: Mutex<Vec<Value>>,
}

impl StandIn {
    fn new() -> Arc<Self> {
        Arc::new(StandIn {
            throttling: AtomicBool::new(false),
            requests: Mutex::new(0),
            accepted: Mutex::new(Vec::new()),
        })
    }
    fn requests(&self) -> usize {
        *self.requests.lock().expect("stand-in lock")
    }
    fn accepted(&self) -> Vec<Value> {
        self.accepted.lock().expect("stand-in lock").clone()
    }
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("stand-in server")
    });
    address
}

/// A loopback address with nothing listening on it.
fn closed_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("bound address")
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

/// The hearing invitation in Chinese, with characters that URL encoders disagree on.
fn invitation() -> Message {
    let params = [
        ("name", "张三"),
        ("case", "(2024)京0107民初123号"),
        ("date", "2024年5月20日"),
        ("time", "09:30"),
        ("url", "https://court.example/j/12345678?a=1&b=*~ +"),
    ];
    Message {
        id: uuid::Uuid::now_v7(),
        phone: PHONE.to_owned(),
        text: "【北京云法庭】张三：您好，(2024)京0107民初123号案件定于2024年5月20日09:30在线开庭。"
            .to_owned(),
        kind: Kind::Invitation,
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------
// Aliyun: V3 signature (ACS3-HMAC-SHA256), "V3版本请求体&签名机制".

/// RFC 3986 as the Aliyun document states it: A–Z a–z 0–9 `-` `_` `.` `~` as they are,
/// every other UTF-8 byte as `%XY` in upper case.
fn aliyun_encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn decode(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|e| format!("query is not UTF-8: {e}"))
}

/// Checks the request's Authorization the way the document describes it; on success returns
/// the decoded query parameters.
fn aliyun_verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<BTreeMap<String, String>, (&'static str, String)> {
    let mismatch = |why: String| {
        (
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation: {why}"),
        )
    };
    let authorization = header(headers, "authorization");
    let fields = authorization
        .strip_prefix("ACS3-HMAC-SHA256 ")
        .ok_or_else(|| {
            (
                "IncompleteSignature",
                format!("unknown signature algorithm in `{authorization}`"),
            )
        })?;
    let field = |name: &str| {
        fields
            .split(',')
            .find_map(|part| {
                part.trim()
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('='))
            })
            .unwrap_or("")
    };
    if field("Credential") != KEY_ID {
        return Err((
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.".to_owned(),
        ));
    }
    let signed_headers: Vec<&str> = field("SignedHeaders").split(';').collect();
    // "除Authorization外的所有RequestHeader，只要符合要求都必须被加入签名": host, content-type, x-acs-*.
    for name in headers.keys().map(|name| name.as_str()) {
        if (name == "host" || name == "content-type" || name.starts_with("x-acs-"))
            && !signed_headers.contains(&name)
        {
            return Err(mismatch(format!("header {name} is not signed")));
        }
    }
    for required in [
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ] {
        if !signed_headers.contains(&required) {
            return Err(mismatch(format!("header {required} is missing")));
        }
    }
    let hashed_payload = sha256_hex(body);
    if header(headers, "x-acs-content-sha256") != hashed_payload {
        return Err(mismatch(
            "x-acs-content-sha256 is not the body's hash".to_owned(),
        ));
    }
    let date = chrono::DateTime::parse_from_rfc3339(header(headers, "x-acs-date"))
        .map_err(|e| ("InvalidTimeStamp.Format", format!("x-acs-date: {e}")))?;
    if (chrono::Utc::now() - date.to_utc()).num_minutes().abs() > 15 {
        return Err((
            "InvalidTimeStamp.Expired",
            "x-acs-date is more than 15 minutes off".to_owned(),
        ));
    }

    // CanonicalQueryString: decode what arrived, sort by name, encode name and value again.
    let mut parameters = Vec::new();
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        parameters.push((
            decode(name).map_err(mismatch)?,
            decode(value).map_err(mismatch)?,
        ));
    }
    parameters.sort();
    let canonical_query = parameters
        .iter()
        .map(|(name, value)| format!("{}={}", aliyun_encode(name), aliyun_encode(value)))
        .collect::<Vec<_>>()
        .join("&");

    let mut sorted_names = signed_headers.clone();
    sorted_names.sort();
    let canonical_headers = sorted_names
        .iter()
        .map(|name| format!("{name}:{}\n", header(headers, name).trim()))
        .collect::<String>();
    let canonical_request = format!(
        "{method}\n{}\n{canonical_query}\n{canonical_headers}\n{}\n{hashed_payload}",
        uri.path(),
        sorted_names.join(";")
    );
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let expected = hex::encode(hmac_sha256(SECRET.as_bytes(), string_to_sign.as_bytes()));
    if field("Signature") != expected {
        return Err(mismatch(format!(
            "server string to sign is: {string_to_sign}"
        )));
    }
    Ok(parameters.into_iter().collect())
}

async fn aliyun_api(
    State(stand_in): State<Arc<StandIn>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    *stand_in.requests.lock().expect("stand-in lock") += 1;
    let request_id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let error = |status: StatusCode, code: &str, message: &str| {
        (status, axum::Json(json!({ "RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": message })))
            .into_response()
    };
    let parameters = match aliyun_verify(&method, &uri, &headers, &body) {
        Ok(parameters) => parameters,
        Err((code, message)) => {
            let status = if code.starts_with("InvalidAccessKeyId") {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            };
            return error(status, code, &message);
        }
    };
    if header(&headers, "x-acs-action") != "SendSms"
        || header(&headers, "x-acs-version") != "2017-05-25"
    {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        );
    }
    stand_in
        .accepted
        .lock()
        .expect("stand-in lock")
        .push(json!(parameters));
    let get = |name: &str| parameters.get(name).map(String::as_str).unwrap_or("");
    if get("PhoneNumbers").len() != 11 || !get("PhoneNumbers").bytes().all(|b| b.is_ascii_digit()) {
        return error(StatusCode::OK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    if get("SignName").is_empty() || get("TemplateCode").is_empty() {
        return error(
            StatusCode::OK,
            "isv.SMS_SIGNATURE_ILLEGAL",
            "该账号下找不到对应签名",
        );
    }
    if stand_in.throttling.load(Ordering::SeqCst) {
        return error(
            StatusCode::OK,
            "isv.BUSINESS_LIMIT_CONTROL",
            "触发分钟级流控Permits:1",
        );
    }
    axum::Json(json!({ "Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": request_id })).into_response()
}

fn aliyun_config(address: SocketAddr) -> AliyunConfig {
    AliyunConfig {
        endpoint: format!("http://{address}"),
        access_key_id: KEY_ID.to_owned(),
        access_key_secret: SECRET.to_owned(),
        sign_name: SIGN_NAME.to_owned(),
        templates: BTreeMap::from([("invitation".to_owned(), "SMS_465391234".to_owned())]),
        ..AliyunConfig::default()
    }
}

async fn aliyun_stand_in() -> (Arc<StandIn>, SocketAddr) {
    let stand_in = StandIn::new();
    let address = serve(
        Router::new()
            .route("/", any(aliyun_api))
            .with_state(stand_in.clone()),
    )
    .await;
    (stand_in, address)
}

#[tokio::test]
async fn aliyun_accepts_a_chinese_invitation_with_its_template_fields() {
    let (stand_in, address) = aliyun_stand_in().await;
    let driver = AliyunDriver::new(&aliyun_config(address)).expect("valid config");
    let message = invitation();

    let accepted = driver
        .send(&message)
        .await
        .expect("the provider takes the message");
    assert_eq!(
        accepted.provider_id.as_deref(),
        Some("900619746936498440^0")
    );

    let seen = stand_in.accepted();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(seen["PhoneNumbers"], PHONE);
    assert_eq!(seen["SignName"], SIGN_NAME);
    assert_eq!(seen["TemplateCode"], "SMS_465391234");
    assert_eq!(seen["OutId"], message.id.to_string());
    let template_param: BTreeMap<String, String> = serde_json::from_str(
        seen["TemplateParam"]
            .as_str()
            .expect("TemplateParam is sent"),
    )
    .expect("TemplateParam is JSON");
    assert_eq!(template_param, message.params);
}

#[tokio::test]
async fn aliyun_with_a_wrong_secret_is_rejected() {
    let (stand_in, address) = aliyun_stand_in().await;
    let config = AliyunConfig {
        access_key_secret: "a-wrong-secret".to_owned(),
        ..aliyun_config(address)
    };
    let driver = AliyunDriver::new(&config).expect("valid config");

    match driver.send(&invitation()).await {
        Err(SendError::Rejected(reason)) => {
            assert!(reason.contains("SignatureDoesNotMatch"), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(stand_in.requests(), 1);
    assert!(stand_in.accepted().is_empty());
}

#[tokio::test]
async fn aliyun_throttling_is_temporary() {
    let (stand_in, address) = aliyun_stand_in().await;
    stand_in.throttling.store(true, Ordering::SeqCst);
    let driver = AliyunDriver::new(&aliyun_config(address)).expect("valid config");

    match driver.send(&invitation()).await {
        Err(SendError::Temporary(reason)) => {
            assert!(reason.contains("isv.BUSINESS_LIMIT_CONTROL"), "{reason}")
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

#[tokio::test]
async fn aliyun_unreachable_is_temporary() {
    let driver = AliyunDriver::new(&aliyun_config(closed_address())).expect("valid config");
    match driver.send(&invitation()).await {
        Err(SendError::Temporary(reason)) => {
            assert!(reason.contains("cannot reach 127.0.0.1:"), "{reason}")
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

#[tokio::test]
async fn aliyun_silence_past_the_timeout_is_temporary() {
    // A server that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let driver = AliyunDriver::new(&AliyunConfig {
        timeout_seconds: 1,
        ..aliyun_config(address)
    })
    .expect("valid config");
    match driver.send(&invitation()).await {
        Err(SendError::Temporary(reason)) => assert!(reason.contains("within 1s"), "{reason}"),
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

#[tokio::test]
async fn aliyun_without_a_template_for_the_kind_rejects_without_a_request() {
    let (stand_in, address) = aliyun_stand_in().await;
    let driver = AliyunDriver::new(&aliyun_config(address)).expect("valid config");
    let reminder = Message {
        kind: Kind::Reminder,
        ..invitation()
    };

    match driver.send(&reminder).await {
        Err(SendError::Rejected(reason)) => assert!(reason.contains("reminder"), "{reason}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(stand_in.requests(), 0);
}

// ---------------------------------------------------------------------------------------
// Tencent: signature v3 (TC3-HMAC-SHA256), "签名方法 v3".

const SECRET_ID: &str = "AKIDtestSecretId0123456789";
const SDK_APP_ID: &str = "1400006666";

/// Checks the request's Authorization the way the document describes it; on success returns
/// the JSON body.
fn tencent_verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, (&'static str, String)> {
    let failure = |why: String| {
        (
            "AuthFailure.SignatureFailure",
            format!("The provided credentials could not be validated ({why})."),
        )
    };
    let authorization = header(headers, "authorization");
    let fields = authorization
        .strip_prefix("TC3-HMAC-SHA256 ")
        .ok_or_else(|| {
            (
                "AuthFailure.InvalidAuthorization",
                format!("unknown algorithm in `{authorization}`"),
            )
        })?;
    let field = |name: &str| {
        fields
            .split(", ")
            .find_map(|part| {
                part.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('='))
            })
            .unwrap_or("")
    };
    let credential: Vec<&str> = field("Credential").split('/').collect();
    let [secret_id, date, service, terminator] = credential[..] else {
        return Err((
            "AuthFailure.InvalidAuthorization",
            "Credential is not SecretId/Date/Service/tc3_request".to_owned(),
        ));
    };
    if secret_id != SECRET_ID {
        return Err((
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found.".to_owned(),
        ));
    }
    if service != "sms" || terminator != "tc3_request" {
        return Err(failure(format!(
            "credential scope {date}/{service}/{terminator}"
        )));
    }
    let timestamp: i64 = header(headers, "x-tc-timestamp")
        .parse()
        .map_err(|_| failure("X-TC-Timestamp is not a number".into()))?;
    let time = chrono::DateTime::from_timestamp(timestamp, 0)
        .ok_or_else(|| failure("X-TC-Timestamp is out of range".into()))?;
    if (chrono::Utc::now() - time).num_minutes().abs() >= 5 {
        return Err((
            "AuthFailure.SignatureExpire",
            "Signature expired.".to_owned(),
        ));
    }
    // "Date ... should match the UTC date converted by the common parameter X-TC-Timestamp".
    if date != time.format("%Y-%m-%d").to_string() {
        return Err(failure(format!(
            "date {date} is not the UTC date of {timestamp}"
        )));
    }
    let mut signed_headers: Vec<String> = field("SignedHeaders")
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    if !signed_headers.iter().any(|name| name == "content-type")
        || !signed_headers.iter().any(|name| name == "host")
    {
        return Err(failure("content-type and host must be signed".into()));
    }
    signed_headers.sort();
    // "Both the key and value of the header should be converted to lowercase with the leading
    // and trailing spaces removed", "sorted in ASCII ascending order by the header keys".
    let canonical_headers = signed_headers
        .iter()
        .map(|name| format!("{name}:{}\n", header(headers, name).trim().to_lowercase()))
        .collect::<String>();
    let canonical_request = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{}",
        uri.path(),
        uri.query().unwrap_or(""),
        signed_headers.join(";"),
        sha256_hex(body)
    );
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let secret_date = hmac_sha256(format!("TC3{SECRET}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    let expected = hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
    if field("Signature") != expected {
        return Err(failure("signature mismatch".into()));
    }
    serde_json::from_slice(body)
        .map_err(|e| ("InvalidParameter", format!("the body is not JSON: {e}")))
}

async fn tencent_api(
    State(stand_in): State<Arc<StandIn>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    *stand_in.requests.lock().expect("stand-in lock") += 1;
    let request_id = uuid::Uuid::new_v4().to_string();
    // Tencent answers errors with HTTP 200 and Response.Error.
    let error = |code: &str, message: &str| {
        axum::Json(json!({ "Response": { "Error": { "Code": code, "Message": message }, "RequestId": request_id } })).into_response()
    };
    let request = match tencent_verify(&method, &uri, &headers, &body) {
        Ok(request) => request,
        Err((code, message)) => return error(code, &message),
    };
    if header(&headers, "x-tc-action") != "SendSms"
        || header(&headers, "x-tc-version") != "2021-01-11"
    {
        return error("InvalidAction", "The action or version is not valid.");
    }
    if header(&headers, "x-tc-region") != "ap-guangzhou" {
        return error("InvalidParameterValue", "The region is not supported.");
    }
    stand_in
        .accepted
        .lock()
        .expect("stand-in lock")
        .push(request.clone());
    let phone = request["PhoneNumberSet"][0].as_str().unwrap_or("");
    let status = |code: &str, message: &str, serial_no: &str| {
        axum::Json(json!({ "Response": { "SendStatusSet": [{
            "SerialNo": serial_no, "PhoneNumber": phone, "Fee": 1, "SessionContext": request["SessionContext"],
            "Code": code, "Message": message, "IsoCode": "CN"
        }], "RequestId": request_id } }))
        .into_response()
    };
    if request["SmsSdkAppId"] != SDK_APP_ID {
        return error(
            "FailedOperation.SmsSdkAppIdVerifyFail",
            "SdkAppId verification failed.",
        );
    }
    if stand_in.throttling.load(Ordering::SeqCst) {
        return status(
            "LimitExceeded.PhoneNumberThirtySecondLimit",
            "the number of SMS messages sent from a single mobile number within 30 seconds exceeds the upper limit",
            "",
        );
    }
    status("Ok", "send success", "2640:11111100101112233444555")
}

fn tencent_config(address: SocketAddr) -> TencentConfig {
    TencentConfig {
        endpoint: format!("http://{address}"),
        secret_id: SECRET_ID.to_owned(),
        secret_key: SECRET.to_owned(),
        sdk_app_id: SDK_APP_ID.to_owned(),
        sign_name: SIGN_NAME.to_owned(),
        templates: BTreeMap::from([("invitation".to_owned(), "2084512".to_owned())]),
        template_params: BTreeMap::from([(
            "invitation".to_owned(),
            ["name", "case", "date", "time", "url"]
                .map(str::to_owned)
                .to_vec(),
        )]),
        ..TencentConfig::default()
    }
}

async fn tencent_stand_in() -> (Arc<StandIn>, SocketAddr) {
    let stand_in = StandIn::new();
    let address = serve(
        Router::new()
            .route("/", any(tencent_api))
            .with_state(stand_in.clone()),
    )
    .await;
    (stand_in, address)
}

#[tokio::test]
async fn tencent_accepts_a_chinese_invitation_with_positional_parameters() {
    let (stand_in, address) = tencent_stand_in().await;
    let driver = TencentDriver::new(&tencent_config(address)).expect("valid config");
    let message = invitation();

    let accepted = driver
        .send(&message)
        .await
        .expect("the provider takes the message");
    assert_eq!(
        accepted.provider_id.as_deref(),
        Some("2640:11111100101112233444555")
    );

    let seen = stand_in.accepted();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!(seen["PhoneNumberSet"], json!(["+8613800138000"]));
    assert_eq!(seen["SmsSdkAppId"], SDK_APP_ID);
    assert_eq!(seen["SignName"], SIGN_NAME);
    assert_eq!(seen["TemplateId"], "2084512");
    assert_eq!(seen["SessionContext"], message.id.to_string());
    assert_eq!(
        seen["TemplateParamSet"],
        json!([
            "张三",
            "(2024)京0107民初123号",
            "2024年5月20日",
            "09:30",
            "https://court.example/j/12345678?a=1&b=*~ +"
        ])
    );
}

#[tokio::test]
async fn tencent_with_a_wrong_secret_is_rejected() {
    let (stand_in, address) = tencent_stand_in().await;
    let config = TencentConfig {
        secret_key: "a-wrong-secret".to_owned(),
        ..tencent_config(address)
    };
    let driver = TencentDriver::new(&config).expect("valid config");

    match driver.send(&invitation()).await {
        Err(SendError::Rejected(reason)) => {
            assert!(reason.contains("AuthFailure.SignatureFailure"), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(stand_in.requests(), 1);
    assert!(stand_in.accepted().is_empty());
}

#[tokio::test]
async fn tencent_throttling_is_temporary() {
    let (stand_in, address) = tencent_stand_in().await;
    stand_in.throttling.store(true, Ordering::SeqCst);
    let driver = TencentDriver::new(&tencent_config(address)).expect("valid config");

    match driver.send(&invitation()).await {
        Err(SendError::Temporary(reason)) => assert!(
            reason.contains("LimitExceeded.PhoneNumberThirtySecondLimit"),
            "{reason}"
        ),
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

#[tokio::test]
async fn tencent_unreachable_is_temporary() {
    let driver = TencentDriver::new(&tencent_config(closed_address())).expect("valid config");
    match driver.send(&invitation()).await {
        Err(SendError::Temporary(reason)) => {
            assert!(reason.contains("cannot reach 127.0.0.1:"), "{reason}")
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

#[tokio::test]
async fn tencent_without_a_template_for_the_kind_rejects_without_a_request() {
    let (stand_in, address) = tencent_stand_in().await;
    let driver = TencentDriver::new(&tencent_config(address)).expect("valid config");
    let reminder = Message {
        kind: Kind::Reminder,
        ..invitation()
    };

    match driver.send(&reminder).await {
        Err(SendError::Rejected(reason)) => assert!(reason.contains("reminder"), "{reason}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(stand_in.requests(), 0);
}
