//! Refs from their parts (`weave_ref_build_*`): the C face of `WeaveRef::call`, `object`, `op`,
//! `table` and `with_extra`.

use std::ffi::c_char;

use super::{arg_str, owned_c_string, weave_error, weave_status, Out};
use crate::error::{Error, Result};
use crate::refs::WeaveRef;

/// Reads `count` strings from `parts` (which may be NULL only when `count` is 0).
///
/// # Safety
/// `parts` is NULL or points to `count` pointers, each NULL or a NUL-terminated string.
unsafe fn string_array<'a>(parts: *const *const c_char, count: usize) -> Result<Vec<&'a str>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if parts.is_null() {
        return Err(Error::InvalidArgument(format!(
            "extra must not be NULL when extra_count is {count}"
        )));
    }
    (0..count)
        .map(|i| {
            // SAFETY: `parts` holds `count` readable pointers, per this function's contract.
            let p = unsafe { *parts.add(i) };
            // SAFETY: each is NULL or a NUL-terminated string, per this function's contract.
            unsafe { arg_str(p, &format!("extra[{i}]")) }
        })
        .collect()
}

/// Writes the built ref, with its extra parts, to `out`.
fn finish_ref(built: Result<WeaveRef>, extra: &[&str], out: Out<*mut c_char>) -> Result<()> {
    let mut r = built?;
    if !extra.is_empty() {
        r = r.with_extra(extra)?;
    }
    out.set(owned_c_string(r.as_str()));
    Ok(())
}

/// Builds a call ref, `weave:///<entity>/<project>/call/<id>`, followed by the `extra_count`
/// path parts in `extra` (NULL when `extra_count` is 0), each percent-escaped as the SDK's
/// `CallRef(...).uri` writes them.
///
/// An empty `entity`, `project` or `id`, or a `/` in any of them, gives
/// `WEAVE_STATUS_INVALID_ARGUMENT` (the result would not parse back to these parts). On success
/// `*out_ref` is an owned string freed with `weave_string_free`. No network.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_build_call(
    entity: *const c_char,
    project: *const c_char,
    id: *const c_char,
    extra: *const *const c_char,
    extra_count: usize,
    out_ref: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_build_call", out_error, {
        // SAFETY: NULL or NUL-terminated strings.
        let entity = unsafe { arg_str(entity, "entity") }?;
        // SAFETY: as above.
        let project = unsafe { arg_str(project, "project") }?;
        // SAFETY: as above.
        let id = unsafe { arg_str(id, "id") }?;
        // SAFETY: NULL or `extra_count` pointers to strings.
        let extra = unsafe { string_array(extra, extra_count) }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_ref, "out_ref") }?;
        finish_ref(WeaveRef::call(entity, project, id), &extra, out)
    })
}

/// Builds an object version ref, `weave:///<entity>/<project>/object/<name>:<version>`,
/// followed by the `extra_count` path parts in `extra` (NULL when `extra_count` is 0), each
/// percent-escaped, as the SDK's `ObjectRef(...).uri` writes it. Extra parts are usually
/// edge/value pairs: `"key"`, `"attr"`, `"index"` or `"id"` and a value.
///
/// An empty part, a `/` in any of them, or a `:` in `name` or `version` gives
/// `WEAVE_STATUS_INVALID_ARGUMENT`. On success `*out_ref` is an owned string freed with
/// `weave_string_free`. No network.
#[no_mangle]
#[must_use]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weave_ref_build_object(
    entity: *const c_char,
    project: *const c_char,
    name: *const c_char,
    version: *const c_char,
    extra: *const *const c_char,
    extra_count: usize,
    out_ref: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_build_object", out_error, {
        // SAFETY: as in `weave_ref_build_call`.
        let (entity, project, name, version, extra, out) =
            unsafe { versioned_args(entity, project, name, version, extra, extra_count, out_ref) }?;
        finish_ref(
            WeaveRef::object(entity, project, name, version),
            &extra,
            out,
        )
    })
}

/// Builds an op version ref, `weave:///<entity>/<project>/op/<name>:<version>`, with the
/// arguments, rules and ownership of `weave_ref_build_object` (the SDK's `OpRef(...).uri`).
#[no_mangle]
#[must_use]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn weave_ref_build_op(
    entity: *const c_char,
    project: *const c_char,
    name: *const c_char,
    version: *const c_char,
    extra: *const *const c_char,
    extra_count: usize,
    out_ref: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_build_op", out_error, {
        // SAFETY: as in `weave_ref_build_call`.
        let (entity, project, name, version, extra, out) =
            unsafe { versioned_args(entity, project, name, version, extra, extra_count, out_ref) }?;
        finish_ref(WeaveRef::op(entity, project, name, version), &extra, out)
    })
}

type VersionedArgs<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Vec<&'a str>,
    Out<*mut c_char>,
);

/// The arguments of `weave_ref_build_object` and `_op`, checked.
///
/// # Safety
/// Strings NULL or NUL-terminated; `extra` as for `string_array`; `out` NULL or writable.
unsafe fn versioned_args<'a>(
    entity: *const c_char,
    project: *const c_char,
    name: *const c_char,
    version: *const c_char,
    extra: *const *const c_char,
    extra_count: usize,
    out: *mut *mut c_char,
) -> Result<VersionedArgs<'a>> {
    // SAFETY: per this function's contract, for each argument below.
    unsafe {
        Ok((
            arg_str(entity, "entity")?,
            arg_str(project, "project")?,
            arg_str(name, "name")?,
            arg_str(version, "version")?,
            string_array(extra, extra_count)?,
            Out::required(out, "out_ref")?,
        ))
    }
}

/// Builds a table ref, `weave:///<entity>/<project>/table/<digest>` (the SDK's
/// `TableRef(...).uri`; a table ref takes no extra parts).
///
/// An empty part, a `/` in any of them, or a `:` in `digest` gives
/// `WEAVE_STATUS_INVALID_ARGUMENT`. On success `*out_ref` is an owned string freed with
/// `weave_string_free`. No network.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn weave_ref_build_table(
    entity: *const c_char,
    project: *const c_char,
    digest: *const c_char,
    out_ref: *mut *mut c_char,
    out_error: *mut *mut weave_error,
) -> weave_status {
    ffi_status!("weave_ref_build_table", out_error, {
        // SAFETY: NULL or NUL-terminated strings.
        let entity = unsafe { arg_str(entity, "entity") }?;
        // SAFETY: as above.
        let project = unsafe { arg_str(project, "project") }?;
        // SAFETY: as above.
        let digest = unsafe { arg_str(digest, "digest") }?;
        // SAFETY: NULL or valid for a write.
        let out = unsafe { Out::required(out_ref, "out_ref") }?;
        finish_ref(WeaveRef::table(entity, project, digest), &[], out)
    })
}
