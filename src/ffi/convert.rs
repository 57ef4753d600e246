//! Raw pointers in and out: the only place where C strings, buffers and out-parameters are turned
//! into Rust values and back. Every export goes through these helpers; each documents what it needs
//! from the caller.

use super::boundary::Failure;
use super::vwo_status;
use serde_json::Value;
use std::ffi::{c_char, CStr, CString};

/// A required C string argument as `&str`. NULL → `VWO_NULL_ARGUMENT`, not UTF-8 → `VWO_INVALID_UTF8`,
/// both naming the argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(
            vwo_status::VWO_NULL_ARGUMENT,
            format!("{name} is NULL"),
        ));
    }
    // libc's vectorised strlen, then the standard library's word-at-a-time UTF-8 check: for a
    // 200-byte options text about 10 times fewer instructions than one byte loop doing both.
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string valid for 'a.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        Failure::new(
            vwo_status::VWO_INVALID_UTF8,
            format!(
                "{name} is not valid UTF-8 (byte {} is the first bad one)",
                e.valid_up_to()
            ),
        )
    })
}

/// An optional C string argument: NULL is `None`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// Parses a JSON argument text. Syntax errors → `VWO_INVALID_JSON` naming the argument and position.
pub(crate) fn parse_json(text: &str, name: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| {
        Failure::new(
            vwo_status::VWO_INVALID_JSON,
            format!("{name} is not valid JSON: {e}"),
        )
    })
}

/// Checks that a required pointer argument (a handle or an out-parameter) is not NULL.
pub(crate) fn non_null<T>(ptr: *const T, name: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::new(
            vwo_status::VWO_NULL_ARGUMENT,
            format!("{name} is NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Text as a newly allocated C string for the caller, who frees it with `vwo_string_free`.
pub(crate) fn owned_c_string(text: String) -> Result<*mut c_char, Failure> {
    CString::new(text).map(CString::into_raw).map_err(|_| {
        Failure::new(
            vwo_status::VWO_INTERNAL,
            "the result contains a NUL byte and cannot be returned as a C string",
        )
    })
}

/// A message for a C callback: interior NUL bytes (possible in texts from settings) become U+FFFD.
pub(crate) fn message_c_string(text: &str) -> CString {
    match CString::new(text) {
        Ok(c) => c,
        Err(_) => CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default(),
    }
}

/// Writes `value` through an out-pointer.
///
/// # Safety
/// `out` is non-NULL, aligned and valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller's contract; `write` does not read or drop the old (possibly uninit) value.
    unsafe { out.write(value) }
}

/// Copies `text` and a terminating NUL into `buf` of `buf_len` bytes. `false` (nothing written) when
/// `buf` is NULL or the text and its NUL do not fit.
///
/// # Safety
/// `buf` is valid for writes of `buf_len` bytes (it may be NULL when `buf_len` is 0).
pub(crate) unsafe fn copy_to_buffer(text: &str, buf: *mut c_char, buf_len: usize) -> bool {
    let bytes = text.as_bytes();
    if buf.is_null() || bytes.len() >= buf_len {
        return false;
    }
    // SAFETY: `buf` has room for `bytes.len() + 1 <= buf_len` bytes (caller's contract), and a Rust
    // string cannot overlap a buffer the caller owns for writing.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len());
        buf.add(bytes.len()).write(0);
    }
    true
}
