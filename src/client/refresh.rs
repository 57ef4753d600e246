//! Settings from VWO: the first fetch (`get_settings_file`), the webhook pull
//! (`get_and_update_settings_file`) and polling. A refresh swaps the settings snapshot only when the new
//! file is valid; decisions never wait on any of it.

use super::{Client, DeliveryOptions, Inner, DEFAULT_BASE_URL, SDK_NAME, SDK_VERSION};
use crate::events::{fetch_settings, settings_request, Transport};
use crate::log::LogLevel;
use crate::Error;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread;
use std::time::Duration;

/// Fetches the settings file of an account from VWO (`GET /server-side/settings`), with the default
/// delivery options. The text is returned as VWO sent it; [`Client::launch`] validates it.
pub fn get_settings_file(account_id: &str, sdk_key: &str) -> Result<String, Error> {
    get_settings_file_with(
        account_id,
        sdk_key,
        false,
        DEFAULT_BASE_URL,
        &DeliveryOptions::default(),
    )
}

/// [`get_settings_file`] from `/server-side/pull` when `is_via_webhook` (what a webhook asks for),
/// through another base URL (a gateway, a test server) and transport settings.
pub fn get_settings_file_with(
    account_id: &str,
    sdk_key: &str,
    is_via_webhook: bool,
    base_url: &str,
    options: &DeliveryOptions,
) -> Result<String, Error> {
    let transport = options.transport()?;
    fetch_settings(
        transport.as_ref(),
        base_url,
        account_id,
        sdk_key,
        is_via_webhook,
        SDK_NAME,
        SDK_VERSION,
        fastrand::f64(),
    )
}

/// What VWO answered a settings fetch, whatever the HTTP status: `(status, body)`. vwo-python-sdk's
/// `get_settings_file` returns the body of a non-200 answer as the settings text (and says so on
/// standard error); the Python binding does the same with this. Errors: an empty account id or SDK key
/// ([`crate::ErrorKind::InvalidArgument`], as [`get_settings_file_with`]), the network.
pub fn get_settings_answer(
    account_id: &str,
    sdk_key: &str,
    is_via_webhook: bool,
    base_url: &str,
    options: &DeliveryOptions,
) -> Result<(u16, String), Error> {
    for (name, value) in [("account_id", account_id), ("sdk_key", sdk_key)] {
        if value.trim().is_empty() {
            return Err(Error::new(
                crate::ErrorKind::InvalidArgument,
                format!("get_settings_file: {name} is empty"),
            ));
        }
    }
    let transport = options.transport()?;
    let req = settings_request(
        account_id,
        sdk_key,
        is_via_webhook,
        SDK_NAME,
        SDK_VERSION,
        fastrand::f64(),
    );
    let url = crate::events::settings_collector(base_url).url(&req);
    let resp = transport.execute(&url, &req).map_err(|e| {
        Error::new(
            crate::ErrorKind::Internal,
            format!("fetching settings from {}{}: {e}", base_url, req.path),
        )
    })?;
    Ok((resp.status, resp.body))
}

