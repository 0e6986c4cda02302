//! Making a [`Call`]: Alertmanager's `POST /api/v2/silences` and `DELETE
//! /api/v2/silence/{id}`; PagerDuty's `PUT /incidents` (acknowledge,
//! resolve) and `POST /incidents/{id}/notes`, with the `From` header they
//! need. The same client, deadline, retries and token handling as a poll.

use super::http::{Clients, Ctx, Options, Req, endpoint, fetch};
use crate::status::parse::{self, json};
use crate::status::source::{SourceConfig, Spec};
use crate::status::{Call, PollError};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

/// Make `call` against `source`; `Ok` with what the source said (the new
/// silence's id, "acknowledged"…).
pub async fn perform(
    source: &SourceConfig,
    clients: &Clients,
    token: Option<&SecretString>,
    call: &Call,
    opts: Options,
) -> Result<String, PollError> {
    if !call.fits(source.kind) {
        return Err(PollError::Request(format!(
            "source `{}` is a {} source: it cannot {}",
            source.name,
            source.kind,
            call.name().replace('_', " ")
        )));
    }
    let ctx = Ctx::new(source, clients, token, opts);
    let base = &source.url;
    let from = match &source.spec {
        Spec::Pagerduty(p) => p.from.clone(),
        _ => None,
    };
    let pagerduty_write = |page_id: &str, status: &str, verb: &str| -> Result<Req, PollError> {
        let Some(from) = from.clone() else {
            return Err(PollError::Request(format!(
                "source `{}` needs `from:` (your PagerDuty login e-mail) to {verb} pages",
                source.name
            )));
        };
        Ok(Req::Write {
            method: Method::PUT,
            url: endpoint(base, &["incidents"], &[])?,
            body: Some(json!({"incidents": [
                {"id": page_id, "type": "incident_reference", "status": status}
            ]})),
            from: Some(from),
        })
    };
    let req = match call {
        Call::Silence {
            matchers,
            ends_at,
            created_by,
            comment,
        } => {
            if matchers.is_empty() {
                return Err(PollError::Request(
                    "a silence needs at least one label to match".into(),
                ));
            }
            let matchers: Vec<serde_json::Value> = matchers
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v, "isRegex": false, "isEqual": true}))
                .collect();
            Req::Write {
                method: Method::POST,
                url: endpoint(base, &["api", "v2", "silences"], &[])?,
                body: Some(json!({
                    "matchers": matchers,
                    "startsAt": jiff::Timestamp::now().to_string(),
                    "endsAt": ends_at.to_string(),
                    "createdBy": created_by,
                    "comment": comment,
                })),
                from: None,
            }
        }
        Call::ExpireSilence { id } => Req::Write {
            method: Method::DELETE,
            url: endpoint(base, &["api", "v2", "silence", id], &[])?,
            body: None,
            from: None,
        },
        Call::Acknowledge { page_id } => pagerduty_write(page_id, "acknowledged", "acknowledge")?,
        Call::ResolvePage { page_id } => pagerduty_write(page_id, "resolved", "resolve")?,
        Call::PageNote { page_id, content } => {
            let Some(from) = from.clone() else {
                return Err(PollError::Request(format!(
                    "source `{}` needs `from:` (your PagerDuty login e-mail) to add notes",
                    source.name
                )));
            };
            Req::Write {
                method: Method::POST,
                url: endpoint(base, &["incidents", page_id, "notes"], &[])?,
                body: Some(json!({"note": {"content": content}})),
                from: Some(from),
            }
        }
    };
    let r = fetch(&ctx, &req, false).await?;
    parse::check_status(source.kind, &r)?;
    Ok(match call {
        Call::Silence { .. } => {
            #[derive(serde::Deserialize)]
            struct Created {
                #[serde(rename = "silenceID")]
                silence_id: String,
            }
            let c: Created = json(&r.body, "an Alertmanager (v2 API)")?;
            c.silence_id
        }
        Call::ExpireSilence { .. } => "expired".to_owned(),
        Call::Acknowledge { .. } => "acknowledged".to_owned(),
        Call::ResolvePage { .. } => "resolved".to_owned(),
        Call::PageNote { .. } => "note added".to_owned(),
    })
}
