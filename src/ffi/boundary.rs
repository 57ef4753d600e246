//! The one panic boundary of the C ABI, the status codes it returns, and the per-thread text of the
//! last error. Every export runs its whole body — argument conversion, the Rust call, JSON and
//! `CString` work — inside [`guard`] or [`guard_status`]. Nothing here decides anything.

use super::vwo_status;
use crate::{Error, ErrorKind};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why an export failed: its status and the text `vwo_last_error_message` returns.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: vwo_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: vwo_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// A core error, with the status of its kind.
    pub(crate) fn from_error(e: &Error) -> Failure {
        let status = match e.kind() {
            ErrorKind::InvalidSettings => vwo_status::VWO_INVALID_SETTINGS,
            ErrorKind::InvalidOptions => vwo_status::VWO_INVALID_OPTIONS,
            ErrorKind::InvalidArgument => vwo_status::VWO_INVALID_ARGUMENT,
            ErrorKind::Storage => vwo_status::VWO_STORAGE,
            _ => vwo_status::VWO_INTERNAL,
        };
        Failure::new(status, e.message())
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::from_error(&e)
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records the text of this thread's last error.
pub(crate) fn set_last_error(message: &str) {
    LAST_ERROR.with(|slot| {
        if let Ok(mut s) = slot.try_borrow_mut() {
            s.clear();
            s.push_str(message);
        }
    });
}

/// Calls `f` with this thread's last error text.
pub(crate) fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|slot| match slot.try_borrow() {
        Ok(s) => f(&s),
        Err(_) => f(""),
    })
}

/// Runs the body of export `name`; a panic inside it becomes `on_panic` (and the last error says so).
/// This is the only `catch_unwind` of the C ABI.
#[inline(always)]
pub(crate) fn guard<R>(name: &'static str, on_panic: R, f: impl FnOnce() -> R) -> R {
    let body = move || {
        #[cfg(any(test, feature = "panic-injection"))]
        injection::maybe_panic(name);
        f()
    };
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            // The payload is dropped inside a second boundary: its destructor may panic too.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            set_last_error(&format!("{name}: internal panic: {what}"));
            on_panic
        }
    }
}

/// [`guard`] for an export that returns a status: `Ok` is `VWO_OK`; a failure records its message.
#[inline(always)]
pub(crate) fn guard_status(
    name: &'static str,
    f: impl FnOnce() -> Result<(), Failure>,
) -> vwo_status {
    guard(name, vwo_status::VWO_PANIC, || match f() {
        Ok(()) => vwo_status::VWO_OK,
        Err(failure) => {
            set_last_error(&failure.message);
            failure.status
        }
    })
}

/// Panic injection: makes the export of a given name panic inside its boundary (tests, and the
/// `panic-injection` feature's `vwo_test_panic_on`). Per thread.
#[cfg(any(test, feature = "panic-injection"))]
pub(crate) mod injection {
    use std::cell::RefCell;

    thread_local! {
        static TARGET: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// From now on, on this thread, the export `name` panics (`None`: none does).
    pub(crate) fn panic_on(name: Option<&str>) {
        TARGET.with(|t| *t.borrow_mut() = name.map(str::to_string));
    }

    pub(crate) fn maybe_panic(name: &str) {
        let hit = TARGET.with(|t| t.borrow().as_deref() == Some(name));
        if hit {
            panic!("injected panic in {name}");
        }
    }
}
