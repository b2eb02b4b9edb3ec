//! The `aliyun` driver: Aliyun SMS `SendSms` (Dysmsapi, API version 2017-05-25), signed with
//! Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256).
//!
//! Alibaba Cloud marks the older RPC signature (V2, HMAC-SHA1 over `GET&%2F&…`) as
//! discontinued and asks callers to use V3, which every Dysmsapi action accepts; so V3 it is.
//! The request is `POST /?PhoneNumbers=…&SignName=…` with an empty body, the action and
//! version in `x-acs-*` headers, and an `Authorization` header computed by [`acs3`].

use crate::cloud_http::{endpoint_url, exchange, kind_names, snippet};
use crate::{Accepted, BuildError, Driver, Kind, Message, SendError};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

const DRIVER: &str = "aliyun";
const ACTION: &str = "SendSms";
const VERSION: &str = "2017-05-25";

/// Settings of the `aliyun` driver (`[sms.aliyun]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AliyunConfig {
    /// Dysmsapi's base URL; only the scheme, host and port are used (RPC APIs live at `/`).
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The approved signature the provider puts in 【】, e.g. `北京云法庭`.
    pub sign_name: String,
    /// Message kind (`invitation`, `reminder`, `reschedule`, `cancellation`, `join_code`)
    /// → approved TemplateCode, e.g. `SMS_123456789`.
    pub templates: BTreeMap<String, String>,
    /// Sent as `RegionId`; Dysmsapi is served from `cn-hangzhou`.
    pub region_id: String,
    pub timeout_seconds: u64,
}

impl Default for AliyunConfig {
    fn default() -> Self {
        AliyunConfig {
            endpoint: "https://dysmsapi.aliyuncs.com".to_owned(),
            access_key_id: String::new(),
            access_key_secret: String::new(),
            sign_name: String::new(),
            templates: BTreeMap::new(),
            region_id: "cn-hangzhou".to_owned(),
            timeout_seconds: 10,
        }
    }
}

/// Sends each message as one signed `SendSms` call.
pub struct AliyunDriver {
    access_key_id: String,
    access_key_secret: String,
    sign_name: String,
    region_id: String,
    templates: BTreeMap<Kind, String>,
    /// The endpoint with path `/` and no query.
    url: reqwest::Url,
    /// `host[:port]` exactly as sent in the `Host` header, because it is signed.
    host: String,
    timeout_seconds: u64,
    client: reqwest::Client,
}

impl AliyunDriver {
    pub fn new(config: &AliyunConfig) -> Result<Self, BuildError> {
        let fail = |reason: String| BuildError {
            driver: DRIVER,
            reason,
        };
        for (key, value) in [
            ("access_key_id", &config.access_key_id),
            ("access_key_secret", &config.access_key_secret),
            ("sign_name", &config.sign_name),
        ] {
            if value.trim().is_empty() {
                return Err(fail(format!("sms.aliyun.{key} is empty")));
            }
        }
        // The key id travels inside the Authorization header's `Credential=…,` list.
        if !config
            .access_key_id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b',')
        {
            return Err(fail(
                "sms.aliyun.access_key_id must be printable ASCII without spaces or commas".into(),
            ));
        }
        if config.timeout_seconds == 0 {
            return Err(fail("sms.aliyun.timeout_seconds must be at least 1".into()));
        }
        let (url, host) = endpoint_url(&config.endpoint)
            .map_err(|reason| fail(format!("sms.aliyun.endpoint: {reason}")))?;
        let mut templates = BTreeMap::new();
        for (name, code) in &config.templates {
            let kind = Kind::parse(name).ok_or_else(|| {
                fail(format!(
                    "sms.aliyun.templates: unknown message kind `{name}` (expected one of {})",
                    kind_names()
                ))
            })?;
            if code.trim().is_empty() {
                return Err(fail(format!("sms.aliyun.templates.{name} is empty")));
            }
            templates.insert(kind, code.trim().to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds))
            .build()
            .map_err(|e| fail(format!("cannot build the HTTP client: {e}")))?;
        Ok(AliyunDriver {
            access_key_id: config.access_key_id.clone(),
            access_key_secret: config.access_key_secret.clone(),
            sign_name: config.sign_name.clone(),
            region_id: config.region_id.clone(),
            templates,
            url,
            host,
            timeout_seconds: config.timeout_seconds,
            client,
        })
    }

    /// The `SendSms` parameters for one message, or why it cannot be sent.
    fn parameters(&self, message: &Message) -> Result<Vec<(&'static str, String)>, SendError> {
        let kind = message.kind.as_str();
        let template = self.templates.get(&message.kind).ok_or_else(|| {
            SendError::Rejected(format!("aliyun: no template configured for `{kind}` messages (set sms.aliyun.templates.{kind})"))
        })?;
        if message.phone.trim().is_empty() {
            return Err(SendError::Rejected(
                "aliyun: the message has no phone number".into(),
            ));
        }
        let mut parameters = vec![
            ("OutId", message.id.to_string()),
            ("PhoneNumbers", message.phone.trim().to_owned()),
            ("SignName", self.sign_name.clone()),
            ("TemplateCode", template.clone()),
        ];
        if !self.region_id.is_empty() {
            parameters.push(("RegionId", self.region_id.clone()));
        }
        // TemplateParam is optional; a template without variables takes none.
        if !message.params.is_empty() {
            let json = serde_json::to_string(&message.params).map_err(|e| {
                SendError::Rejected(format!(
                    "aliyun: cannot encode the template parameters: {e}"
                ))
            })?;
            parameters.push(("TemplateParam", json));
        }
        Ok(parameters)
    }
}

