//! The C handle over either form of a query's rows: a scanned answer read in place
//! (`feedback::scan`), or rows made in Rust and copied. Whether a given answer is scanned is
//! the scanner's decision, so each test asks it (`Scanned::scan`) and checks that the handle
//! took the matching form; until the scanner lands (its stub declines every answer) that is
//! the fallback, and the comparisons below check that both paths read the same.

use std::ffi::{c_char, CStr};
use std::ptr;

use super::*;
use crate::config::ClientBuilder;
use crate::feedback::scan::Scanned;
use crate::feedback::test_rows::answers;
use crate::feedback::Feedbacks;
use crate::RefFeedbackQuery;

type Getter = unsafe extern "C" fn(*const weave_feedback) -> *const c_char;

/// Every string getter of a row.
const GETTERS: [Getter; 13] = [
    weave_feedback_id,
    weave_feedback_project_id,
    weave_feedback_weave_ref,
    weave_feedback_feedback_type,
    weave_feedback_payload_json,
    weave_feedback_creator,
    weave_feedback_wb_user_id,
    weave_feedback_created_at,
    weave_feedback_annotation_ref,
    weave_feedback_runnable_ref,
    weave_feedback_call_ref,
    weave_feedback_trigger_ref,
    weave_feedback_queue_id,
];

