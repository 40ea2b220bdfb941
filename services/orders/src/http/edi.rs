//! HTTP edge of EDI: partner profiles, file intake with its
//! acknowledgement, stored interchanges, documents as files, the mailbox
//! of documents partners sent, and the spreadsheet templates.

use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use renkei_edi::{DocumentKind, Format, sheet};
use renkei_kernel::{
    ApiError,
    auth::Caller,
    error::{ErrorBody, JsonBody},
    idempotency,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::TAG;
use crate::{
    app::{
        App, AppError, FileOut, IntakeReport, InterchangePart, InterchangeSummary, MAX_FILE_BYTES,
        MailboxPartner, ProfileInput,
    },
    domain::edi::Profile,
};

fn format_param(name: Option<&str>) -> Result<Option<Format>, AppError> {
    match name.filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => Format::parse(n).map(Some).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            AppError::invalid(
                "format",
                format!("`{n}` is not a format; use one of {}", names.join(", ")),
            )
        }),
    }
}

fn language_param(name: Option<&str>) -> Result<sheet::Language, AppError> {
    match name.unwrap_or("ja") {
        "ja" | "" => Ok(sheet::Language::Japanese),
        "en" => Ok(sheet::Language::English),
        other => Err(AppError::invalid(
            "lang",
            format!("`{other}` is not a language; use ja or en"),
        )),
    }
}

/// Your EDI profiles: for each partner, the interchange ids both sides use
/// in files, the format you send and the one you want, and item codes.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/edi/profiles",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Profiles", body = [Profile]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
pub(super) async fn profile_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<Profile>>, ApiError> {
    Ok(Json(app.profiles(&caller, &organisation_id).await?))
}

/// Sets up (or replaces) EDI with one partner (admins). The partner must be
/// an active partner; interchange ids are unique among your partners.
#[utoipa::path(
    put,
    path = "/organisations/{organisation_id}/edi/profiles/{partner_id}",
    tag = TAG,
    security(("bearer" = [])),
    request_body = ProfileInput,
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("partner_id" = String, Path, description = "The partner organisation"),
    ),
    responses(
        (status = 200, description = "Saved", body = Profile),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin, or not a partner (`not_partners`)", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
pub(super) async fn profile_put(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partner_id)): Path<(String, String)>,
    JsonBody(input): JsonBody<ProfileInput>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(
        app.profile_put(&caller, &organisation_id, &partner_id, input)
            .await?,
    ))
}

/// Removes the EDI set-up for one partner (admins). Interchanges already
/// received stay.
#[utoipa::path(
    delete,
    path = "/organisations/{organisation_id}/edi/profiles/{partner_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("partner_id" = String, Path, description = "The partner organisation"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No profile for this partner", body = ErrorBody),
    )
)]
pub(super) async fn profile_delete(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partner_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.profile_delete(&caller, &organisation_id, &partner_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Format of an uploaded file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntakeQuery {
    /// The file's format (`edifact_d96a`, `x12_005010`, `ubl21`, `csv`,
    /// `xlsx`, …); recognised from its first bytes when absent.
    pub format: Option<String>,
}

/// Sends a file of documents from your EDI system or spreadsheet: an
/// EDIFACT or X12 interchange, a UBL document, or the CSV/xlsx layout. Each
/// message is applied on its own as a document from you; a bad one is
/// rejected alone with each problem at its place. The answer carries the
/// acknowledgement your EDI system expects (CONTRL, 997, or the Peppol
/// message-level response). The same interchange (sender and control
/// reference) sent again is answered as a duplicate and applies nothing.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/interchanges",
    tag = TAG,
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file, as it is"),
    params(("organisation_id" = String, Path, description = "Your organisation, the sender"), IntakeQuery),
    responses(
        (status = 200, description = "Read; every message, or some, applied; or a duplicate", body = IntakeReport),
        (status = 422, description = "Read, and nothing applied: the report says why, message by message, or the file is empty or too large", body = IntakeReport),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
pub(super) async fn interchange_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    Query(query): Query<IntakeQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let format = format_param(query.format.as_deref())?;
    let bytes = axum::body::to_bytes(body, MAX_FILE_BYTES + 1)
        .await
        .map_err(|_| {
            ApiError::invalid(
                "body",
                format!("the file is larger than {MAX_FILE_BYTES} bytes, or was cut off; split it into several interchanges"),
            )
        })?;
    let report = app
        .intake(&caller, &organisation_id, bytes.to_vec(), format)
        .await?;
    let status = if report.status == "rejected" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

/// How many interchanges to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InterchangeQuery {
    /// At most this many (1–200, default 50).
    pub limit: Option<i64>,
}

/// Files you sent and files written for you, newest first.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/interchanges",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation"), InterchangeQuery),
    responses(
        (status = 200, description = "Interchanges", body = [InterchangeSummary]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "Bad limit", body = ErrorBody),
    )
)]
pub(super) async fn interchange_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    Query(query): Query<InterchangeQuery>,
) -> Result<Json<Vec<InterchangeSummary>>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "limit is between 1 and 200").into());
    }
    Ok(Json(
        app.interchanges(&caller, &organisation_id, limit).await?,
    ))
}

/// A stored interchange's file (`file`) or the acknowledgement written for
/// it (`acknowledgement`).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/interchanges/{interchange_id}/{part}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("interchange_id" = String, Path, description = "The interchange"),
        ("part" = String, Path, description = "`file` or `acknowledgement`"),
    ),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such interchange, or no acknowledgement for it", body = ErrorBody),
    )
)]
pub(super) async fn interchange_part(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, interchange_id, part)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let part = match part.as_str() {
        "file" => InterchangePart::File,
        "acknowledgement" => InterchangePart::Acknowledgement,
        _ => return Err(ApiError::not_found("page")),
    };
    Ok(app
        .interchange_file(&caller, &organisation_id, &interchange_id, part)
        .await?
        .into_response())
}

