//! The `tencent` driver: Tencent Cloud SMS `SendSms` (API 3.0, version 2021-01-11, service
//! `sms`), signed with TC3-HMAC-SHA256 ("签名方法 v3").
//!
//! The request is `POST /` with a JSON body; action, version, region and timestamp travel
//! in `X-TC-*` headers and the signature in `Authorization`, computed by [`tc3`]. Tencent
//! templates are positional (`{1}`, `{2}`…), so each kind's parameter names are listed in
//! order in `template_params`.

use crate::cloud_http::{endpoint_url, exchange, kind_names, snippet};
use crate::{Accepted, BuildError, Driver, Kind, Message, SendError};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

const DRIVER: &str = "tencent";
const SERVICE: &str = "sms";
const ACTION: &str = "SendSms";
const VERSION: &str = "2021-01-11";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Settings of the `tencent` driver (`[sms.tencent]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TencentConfig {
    /// The API's base URL; only the scheme, host and port are used (API 3.0 lives at `/`).
    pub endpoint: String,
    /// Sent as `X-TC-Region`, e.g. `ap-guangzhou`, `ap-beijing`, `ap-nanjing`.
    pub region: String,
    pub secret_id: String,
    pub secret_key: String,
    /// The SMS application's SdkAppId, e.g. `1400006666`.
    pub sdk_app_id: String,
    /// The approved signature the provider puts in 【】, e.g. `北京云法庭`.
    pub sign_name: String,
    /// Message kind (`invitation`, `reminder`, `reschedule`, `cancellation`, `join_code`)
    /// → approved TemplateId, e.g. `1234567`.
    pub templates: BTreeMap<String, String>,
    /// Message kind → the names of the message's parameters that fill `{1}`, `{2}`… in order,
    /// e.g. `invitation = ["name", "case", "date", "time", "url"]`.
    pub template_params: BTreeMap<String, Vec<String>>,
    pub timeout_seconds: u64,
}

impl Default for TencentConfig {
    fn default() -> Self {
        TencentConfig {
            endpoint: "https://sms.tencentcloudapi.com".to_owned(),
            region: "ap-guangzhou".to_owned(),
            secret_id: String::new(),
            secret_key: String::new(),
            sdk_app_id: String::new(),
            sign_name: String::new(),
            templates: BTreeMap::new(),
            template_params: BTreeMap::new(),
            timeout_seconds: 10,
        }
    }
}

/// Sends each message as one signed `SendSms` call.
pub struct TencentDriver {
    secret_id: String,
    secret_key: String,
    region: String,
    sdk_app_id: String,
    sign_name: String,
    templates: BTreeMap<Kind, String>,
    template_params: BTreeMap<Kind, Vec<String>>,
    /// The endpoint with path `/` and no query.
    url: reqwest::Url,
    /// `host[:port]` exactly as sent in the `Host` header, because it is signed.
    host: String,
    timeout_seconds: u64,
    client: reqwest::Client,
}

impl TencentDriver {
    pub fn new(config: &TencentConfig) -> Result<Self, BuildError> {
        let fail = |reason: String| BuildError {
            driver: DRIVER,
            reason,
        };
        for (key, value) in [
            ("secret_id", &config.secret_id),
            ("secret_key", &config.secret_key),
            ("sdk_app_id", &config.sdk_app_id),
            ("sign_name", &config.sign_name),
            ("region", &config.region),
        ] {
            if value.trim().is_empty() {
                return Err(fail(format!("sms.tencent.{key} is empty")));
            }
        }
        // These travel in headers: the id inside `Credential=…/`, the region as X-TC-Region.
        for (key, value) in [("secret_id", &config.secret_id), ("region", &config.region)] {
            if !value
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b',' && b != b'/')
            {
                return Err(fail(format!(
                    "sms.tencent.{key} must be printable ASCII without spaces, commas or slashes"
                )));
            }
        }
        if config.timeout_seconds == 0 {
            return Err(fail(
                "sms.tencent.timeout_seconds must be at least 1".into(),
            ));
        }
        let (url, host) = endpoint_url(&config.endpoint)
            .map_err(|reason| fail(format!("sms.tencent.endpoint: {reason}")))?;
        let parse_kind = |table: &str, name: &str| {
            Kind::parse(name).ok_or_else(|| {
                fail(format!(
                    "sms.tencent.{table}: unknown message kind `{name}` (expected one of {})",
                    kind_names()
                ))
            })
        };
        let mut templates = BTreeMap::new();
        for (name, id) in &config.templates {
            let kind = parse_kind("templates", name)?;
            if id.trim().is_empty() {
                return Err(fail(format!("sms.tencent.templates.{name} is empty")));
            }
            templates.insert(kind, id.trim().to_owned());
        }
        let mut template_params = BTreeMap::new();
        for (name, fields) in &config.template_params {
            template_params.insert(parse_kind("template_params", name)?, fields.clone());
        }
        for kind in templates.keys() {
            if !template_params.contains_key(kind) {
                // Not fatal (a send of that kind is rejected), but worth seeing at start-up.
                tracing::warn!(
                    kind = kind.as_str(),
                    "sms.tencent.template_params has no entry for a configured template"
                );
            }
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds))
            .build()
            .map_err(|e| fail(format!("cannot build the HTTP client: {e}")))?;
        Ok(TencentDriver {
            secret_id: config.secret_id.clone(),
            secret_key: config.secret_key.clone(),
            region: config.region.trim().to_owned(),
            sdk_app_id: config.sdk_app_id.trim().to_owned(),
            sign_name: config.sign_name.clone(),
            templates,
            template_params,
            url,
            host,
            timeout_seconds: config.timeout_seconds,
            client,
        })
    }

    /// The JSON body of `SendSms` for one message, or why it cannot be sent.
    fn body(&self, message: &Message) -> Result<Vec<u8>, SendError> {
        let kind = message.kind.as_str();
        let template_id = self.templates.get(&message.kind).ok_or_else(|| {
            SendError::Rejected(format!("tencent: no template configured for `{kind}` messages (set sms.tencent.templates.{kind})"))
        })?;
        let fields = self.template_params.get(&message.kind).ok_or_else(|| {
            SendError::Rejected(format!(
                "tencent: no parameter order configured for `{kind}` messages (set sms.tencent.template_params.{kind})"
            ))
        })?;
        let template_param_set = fields
            .iter()
            .map(|field| {
                message.params.get(field).map(String::as_str).ok_or_else(|| {
                    SendError::Rejected(format!("tencent: the `{kind}` template needs parameter `{field}`, which the message lacks"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let phone = message.phone.trim();
        if phone.is_empty() {
            return Err(SendError::Rejected(
                "tencent: the message has no phone number".into(),
            ));
        }
        // E.164 is required; our numbers are mainland numbers without a prefix.
        let phone = if phone.starts_with('+') {
            phone.to_owned()
        } else {
            format!("+86{phone}")
        };
        let request = SendSmsRequest {
            phone_number_set: [phone],
            sms_sdk_app_id: &self.sdk_app_id,
            sign_name: &self.sign_name,
            template_id,
            template_param_set,
            session_context: message.id.to_string(),
        };
        serde_json::to_vec(&request)
            .map_err(|e| SendError::Rejected(format!("tencent: cannot encode the request: {e}")))
    }
}

#[async_trait::async_trait]
impl Driver for TencentDriver {
    fn name(&self) -> &'static str {
        DRIVER
    }

    async fn send(&self, message: &Message) -> Result<Accepted, SendError> {
        let body = self.body(message)?;
        let now = Utc::now();
        let signed_headers = [
            ("content-type", CONTENT_TYPE),
            ("host", self.host.as_str()),
            ("x-tc-action", ACTION),
        ];
        let request = tc3::Request {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            headers: &signed_headers,
            payload: &body,
        };
        let signed = tc3::sign(&self.secret_id, &self.secret_key, SERVICE, &request, now);

        let mut request = self.client.post(self.url.clone());
        for (name, value) in signed_headers {
            request = request.header(name, value);
        }
        let request = request
            .header("x-tc-timestamp", now.timestamp().to_string())
            .header("x-tc-version", VERSION)
            .header("x-tc-region", &self.region)
            .header("authorization", &signed.authorization)
            .body(body);

        exchange(
            "tencent",
            &self.host,
            self.timeout_seconds,
            request,
            message,
            classify,
        )
        .await
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsRequest<'a> {
    phone_number_set: [String; 1],
    sms_sdk_app_id: &'a str,
    sign_name: &'a str,
    template_id: &'a str,
    template_param_set: Vec<&'a str>,
    session_context: String,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Answer,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    error: Option<ApiError>,
    #[serde(default)]
    send_status_set: Vec<SendStatus>,
    request_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    serial_no: Option<String>,
    code: String,
    message: Option<String>,
}

/// Turns the API's answer into the driver's result: `Response.Error` for a failed call,
/// otherwise the first (only) number's `SendStatusSet` entry.
fn classify(status: u16, body: &[u8]) -> Result<Accepted, SendError> {
    let Ok(Envelope { response: answer }) = serde_json::from_slice::<Envelope>(body) else {
        let text = format!(
            "tencent answered HTTP {status} without a result: {}",
            snippet(body)
        );
        return Err(if status >= 500 || status == 429 {
            SendError::Temporary(text)
        } else {
            SendError::Rejected(text)
        });
    };
    let request_id = answer.request_id.as_deref().unwrap_or("-");
    let (code, message) = match (&answer.error, answer.send_status_set.first()) {
        (Some(error), _) => (error.code.as_str(), error.message.as_deref()),
        (None, Some(sent)) if sent.code == "Ok" => {
            return Ok(Accepted {
                provider_id: sent.serial_no.clone().filter(|id| !id.is_empty()),
            });
        }
        (None, Some(sent)) => (sent.code.as_str(), sent.message.as_deref()),
        (None, None) => {
            let text = format!(
                "tencent answered HTTP {status} with no send status (RequestId {request_id})"
            );
            return Err(if status >= 500 {
                SendError::Temporary(text)
            } else {
                SendError::Rejected(text)
            });
        }
    };
    let text = format!(
        "tencent {code}: {} (HTTP {status}, RequestId {request_id})",
        message.unwrap_or("no message")
    );
    if status >= 500 || is_temporary(code) {
        Err(SendError::Temporary(text))
    } else {
        Err(SendError::Rejected(text))
    }
}

/// Codes that mean "not now" rather than "never": frequency limits and Tencent's own faults.
fn is_temporary(code: &str) -> bool {
    code.starts_with("LimitExceeded")
        || code.starts_with("RequestLimitExceeded")
        || code.starts_with("InternalError")
}

/// Tencent Cloud's signature v3 (TC3-HMAC-SHA256), as pure functions of the request and
/// its time, so each step can be checked against the documented example ("签名方法 v3").
pub mod tc3 {
    use chrono::{DateTime, Utc};
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

    /// Every intermediate value, so tests can compare each with the documentation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Signature {
        pub hashed_request_payload: String,
        pub canonical_request: String,
        pub hashed_canonical_request: String,
        /// `Date/service/tc3_request`, the date being the UTC date of the timestamp.
        pub credential_scope: String,
        pub string_to_sign: String,
        pub secret_date: Vec<u8>,
        pub secret_service: Vec<u8>,
        pub secret_signing: Vec<u8>,
        pub signed_headers: String,
        /// Lowercase hex HMAC-SHA256 of the string to sign under the derived key.
        pub signature: String,
        /// The `Authorization` header's value.
        pub authorization: String,
    }

    /// Lowercase hex SHA-256.
    pub fn sha256_hex(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    /// CanonicalHeaders and SignedHeaders: names *and values* lowercased and trimmed, as
    /// `key:value\n`, sorted by name; the names joined with `;`.
    pub fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
        let mut lowered: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.trim().to_ascii_lowercase(),
                    value.trim().to_lowercase(),
                )
            })
            .collect();
        lowered.sort();
        let canonical = lowered
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect::<String>();
        let names = lowered
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(";");
        (canonical, names)
    }

    /// The parts of an HTTP request that the signature covers.
    #[derive(Debug, Clone, Copy)]
    pub struct Request<'a> {
        pub method: &'a str,
        /// `/` for API 3.0.
        pub canonical_uri: &'a str,
        /// Empty for POST.
        pub canonical_query: &'a str,
        /// The signed headers (at least `content-type` and `host`).
        pub headers: &'a [(&'a str, &'a str)],
        pub payload: &'a [u8],
    }

    /// Signs `request` for `service`, made at `time` (its `X-TC-Timestamp`).
    pub fn sign(
        secret_id: &str,
        secret_key: &str,
        service: &str,
        request: &Request<'_>,
        time: DateTime<Utc>,
    ) -> Signature {
        let hashed_request_payload = sha256_hex(request.payload);
        let (canonical_headers, signed_headers) = canonical_headers(request.headers);
        let canonical_request = format!(
            "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{hashed_request_payload}",
            request.method.to_ascii_uppercase(),
            request.canonical_uri,
            request.canonical_query,
        );
        let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
        // The date is UTC's, not local: at 00:44 in Beijing it is still yesterday.
        let date = time.format("%Y-%m-%d").to_string();
        let credential_scope = format!("{date}/{service}/tc3_request");
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{credential_scope}\n{hashed_canonical_request}",
            time.timestamp()
        );
        let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
        let secret_service = hmac_sha256(&secret_date, service.as_bytes());
        let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
        let signature = hex::encode(hmac_sha256(&secret_signing, string_to_sign.as_bytes()));
        let authorization = format!(
            "{ALGORITHM} Credential={secret_id}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}"
        );
        Signature {
            hashed_request_payload,
            canonical_request,
            hashed_canonical_request,
            credential_scope,
            string_to_sign,
            secret_date,
            secret_service,
            secret_signing,
            signed_headers,
            signature,
            authorization,
        }
    }

    fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone};

    /// The worked example of Tencent Cloud's "签名方法 v3" (API 3.0, e.g.
    /// cloud.tencent.com/document/api/213/30654, repeated per product such as SMS's
    /// 382/52072): CVM DescribeInstances at X-TC-Timestamp 1551113065, signing
    /// content-type, host and x-tc-action. The page masks the keys as `AKID` + 32 `*` and
    /// 32 `*`, and computes every printed value with exactly those strings.
    #[test]
    fn reproduces_the_documented_tc3_example_step_by_step() {
        let time: DateTime<Utc> = Utc
            .timestamp_opt(1551113065, 0)
            .single()
            .expect("valid timestamp");
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let headers = [
            ("content-type", "application/json; charset=utf-8"),
            ("host", "cvm.tencentcloudapi.com"),
            ("x-tc-action", "DescribeInstances"),
        ];
        let secret_id = format!("AKID{}", "*".repeat(32));
        let secret_key = "*".repeat(32);
        let request = tc3::Request {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            headers: &headers,
            payload: payload.as_bytes(),
        };
        let signed = tc3::sign(&secret_id, &secret_key, "cvm", &request, time);

        assert_eq!(
            signed.hashed_request_payload,
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            signed.canonical_request,
            "POST\n/\n\n\
             content-type:application/json; charset=utf-8\n\
             host:cvm.tencentcloudapi.com\n\
             x-tc-action:describeinstances\n\
             \n\
             content-type;host;x-tc-action\n\
             35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            signed.hashed_canonical_request,
            "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        assert_eq!(signed.credential_scope, "2019-02-25/cvm/tc3_request");
        assert_eq!(
            signed.string_to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        assert_eq!(
            hex::encode(&signed.secret_date),
            "da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0"
        );
        assert_eq!(
            hex::encode(&signed.secret_service),
            "8d70cbefb03939f929db64d32dc2ba89b1095620119fe3e050e2b18c5bd2752f"
        );
        assert_eq!(
            hex::encode(&signed.secret_signing),
            "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af"
        );
        assert_eq!(
            signed.signature,
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
        assert_eq!(
            signed.authorization,
            format!(
                "TC3-HMAC-SHA256 Credential={secret_id}/2019-02-25/cvm/tc3_request, \
                 SignedHeaders=content-type;host;x-tc-action, \
                 Signature=10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
            )
        );
    }

    fn config() -> TencentConfig {
        TencentConfig {
            secret_id: "AKIDtest".into(),
            secret_key: "key".into(),
            sdk_app_id: "1400006666".into(),
            sign_name: "北京云法庭".into(),
            templates: BTreeMap::from([("invitation".to_owned(), "1234567".to_owned())]),
            template_params: BTreeMap::from([(
                "invitation".to_owned(),
                vec!["name".to_owned(), "case".to_owned()],
            )]),
            ..TencentConfig::default()
        }
    }

    fn message(kind: Kind, params: &[(&str, &str)]) -> Message {
        Message {
            id: uuid::Uuid::nil(),
            phone: "13800138000".into(),
            text: String::new(),
            kind,
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn new_refuses_missing_settings_and_unknown_kinds() {
        for broken in [
            TencentConfig {
                secret_id: String::new(),
                ..config()
            },
            TencentConfig {
                secret_key: String::new(),
                ..config()
            },
            TencentConfig {
                sdk_app_id: String::new(),
                ..config()
            },
            TencentConfig {
                sign_name: String::new(),
                ..config()
            },
            TencentConfig {
                secret_id: "AKID x".into(),
                ..config()
            },
            TencentConfig {
                endpoint: "ftp://sms.tencentcloudapi.com".into(),
                ..config()
            },
            TencentConfig {
                templates: BTreeMap::from([("joincode".to_owned(), "1".to_owned())]),
                ..config()
            },
            TencentConfig {
                template_params: BTreeMap::from([("hearing".to_owned(), vec![])]),
                ..config()
            },
        ] {
            assert!(TencentDriver::new(&broken).is_err(), "accepted {broken:?}");
        }
        assert!(TencentDriver::new(&config()).is_ok());
    }

    #[test]
    fn the_body_orders_parameters_as_the_template_does() {
        let driver = TencentDriver::new(&config()).expect("valid config");
        let body = driver
            .body(&message(
                Kind::Invitation,
                &[("case", "(2024)京0107民初1号"), ("name", "张三")],
            ))
            .expect("sendable");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
        assert_eq!(
            json,
            serde_json::json!({
                "PhoneNumberSet": ["+8613800138000"],
                "SmsSdkAppId": "1400006666",
                "SignName": "北京云法庭",
                "TemplateId": "1234567",
                "TemplateParamSet": ["张三", "(2024)京0107民初1号"],
                "SessionContext": "00000000-0000-0000-0000-000000000000",
            })
        );
        let rejected =
            |message: &Message| matches!(driver.body(message), Err(SendError::Rejected(_)));
        assert!(
            rejected(&message(Kind::Invitation, &[("name", "张三")])),
            "a missing parameter"
        );
        assert!(
            rejected(&message(Kind::Reminder, &[])),
            "a kind without template"
        );
    }

    #[test]
    fn answers_are_classified() {
        let ok = br#"{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613800138000","Fee":1,"SessionContext":"x","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6"}}"#;
        assert_eq!(
            classify(200, ok),
            Ok(Accepted {
                provider_id: Some("5000:1045710669157053657849499619".into())
            })
        );

        let status = |code: &str| {
            format!(
                r#"{{"Response":{{"SendStatusSet":[{{"SerialNo":"","Code":"{code}","Message":"m"}}],"RequestId":"r"}}}}"#
            )
        };
        let error = |code: &str| {
            format!(
                r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"m"}},"RequestId":"r"}}}}"#
            )
        };
        let temporary = |status: u16, body: String| {
            matches!(
                classify(status, body.as_bytes()),
                Err(SendError::Temporary(_))
            )
        };
        let rejected = |status: u16, body: String| {
            matches!(
                classify(status, body.as_bytes()),
                Err(SendError::Rejected(_))
            )
        };
        assert!(temporary(
            200,
            status("LimitExceeded.PhoneNumberThirtySecondLimit")
        ));
        assert!(temporary(200, error("RequestLimitExceeded")));
        assert!(temporary(200, error("InternalError.Timeout")));
        assert!(temporary(502, "Bad Gateway".to_owned()));
        assert!(rejected(
            200,
            status("InvalidParameterValue.IncorrectPhoneNumber")
        ));
        assert!(rejected(
            200,
            error("FailedOperation.TemplateIncorrectOrUnapproved")
        ));
        assert!(rejected(200, error("AuthFailure.SignatureFailure")));
        assert!(rejected(400, "nope".to_owned()));
        match classify(200, error("AuthFailure.SecretIdNotFound").as_bytes()) {
            Err(SendError::Rejected(reason)) => assert!(
                reason.contains("AuthFailure.SecretIdNotFound") && reason.contains("RequestId r"),
                "{reason}"
            ),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}
