//! The API's one error type: every failure becomes an `application/problem+json` answer
//! with a Chinese and an English message; internal faults are logged, never shown.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use court::{Invalid, TransitionError};
use serde::Serialize;
use store::{Conflict, StoreError};

/// An answer that is not a success.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable reason, e.g. `validation_failed`.
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    pub field: Option<&'static str>,
    /// Seconds to wait before trying again (429).
    pub retry_after: Option<u64>,
    /// Where a resumable upload stands (409 `offset_mismatch`): in the body and the
    /// `Upload-Offset` header, so the client goes on without asking again.
    pub upload_offset: Option<u64>,
}

/// The JSON body (RFC 9457 problem details, with both languages).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// The English message.
    pub detail: String,
    pub code: String,
    pub message: Messages,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The bytes the server holds of a resumable upload (`offset_mismatch` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// The message in each language of the UI.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Messages {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            zh: zh.into(),
            en: en.into(),
            field: None,
            retry_after: None,
            upload_offset: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录",
            "Sign in first",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您无权执行此操作",
            "You are not allowed to do this",
        )
    }

    pub fn other_court() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "该记录属于其他法院，您无权访问",
            "This record belongs to another court",
        )
    }

    pub fn not_found(what: &str) -> Self {
        let zh = match what {
            "court" => "法院",
            "user" => "用户",
            "case" => "案件",
            "hearing" => "庭审",
            "participant" => "参与人",
            _ => "资源",
        };
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{zh}不存在"),
            format!("No such {what}"),
        )
    }

    pub fn too_many(zh: String, en: String, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", zh, en)
        }
    }

    /// A fault of ours: logged in full, answered without internals.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后重试",
            "Internal server error; please try again later",
        )
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self {
            field: Some(invalid.field),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                invalid.zh,
                invalid.en,
            )
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(err: TransitionError) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "transition_not_allowed",
            err.message_zh(),
            err.to_string(),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        let conflict = |code, zh: &str, en: &str, field| Self {
            field,
            ..Self::new(StatusCode::CONFLICT, code, zh, en)
        };
        match err {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::Conflict(Conflict::CaseNumberTaken) => conflict(
                "case_number_taken",
                "本院已有该案号的案件",
                "This court already has a case with this number",
                Some("case_number"),
            ),
            StoreError::Conflict(Conflict::PhoneTaken) => conflict(
                "phone_taken",
                "该手机号码已是本庭审的参与人",
                "This phone number already belongs to a participant of this hearing",
                Some("phone"),
            ),
            StoreError::Conflict(Conflict::UsernameTaken) => conflict(
                "username_taken",
                "该用户名已被使用",
                "This username is taken",
                Some("username"),
            ),
            StoreError::Conflict(Conflict::CourtNameTaken) => conflict(
                "court_name_taken",
                "已有同名法院",
                "A court with this name exists",
                Some("name"),
            ),
            StoreError::Conflict(Conflict::StateChanged) => conflict(
                "state_changed",
                "庭审状态已被他人更改，请刷新后重试",
                "The hearing changed meanwhile; reload and try again",
                None,
            ),
            other => Self::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection {
            JsonRejection::JsonSyntaxError(_) => Self::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "请求内容不是有效的JSON",
                detail,
            ),
            JsonRejection::JsonDataError(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "请求内容缺少必填字段，或字段类型不正确",
                detail,
            ),
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求须为 application/json",
                "The request must be application/json",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "请求内容过大",
                "The request body is too large",
            ),
            other => Self::new(other.status(), "bad_request", "请求无效", other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_path",
            "请求地址中的编号无效",
            rejection.body_text(),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "查询参数无效",
            rejection.body_text(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("urn:cloudcourt:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.en.clone(),
            code: self.code.to_owned(),
            message: Messages {
                zh_cn: self.zh,
                en: self.en,
            },
            field: self.field.map(str::to_owned),
            offset: self.upload_offset,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(offset) = self.upload_offset {
            headers.insert("upload-offset", HeaderValue::from(offset));
        }
        response
    }
}

/// A JSON body whose rejections are problems too.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A path parameter whose rejections are problems too.
#[derive(Debug, Clone, Copy, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;