/// A borrowed C string as Rust text (`None` for NULL).
fn text(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or a NUL-terminated string this library returned, still alive.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

/// An owned string out of a call that writes one, freed here.
fn owned(call: impl FnOnce(*mut *mut c_char, *mut *mut weave_error) -> weave_status) -> String {
    let mut out = ptr::null_mut();
    let mut err = ptr::null_mut();
    assert_eq!(call(&mut out, &mut err), weave_status::Ok);
    let s = text(out).unwrap();
    // SAFETY: an owned string from this library, freed once.
    unsafe { weave_string_free(out) };
    s
}

/// Everything a C reader can read from a list: each row's strings (all of them before
/// anything that needs the rows built), then each row's JSON, the list's JSON, table and refs.
fn read_all(list: *const weave_feedbacks) -> Vec<Option<String>> {
    let mut seen = Vec::new();
    // SAFETY (all calls below): `list` is a live handle; rows are borrowed from it.
    let len = unsafe { weave_feedbacks_len(list) };
    let row = |i| unsafe { weave_feedbacks_get(list, i) };
    assert!(row(len).is_null(), "past the end");
    for i in 0..len {
        seen.extend(GETTERS.iter().map(|get| text(unsafe { get(row(i)) })));
    }
    for i in 0..len {
        seen.push(Some(owned(|o, e| unsafe {
            weave_feedback_to_json(row(i), o, e)
        })));
    }
    seen.push(Some(owned(|o, e| unsafe {
        weave_feedbacks_to_json(list, o, e)
    })));
    seen.push(Some(owned(|o, e| unsafe {
        weave_feedbacks_format_table(list, o, e)
    })));
    let mut refs = ptr::null_mut();
    let mut err = ptr::null_mut();
    assert_eq!(
        unsafe { weave_feedbacks_refs(list, &mut refs, &mut err) },
        weave_status::Ok
    );
    for i in 0..unsafe { weave_refs_len(refs) } {
        seen.push(text(unsafe { weave_refs_get(refs, i) }));
    }
    unsafe { weave_refs_free(refs) };
    seen
}

/// A list handle's form and everything it reads (the handle is freed).
fn read_handle(rows: Feedbacks) -> (bool, Vec<Option<String>>) {
    let list = weave_feedbacks::new_handle(rows);
    // SAFETY: a live handle, freed once below.
    let scanned = unsafe { &*list }.is_scanned();
    let seen = read_all(list);
    // SAFETY: as above.
    unsafe { weave_feedbacks_free(list) };
    (scanned, seen)
}

/// Whatever form holds the rows, a C reader reads the same strings, JSON, table and refs,
/// from any number of threads at once (the first to need a scanned list's rows builds them);
/// the copied form is checked against the rows themselves.
#[test]
fn a_list_reads_the_same_whichever_form_holds_its_rows() {
    for body in answers() {
        let (reference, _) = Feedbacks::from_query_page(&body, true).unwrap();
        let accepted = Scanned::scan(body.clone()).is_ok();
        let (c_path, _) = Feedbacks::from_query_page_scanned(body, true).unwrap();

        let (scanned, expected) = read_handle(reference.clone());
        assert!(!scanned, "rows made in Rust are copied");
        if let Some(f) = reference.get(0) {
            assert_eq!(expected[0].as_deref(), Some(f.id.as_str()));
            assert_eq!(expected[4].as_deref(), Some(f.payload_json()));
            assert_eq!(expected[5], f.creator);
            assert_eq!(expected[7].as_deref(), Some(f.created_at_rfc3339()));
        }

        let list = weave_feedbacks::new_handle(c_path);
        // SAFETY: a live handle, freed below after the threads end.
        assert_eq!(unsafe { &*list }.is_scanned(), accepted);
        let address = list as usize;
        std::thread::scope(|s| {
            let readers: Vec<_> = (0..4)
                .map(|_| s.spawn(move || read_all(address as *const weave_feedbacks)))
                .collect();
            for r in readers {
                assert_eq!(r.join().unwrap(), expected);
            }
        });
        // SAFETY: as above; no thread uses it any more.
        unsafe { weave_feedbacks_free(list) };
    }
}

/// Reads `weave_feedbacks_*` results for a query of `client` made through the C API.
fn c_query(client: *const weave_client, weave_ref: &CStr) -> Vec<Option<String>> {
    let mut q = ptr::null_mut();
    let mut err = ptr::null_mut();
    let mut list = ptr::null_mut();
    // SAFETY: a live client; the query and the list are freed here.
    unsafe {
        assert_eq!(
            weave_ref_feedback_query_new(client, weave_ref.as_ptr(), &mut q, &mut err),
            weave_status::Ok
        );
        assert_eq!(
            weave_ref_feedback_query_refresh(q, &mut list, &mut err),
            weave_status::Ok
        );
        weave_ref_feedback_query_free(q);
        let seen = read_all(list);
        weave_feedbacks_free(list);
        seen
    }
}

/// The ids of a project's rows walked with a C cursor, `page_size` rows per page.
fn c_walk(client: *const weave_client, page_size: usize) -> Vec<Vec<String>> {
    let (mut q, mut cursor, mut err) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    let mut pages = Vec::new();
    // SAFETY: a live client; every handle made here is freed here.
    unsafe {
        let status = weave_feedback_query_new(
            client,
            c"acme".as_ptr(),
            c"chatbot".as_ptr(),
            ptr::null(),
            -1,
            -1,
            false,
            &mut q,
            &mut err,
        );
        assert_eq!(status, weave_status::Ok);
        let status = weave_feedback_cursor_new(q, page_size, &mut cursor, &mut err);
        assert_eq!(status, weave_status::Ok);
        loop {
            let (mut page, mut done) = (ptr::null_mut(), false);
            let status = weave_feedback_cursor_next(cursor, &mut page, &mut done, &mut err);
            assert_eq!(status, weave_status::Ok);
            if done {
                break;
            }
            pages.push(
                (0..weave_feedbacks_len(page))
                    .map(|i| text(weave_feedback_id(weave_feedbacks_get(page, i))).unwrap())
                    .collect(),
            );
            weave_feedbacks_free(page);
        }
        weave_feedback_cursor_free(cursor);
        weave_feedback_query_free(q);
    }
    pages
}

/// A client made by `weave_client_new` reads query answers on the C layer's path (scanned
/// when the scanner takes the answer) and a Rust client never does; both read the same rows,
/// in a query and in a cursor's walk (whose paging keys come from the scanned answer).
#[test]
fn the_c_client_reads_answers_on_the_scanned_path_and_rust_clients_do_not() {
    let weave_ref = c"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
    let mut client = ptr::null_mut();
    let mut err = ptr::null_mut();
    // SAFETY: options made, used and freed here; `client` freed at the end.
    unsafe {
        let options = weave_client_options_new();
        let status =
            weave_client_options_set_base_url(options, c"sqlite::memory:".as_ptr(), &mut err);
        assert_eq!(status, weave_status::Ok);
        assert_eq!(
            weave_client_new(options, &mut client, &mut err),
            weave_status::Ok
        );
        weave_client_options_free(options);
    }
    // SAFETY: a live client.
    let c_client = unsafe { &*client }.client.clone();
    assert!(c_client.scan_answers);
    let mut rust = c_client.clone(); // the same store (clones share it)
    rust.scan_answers = false;
    assert!(!ClientBuilder::new().build().unwrap().scan_answers);

    let target = weave_ref.to_str().unwrap();
    let mut q = RefFeedbackQuery::new(&c_client, target).unwrap();
    q.add_note("first \"quoted\" é", Some("Dana")).unwrap();
    q.add_reaction("🎉", None).unwrap();
    q.add_note("third", None).unwrap();
    q.add_note("fourth", Some("Lee")).unwrap();

    let reference = RefFeedbackQuery::new(&rust, target)
        .unwrap()
        .refresh()
        .unwrap();
    let c_path = q.refresh().unwrap();
    assert_eq!(c_path, reference);
    // The answer the C path read, as the scanner saw it.
    let first_page = q.as_feedback_query().pages(10_000).unwrap();
    let t = c_client.transport();
    let answer = t
        .post_json(
            &t.budget(),
            "/feedback/query",
            &first_page.next_request_body(),
        )
        .unwrap();
    // The local store answers as Weave's server does, so the fast path takes it.
    assert!(Scanned::scan(answer).is_ok());
    assert!(c_path.scanned().is_some());

    let (scanned, expected) = read_handle(reference.clone());
    assert!(!scanned);
    assert_eq!(c_query(client, weave_ref), expected);

    let ids: Vec<String> = reference.iter().map(|f| f.id.clone()).collect();
    let walked = c_walk(client, 3);
    assert_eq!(walked.iter().map(Vec::len).collect::<Vec<_>>(), [3, 1]);
    assert_eq!(walked.concat(), ids);
    // SAFETY: a live client, freed once; nothing uses it afterwards.
    unsafe { weave_client_free(client) };
}
