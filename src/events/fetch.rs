//! The settings fetch (spec §8): `GET {base}/server-side/settings` (or `/server-side/pull` for a
//! webhook-triggered refresh) with vwo-python-sdk's query. It returns the body as text; parsing and
//! swapping settings belong to the client. It never uses `collectionPrefix` and never retries (as
//! Python's plain `requests.get`); callers poll again later.

use super::pyjson::py_float_repr;
use super::transport::Transport;
use super::wire::{Collector, EventRequest, HttpMethod};

/// Where the settings are fetched from: `base_url` itself (never with the collection prefix).
pub fn settings_collector(base_url: &str) -> Collector {
    Collector::new(base_url, None)
}
use crate::error::{Error, ErrorKind};

/// The settings request, built as vwo-python-sdk 1.68.2 builds it: query
/// `a, i, r, platform=server, api-version=1, sdk, sdk-v`, form-encoded by [`Collector::url`]; sent
/// to [`settings_collector`]`(base_url)`.
pub fn settings_request(
    account_id: &str,
    sdk_key: &str,
    via_webhook: bool,
    sdk_name: &str,
    sdk_version: &str,
    random: f64,
) -> EventRequest {
    let path = if via_webhook {
        "/server-side/pull"
    } else {
        "/server-side/settings"
    };
    EventRequest {
        method: HttpMethod::Get,
        path: path.to_owned(),
        query: vec![
            ("a", account_id.to_owned()),
            ("i", sdk_key.to_owned()),
            ("r", py_float_repr(random)),
            ("platform", "server".to_owned()),
            ("api-version", "1".to_owned()),
            ("sdk", sdk_name.to_owned()),
            ("sdk-v", sdk_version.to_owned()),
        ],
        headers: vec![("User-Agent", sdk_name.to_owned())],
        body: None,
    }
}

/// Fetches the settings file text. Errors (kind [`ErrorKind::InvalidArgument`] for an empty account id
/// or SDK key, sent nowhere; [`ErrorKind::Internal`] otherwise) name the status or the network failure.
#[allow(clippy::too_many_arguments)]
pub fn fetch_settings(
    transport: &dyn Transport,
    base_url: &str,
    account_id: &str,
    sdk_key: &str,
    via_webhook: bool,
    sdk_name: &str,
    sdk_version: &str,
    random: f64,
) -> Result<String, Error> {
    if account_id.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "get_settings_file: account_id is empty",
        ));
    }
    if sdk_key.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "get_settings_file: sdk_key is empty",
        ));
    }
    let req = settings_request(
        account_id,
        sdk_key,
        via_webhook,
        sdk_name,
        sdk_version,
        random,
    );
    let url = settings_collector(base_url).url(&req);
    // Named without the query: it carries the SDK key.
    let at = url.split('?').next().unwrap_or(&url);
    let resp = transport.execute(&url, &req).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("fetching settings from {at}: {e}"),
        )
    })?;
    if resp.status != 200 {
        let mut snippet: String = resp.body.chars().take(200).collect();
        if snippet.len() < resp.body.len() {
            snippet.push('…');
        }
        return Err(Error::new(
            ErrorKind::Internal,
            format!(
                "fetching settings from {}: HTTP status {} (body: {snippet:?})",
                at, resp.status
            ),
        ));
    }
    Ok(resp.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_query_order() {
        let r = settings_request("123456", "abc def", false, "libvwo", "0.1.0", 0.5);
        let vwo = settings_collector("https://dev.visualwebsiteoptimizer.com");
        assert_eq!(r.wire_url(&vwo), "https://dev.visualwebsiteoptimizer.com/server-side/settings?a=123456&i=abc+def&r=0.5&platform=server&api-version=1&sdk=libvwo&sdk-v=0.1.0");
        let r = settings_request("1", "k", true, "libvwo", "0.1.0", 0.25);
        assert_eq!(
            r.wire_url(&settings_collector("http://h/")),
            "http://h/server-side/pull?a=1&i=k&r=0.25&platform=server&api-version=1&sdk=libvwo&sdk-v=0.1.0"
        );
    }
}