/// The polling thread's stop signal. The thread holds only a weak reference to the client.
pub(super) struct Poller {
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl Poller {
    fn stop(&self) {
        let (flag, wake) = &*self.stop;
        if let Ok(mut stopped) = flag.lock() {
            *stopped = true;
        }
        wake.notify_all();
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Inner {
    fn transport(&self) -> Result<Arc<dyn Transport>, Error> {
        if let Some(t) = self.transport.get() {
            return Ok(t.clone());
        }
        let t = self.delivery_options.transport()?;
        Ok(self.transport.get_or_init(|| t).clone())
    }

    /// Fetches the settings of `account` (account id, SDK key; each `None` is the current settings')
    /// from `/server-side/pull` when `via_webhook`.
    fn fetch(
        &self,
        account: (Option<&str>, Option<&str>),
        via_webhook: bool,
    ) -> Result<String, Error> {
        let (account_id, sdk_key) = {
            let snapshot = self.snapshot.load();
            (
                account
                    .0
                    .map_or_else(|| snapshot.settings.account_id_text.clone(), str::to_owned),
                account
                    .1
                    .map(str::to_owned)
                    .or_else(|| snapshot.settings.sdk_key.clone()),
            )
        };
        let sdk_key = sdk_key.ok_or_else(|| {
            Error::new(
                crate::ErrorKind::InvalidSettings,
                "the current settings have no sdkKey: cannot fetch their update",
            )
        })?;
        let transport = self.transport()?;
        fetch_settings(
            transport.as_ref(),
            &self.base_url,
            &account_id,
            &sdk_key,
            via_webhook,
            &self.sdk_name,
            SDK_VERSION,
            self.random.random(),
        )
    }
}

impl Client {
    /// vwo-python-sdk's `get_and_update_settings_file`: fetches the account's settings
    /// (`/server-side/pull` when `is_via_webhook`, as a webhook asks, else `/server-side/settings`) and
    /// swaps them in when they are valid and differ from the current ones. Returns the settings text in
    /// force afterwards; on a failed fetch or invalid settings the current settings stay and the error
    /// says why.
    pub fn get_and_update_settings_file(&self, is_via_webhook: bool) -> Result<String, Error> {
        self.get_and_update_settings_file_of(None, None, is_via_webhook)
    }

    /// [`Client::get_and_update_settings_file`] for another account id and/or SDK key (vwo-python-sdk's
    /// `account_id` and `sdk_key` arguments; `None` is the current settings' value). The fetched
    /// settings replace the current ones as for the launched account.
    pub fn get_and_update_settings_file_of(
        &self,
        account_id: Option<&str>,
        sdk_key: Option<&str>,
        is_via_webhook: bool,
    ) -> Result<String, Error> {
        let inner = &*self.inner;
        let text = inner
            .fetch((account_id, sdk_key), is_via_webhook)
            .inspect_err(|e| {
                log_at!(
                    inner,
                    LogLevel::Error,
                    "settings fetch failed, keeping the current settings: {e}"
                );
            })?;
        if text == inner.snapshot.load().settings.source {
            log_at!(inner, LogLevel::Info, "settings fetched: unchanged");
            return Ok(text);
        }
        self.replace_settings(&text).inspect_err(|e| {
            log_at!(
                inner,
                LogLevel::Error,
                "fetched settings are invalid, keeping the current ones: {e}"
            );
        })?;
        Ok(text)
    }

    pub(super) fn start_polling(&self, interval: Duration) -> Result<(), Error> {
        if interval.is_zero() {
            return Err(Error::options(
                "polling_interval",
                "must be greater than zero",
            ));
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let signal = stop.clone();
        thread::Builder::new()
            .name("vwo-settings-poll".into())
            .spawn(move || poll(weak, signal, interval))
            .map_err(|e| {
                Error::new(
                    crate::ErrorKind::Internal,
                    format!("cannot start the polling thread: {e}"),
                )
            })?;
        if let Ok(mut slot) = self.inner.polling.lock() {
            *slot = Some(Poller { stop });
        }
        Ok(())
    }

    pub(super) fn stop_polling(&self) {
        if let Ok(mut slot) = self.inner.polling.lock() {
            slot.take();
        }
    }
}

fn poll(client: Weak<Inner>, stop: Arc<(Mutex<bool>, Condvar)>, interval: Duration) {
    let (flag, wake) = &*stop;
    loop {
        {
            let Ok(stopped) = flag.lock() else { return };
            let Ok((stopped, _)) = wake.wait_timeout_while(stopped, interval, |s| !*s) else {
                return;
            };
            if *stopped {
                return;
            }
        }
        let Some(inner) = client.upgrade() else {
            return;
        };
        let strong = Client { inner };
        // Failures are logged by the call; the next round tries again.
        let _ = strong.get_and_update_settings_file(false);
    }
}
