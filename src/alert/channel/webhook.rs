//! `kind = "webhook"`: the notification as JSON ([`Payload`], docs/API.md) POSTed to a
//! URL with the channel's headers, whose values may be secrets. Any 2xx answer is
//! delivered.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{http_url, request_error, Context, Delivery, DeliveryError, Payload, USER_AGENT};
use crate::diagnostic::Scope;
use crate::secret::Secret;

pub const NAME: &str = "webhook";

/// The keys of a webhook channel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The URL the notification is POSTed to.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Request headers. Values may be `${env:NAME}` or `${file:PATH}`.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub headers: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub url: reqwest::Url,
    pub headers: Vec<(String, Secret)>,
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(url) = &keys.url else {
        scope.needs("url", "add `url = \"https://example.org/hooks/watchkeeper\"`");
        return None;
    };
    let url = http_url(scope, url)?;
    let headers = crate::probe::http::headers(keys.headers.as_ref(), scope);
    Some(Spec { url, headers })
}

impl Delivery for Spec {
    async fn deliver(&self, context: &Context, payload: &Payload) -> Result<(), DeliveryError> {
        let json = serde_json::to_vec(payload).map_err(|e| DeliveryError(format!("cannot encode: {e}")))?;
        let mut request = context
            .client
            .post(self.url.clone())
            .timeout(context.timeout)
            .header("content-type", "application/json")
            .header("user-agent", USER_AGENT);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.expose());
        }
        let response = request.body(json).send().await.map_err(|e| DeliveryError(request_error(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliveryError(format!("the receiver answered HTTP {}", status.as_u16())))
        }
    }
}