/// Format and language of a file to write.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The format; the partner profile's wanted format when absent, else `csv`.
    pub format: Option<String>,
    /// Headers of CSV and xlsx: `ja` (default) or `en`.
    pub lang: Option<String>,
}

/// One document of an order as a file for your EDI system or spreadsheet,
/// with your and your partner's interchange ids and item codes from the
/// partner profile. The same document in the same format is the same file
/// each time.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/orders/{order_id}/documents/{version}/file",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("order_id" = String, Path, description = "The order"),
        ("version" = i64, Path, description = "Position in the history, from 1"),
        FileQuery,
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such order or document among yours", body = ErrorBody),
        (status = 422, description = "Unknown format, or EDIFACT/X12 without a partner profile, or a value the format cannot carry", body = ErrorBody),
    )
)]
pub(super) async fn document_file(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, order_id, version)): Path<(String, String, i64)>,
    Query(query): Query<FileQuery>,
) -> Result<Response, ApiError> {
    let format = format_param(query.format.as_deref())?;
    let language = language_param(query.lang.as_deref())?;
    Ok(app
        .document_file(
            &caller,
            &organisation_id,
            &order_id,
            version,
            format,
            language,
        )
        .await?
        .into_response())
}

/// What your partners sent you that you have not collected yet, per
/// partner: how many documents, of which kinds, since when, and the format
/// a collect writes them in. Every document is addressed to the side that
/// did not send it: the seller receives orders, changes, cancellations and
/// receipt advice, the buyer responses and despatch advice.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/edi/mailbox",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Partners with documents waiting, by partner id", body = [MailboxPartner]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
pub(super) async fn mailbox_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<MailboxPartner>>, ApiError> {
    Ok(Json(app.mailbox(&caller, &organisation_id).await?))
}

/// Collects the documents one partner sent you that wait in your mailbox,
/// oldest first, as one interchange for your EDI system: in `format`, else
/// the format your profile for the partner wants, else CSV (EDIFACT and X12
/// need the profile). The interchange is stored with your files and the
/// documents in it are marked collected, so the next collect brings only
/// what arrived since; at most 500 documents go into one interchange (one
/// for UBL), and `renkei-waiting` says how many still wait. Send an
/// `Idempotency-Key`: a retry with it returns the same interchange, and a
/// lost download can be fetched again from the interchange list.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/edi/mailbox/{partner_id}/collect",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation, the receiver"),
        ("partner_id" = String, Path, description = "The partner whose documents to collect"),
        ("Idempotency-Key" = String, Header, description = "A key you choose; repeating it returns the same interchange"),
        FileQuery,
    ),
    responses(
        (status = 200, description = "The interchange", content_type = "application/octet-stream",
         headers(
             ("renkei-interchange" = String, description = "The stored interchange's id"),
             ("renkei-documents" = i64, description = "Documents in it"),
             ("renkei-waiting" = i64, description = "Documents from the partner still waiting"),
         )),
        (status = 204, description = "Nothing from this partner waits"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs member, or an app with `orders:write`", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 409, description = "The key was used for another collect", body = ErrorBody),
        (status = 422, description = "Unknown format, EDIFACT/X12 without a partner profile, a value the format cannot carry, or no key", body = ErrorBody),
    )
)]
pub(super) async fn mailbox_collect(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partner_id)): Path<(String, String)>,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = idempotency::required_key(&headers)?;
    let format = format_param(query.format.as_deref())?;
    let language = language_param(query.lang.as_deref())?;
    let collected = app
        .mailbox_collect(
            &caller,
            &organisation_id,
            &partner_id,
            format,
            language,
            &key,
        )
        .await?;
    let Some(collected) = collected else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut response = collected.file.into_response();
    for (name, value) in [
        ("renkei-interchange", collected.interchange_id),
        ("renkei-documents", collected.documents.to_string()),
        ("renkei-waiting", collected.waiting.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

/// An empty spreadsheet of the flat layout for one kind of document, with
/// its headers, to fill in and send back as a file. No sign-in needed.
#[utoipa::path(
    get,
    path = "/templates/{kind}",
    tag = TAG,
    params(
        ("kind" = String, Path, description = "`order`, `order_change`, `order_cancellation`, `order_response`, `despatch_advice` or `receipt_advice`"),
        FileQuery,
    ),
    responses(
        (status = 200, description = "The template", content_type = "application/octet-stream"),
        (status = 404, description = "No such kind", body = ErrorBody),
        (status = 422, description = "Format is neither csv nor xlsx, or unknown language", body = ErrorBody),
    )
)]
pub(super) async fn template(
    Path(kind): Path<String>,
    Query(query): Query<FileQuery>,
) -> Result<Response, ApiError> {
    let kind = DocumentKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or(ApiError::not_found("document kind"))?;
    let language = language_param(query.lang.as_deref())?;
    let template = sheet::template(kind, language);
    let format = format_param(query.format.as_deref())?.unwrap_or(Format::Xlsx);
    let (content_type, bytes) = match format {
        Format::Csv => ("text/csv; charset=utf-8", template.csv),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            template.xlsx,
        ),
        other => {
            return Err(AppError::invalid(
                "format",
                format!(
                    "templates are spreadsheets: csv or xlsx, not {}",
                    other.as_str()
                ),
            )
            .into());
        }
    };
    Ok(FileOut {
        content_type,
        file_name: format!("renkei-{}.{}", kind.as_str(), format.as_str()),
        bytes,
    }
    .into_response())
}