#[async_trait::async_trait]
impl Driver for AliyunDriver {
    fn name(&self) -> &'static str {
        DRIVER
    }

    async fn send(&self, message: &Message) -> Result<Accepted, SendError> {
        let parameters = self.parameters(message)?;
        let pairs: Vec<(&str, &str)> = parameters.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let query = acs3::canonical_query(&pairs);
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let headers = acs3::common_headers(&self.host, ACTION, VERSION, Utc::now(), &nonce, b"");
        let header_refs: Vec<(&str, &str)> =
            headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let signed = acs3::sign(
            &self.access_key_id,
            &self.access_key_secret,
            "POST",
            "/",
            &query,
            &header_refs,
        );

        let mut url = self.url.clone();
        // The canonical query is already RFC 3986-encoded, so the server sees exactly what was signed.
        url.set_query(Some(&query));
        let mut request = self.client.post(url);
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        request = request.header("authorization", &signed.authorization);

        exchange(
            "aliyun",
            &self.host,
            self.timeout_seconds,
            request,
            message,
            classify,
        )
        .await
    }
}

/// Dysmsapi's answer, on success and on failure alike.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: Option<String>,
    message: Option<String>,
    biz_id: Option<String>,
    request_id: Option<String>,
}

/// Turns Dysmsapi's answer into the driver's result.
fn classify(status: u16, body: &[u8]) -> Result<Accepted, SendError> {
    let answer = serde_json::from_slice::<Answer>(body).ok();
    let Some((answer, code)) = answer.and_then(|a| a.code.clone().map(|code| (a, code))) else {
        let text = format!(
            "aliyun answered HTTP {status} without a result code: {}",
            snippet(body)
        );
        return Err(if status >= 500 || status == 429 {
            SendError::Temporary(text)
        } else {
            SendError::Rejected(text)
        });
    };
    if code == "OK" {
        return Ok(Accepted {
            provider_id: answer.biz_id.filter(|id| !id.is_empty()),
        });
    }
    let text = format!(
        "aliyun {code}: {} (HTTP {status}, RequestId {})",
        answer.message.as_deref().unwrap_or("no message"),
        answer.request_id.as_deref().unwrap_or("-")
    );
    if status >= 500 || is_temporary(&code) {
        Err(SendError::Temporary(text))
    } else {
        Err(SendError::Rejected(text))
    }
}

/// Codes that mean "not now" rather than "never": flow control and the platform's own faults.
fn is_temporary(code: &str) -> bool {
    code.starts_with("Throttling")
        || code.ends_with("_LIMIT_CONTROL") // isv.BUSINESS_LIMIT_CONTROL, isv.DAY_LIMIT_CONTROL…
        || code == "isp.SYSTEM_ERROR" // not isp.RAM_PERMISSION_DENY or isp.OUT_OF_SERVICE
        || code.starts_with("ServiceUnavailable")
        || code.starts_with("InternalError")
        || code == "SignatureNonceUsed" // a retry carries a fresh nonce
}

/// Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256), as pure functions of the request, so
/// each step can be checked against the documented example ("V3版本请求体&签名机制").
pub mod acs3 {
    use chrono::{DateTime, Utc};
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

    /// Every intermediate value, so tests can compare each with the documentation.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Signature {
        pub canonical_request: String,
        pub hashed_canonical_request: String,
        pub string_to_sign: String,
        pub signed_headers: String,
        /// Lowercase hex HMAC-SHA256 of the string to sign under the AccessKey secret.
        pub signature: String,
        /// The `Authorization` header's value.
        pub authorization: String,
    }

    /// RFC 3986 encoding as Alibaba specifies it: only `A–Z a–z 0–9 - _ . ~` stay as they
    /// are, everything else (UTF-8 bytes) becomes `%XY` — so space is `%20`, `*` is `%2A`
    /// and `~` is kept, exactly the `+`→`%20`, `*`→`%2A`, `%7E`→`~` fix-ups of URLEncoder.
    pub fn percent_encode(value: &str) -> String {
        const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        percent_encoding::utf8_percent_encode(value, RESERVED).to_string()
    }

    /// CanonicalQueryString: parameters sorted by name (then value), each name and value
    /// encoded, joined as `name=value` with `&`.
    pub fn canonical_query(parameters: &[(&str, &str)]) -> String {
        let mut sorted = parameters.to_vec();
        sorted.sort();
        sorted
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Lowercase hex SHA-256, the HashedRequestPayload and `x-acs-content-sha256`.
    pub fn sha256_hex(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    /// The common headers of a V3 request (all of them signed): `host`, `x-acs-action`,
    /// `x-acs-content-sha256`, `x-acs-date` (UTC, `yyyy-MM-ddTHH:mm:ssZ`),
    /// `x-acs-signature-nonce`, `x-acs-version`.
    pub fn common_headers(
        host: &str,
        action: &str,
        version: &str,
        time: DateTime<Utc>,
        nonce: &str,
        payload: &[u8],
    ) -> Vec<(&'static str, String)> {
        vec![
            ("host", host.to_owned()),
            ("x-acs-action", action.to_owned()),
            ("x-acs-content-sha256", sha256_hex(payload)),
            ("x-acs-date", time.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ("x-acs-signature-nonce", nonce.to_owned()),
            ("x-acs-version", version.to_owned()),
        ]
    }

    /// CanonicalHeaders and SignedHeaders: the `host`, `content-type` and `x-acs-*` headers,
    /// names lowercased, values trimmed, sorted by name.
    pub fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
        let mut signed: Vec<(String, &str)> = headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
            .filter(|(name, _)| {
                name == "host" || name == "content-type" || name.starts_with("x-acs-")
            })
            .collect();
        signed.sort();
        let canonical = signed
            .iter()
            .map(|(name, value)| format!("{name}:{value}\n"))
            .collect::<String>();
        let names = signed
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(";");
        (canonical, names)
    }

    /// Signs a request whose `headers` include `x-acs-content-sha256` (the payload's hash).
    pub fn sign(
        access_key_id: &str,
        access_key_secret: &str,
        method: &str,
        canonical_uri: &str,
        canonical_query: &str,
        headers: &[(&str, &str)],
    ) -> Signature {
        let hashed_payload = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-acs-content-sha256"))
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_else(|| sha256_hex(b""));
        let (canonical_headers, signed_headers) = canonical_headers(headers);
        let canonical_request = format!(
            "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}",
            method.to_ascii_uppercase()
        );
        let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
        let string_to_sign = format!("{ALGORITHM}\n{hashed_canonical_request}");
        let signature = hex::encode(hmac_sha256(
            access_key_secret.as_bytes(),
            string_to_sign.as_bytes(),
        ));
        let authorization = format!(
            "{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
        );
        Signature {
            canonical_request,
            hashed_canonical_request,
            string_to_sign,
            signed_headers,
            signature,
            authorization,
        }
    }

    fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length, so this constructor cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The fixed-parameter example of Alibaba Cloud's "V3版本请求体&签名机制" (request syntax
    /// and signature method V3): ECS RunInstances at 2023-10-26T10:22:32Z with AccessKey
    /// `YourAccessKeyId` / `YourAccessKeySecret`; the document prints each step's value.
    #[test]
    fn reproduces_the_documented_v3_example_step_by_step() {
        let time = Utc
            .with_ymd_and_hms(2023, 10, 26, 10, 22, 32)
            .single()
            .expect("valid date");
        let headers = acs3::common_headers(
            "ecs.cn-shanghai.aliyuncs.com",
            "RunInstances",
            "2014-05-26",
            time,
            "3156853299f313e23d1673dc12e1703d",
            b"",
        );
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let query = acs3::canonical_query(&[
            ("RegionId", "cn-shanghai"),
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
        ]);
        assert_eq!(
            query,
            "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"
        );

        let signed = acs3::sign(
            "YourAccessKeyId",
            "YourAccessKeySecret",
            "POST",
            "/",
            &query,
            &headers,
        );
        assert_eq!(
            signed.canonical_request,
            "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n\
             host:ecs.cn-shanghai.aliyuncs.com\n\
             x-acs-action:RunInstances\n\
             x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-acs-date:2023-10-26T10:22:32Z\n\
             x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n\
             x-acs-version:2014-05-26\n\
             \n\
             host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            signed.hashed_canonical_request,
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            signed.string_to_sign,
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(
            signed.signature,
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        assert_eq!(
            signed.authorization,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,\
             SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,\
             Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    #[test]
    fn percent_encoding_follows_the_pop_rules() {
        assert_eq!(acs3::percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(
            acs3::percent_encode("a b*c+d/e=f&g"),
            "a%20b%2Ac%2Bd%2Fe%3Df%26g"
        );
        assert_eq!(acs3::percent_encode("北京"), "%E5%8C%97%E4%BA%AC");
        assert_eq!(
            acs3::percent_encode(r#"{"a":"1"}"#),
            "%7B%22a%22%3A%221%22%7D"
        );
    }

    fn config() -> AliyunConfig {
        AliyunConfig {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            sign_name: "北京云法庭".into(),
            templates: BTreeMap::from([("invitation".to_owned(), "SMS_1".to_owned())]),
            ..AliyunConfig::default()
        }
    }

    fn message(kind: Kind) -> Message {
        Message {
            id: uuid::Uuid::nil(),
            phone: "13800138000".into(),
            text: String::new(),
            kind,
            params: BTreeMap::from([("name".to_owned(), "张三".to_owned())]),
        }
    }

    #[test]
    fn new_refuses_missing_credentials_and_unknown_kinds() {
        for broken in [
            AliyunConfig {
                access_key_id: String::new(),
                ..config()
            },
            AliyunConfig {
                access_key_secret: " ".into(),
                ..config()
            },
            AliyunConfig {
                sign_name: String::new(),
                ..config()
            },
            AliyunConfig {
                endpoint: "dysmsapi.aliyuncs.com".into(),
                ..config()
            },
            AliyunConfig {
                endpoint: "https://dysmsapi.aliyuncs.com/v1".into(),
                ..config()
            },
            AliyunConfig {
                templates: BTreeMap::from([("invite".to_owned(), "SMS_1".to_owned())]),
                ..config()
            },
            AliyunConfig {
                timeout_seconds: 0,
                ..config()
            },
        ] {
            assert!(AliyunDriver::new(&broken).is_err(), "accepted {broken:?}");
        }
        assert!(AliyunDriver::new(&config()).is_ok());
    }

    #[test]
    fn parameters_carry_the_template_and_its_fields() {
        let driver = AliyunDriver::new(&config()).expect("valid config");
        let parameters = driver
            .parameters(&message(Kind::Invitation))
            .expect("template configured");
        let get = |name: &str| {
            parameters
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("TemplateCode"), Some("SMS_1"));
        assert_eq!(get("PhoneNumbers"), Some("13800138000"));
        assert_eq!(get("SignName"), Some("北京云法庭"));
        assert_eq!(get("TemplateParam"), Some(r#"{"name":"张三"}"#));
        assert_eq!(get("OutId"), Some("00000000-0000-0000-0000-000000000000"));
        assert_eq!(get("RegionId"), Some("cn-hangzhou"));
        match driver.parameters(&message(Kind::Reminder)) {
            Err(SendError::Rejected(reason)) => assert!(reason.contains("reminder"), "{reason}"),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn the_endpoint_host_keeps_a_non_default_port() {
        let (url, host) = endpoint_url("http://127.0.0.1:8080").expect("valid");
        assert_eq!(
            (url.as_str(), host.as_str()),
            ("http://127.0.0.1:8080/", "127.0.0.1:8080")
        );
        let (_, host) = endpoint_url("https://dysmsapi.aliyuncs.com:443/").expect("valid");
        assert_eq!(host, "dysmsapi.aliyuncs.com");
    }

    #[test]
    fn answers_are_classified() {
        let ok = br#"{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}"#;
        assert_eq!(
            classify(200, ok),
            Ok(Accepted {
                provider_id: Some("900619746936498440^0".into())
            })
        );

        let temporary =
            |status, body: &[u8]| matches!(classify(status, body), Err(SendError::Temporary(_)));
        let rejected =
            |status, body: &[u8]| matches!(classify(status, body), Err(SendError::Rejected(_)));
        assert!(temporary(
            200,
            br#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"limit"}"#
        ));
        assert!(temporary(400, br#"{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}"#));
        assert!(temporary(
            503,
            br#"{"Code":"ServiceUnavailable","Message":"busy"}"#
        ));
        assert!(temporary(
            200,
            br#"{"Code":"isp.SYSTEM_ERROR","Message":"x"}"#
        ));
        assert!(rejected(
            200,
            br#"{"Code":"isp.RAM_PERMISSION_DENY","Message":"x"}"#
        ));
        assert!(temporary(502, b"<html>Bad Gateway</html>"));
        assert!(rejected(
            200,
            br#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"bad number"}"#
        ));
        assert!(rejected(
            200,
            br#"{"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"bad template"}"#
        ));
        assert!(rejected(
            404,
            br#"{"Code":"InvalidAccessKeyId.NotFound","Message":"no such key"}"#
        ));
        assert!(rejected(400, b"not json"));

        match classify(400, br#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched","RequestId":"R1"}"#) {
            Err(SendError::Rejected(reason)) => {
                assert!(reason.contains("SignatureDoesNotMatch") && reason.contains("Specified signature") && reason.contains("R1"), "{reason}")
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}
