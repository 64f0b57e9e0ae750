//! Answers from a misbehaving server: a body that trickles in, gzip bombs and oversized
//! answers, huge error messages, and a proxy that echoes the request's `Authorization` header.
//! The server is a plain `TcpListener` in a thread that answers each request with whatever
//! bytes the test gives it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use weave_feedback::config::DEFAULT_MAX_RESPONSE_BYTES;
#[cfg(feature = "capi")]
use weave_feedback::ffi;
use weave_feedback::{Client, ClientBuilder, Error, ErrorKind};

const CALL: &str = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
const KEY: &str = "Hostile-Test-Key-0123456789abcdef";

/// 4 MiB of JSON (`{"result":[` , spaces, `]}`: a valid answer with no rows) gzipped to 4 KiB.
const GZIP_BOMB: &[u8] = include_bytes!("fixtures/gzip_bomb_4mib.json.gz");

/// The request as the server saw it: the head (request line and headers).
struct Request {
    head: String,
}

impl Request {
    /// The value of header `name` (any case), if present.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Starts a server answering every connection with `answer`; returns its base URL. The
/// thread lives until the test process ends.
fn serve(answer: impl Fn(&Request, &mut TcpStream) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            if let Some(req) = read_request(&mut s) {
                answer(&req, &mut s);
            }
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Reads the head and the body announced by `Content-Length`.
fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
        let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&seen[..end]).into_owned();
        let req = Request { head };
        let len: usize = req
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        if seen.len() >= end + 4 + len {
            return Some(req);
        }
    }
}

/// A complete response with `Content-Length`.
fn respond(s: &mut TcpStream, status: &str, extra_headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    );
    // The client may hang up early (that is what a cap does); a write error is fine.
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

/// A response whose body is sent in chunked encoding, without an announced length.
fn respond_chunked(s: &mut TcpStream, body: &[u8]) {
    let _ = s.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
          Connection: close\r\n\r\n",
    );
    for part in body.chunks(8192) {
        let _ = write!(s, "{:x}\r\n", part.len());
        let _ = s.write_all(part);
        let _ = s.write_all(b"\r\n");
    }
    let _ = s.write_all(b"0\r\n\r\n");
}

fn builder(base_url: &str) -> ClientBuilder {
    ClientBuilder::new()
        .base_url(base_url)
        .api_key(KEY)
        .max_retries(0)
}

fn query(c: &Client) -> Result<weave_feedback::Feedbacks, Error> {
    c.ref_feedback_query(CALL).unwrap().execute()
}

/// A query answer of about `size` bytes: `rows` real rows padded with whitespace.
fn answer_of(size: usize, rows: usize) -> Vec<u8> {
    let row = r#"{"id":"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f","project_id":"acme/chatbot","weave_ref":"weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd","creator":null,"feedback_type":"wandb.note.1","payload":{"note":"hi"},"wb_user_id":"u","created_at":"2025-03-14T09:26:53.589000"}"#;
    let mut body = String::from(r#"{"result":["#);
    body.push_str(&vec![row; rows].join(","));
    let pad = size.saturating_sub(body.len() + 2);
    body.push_str(&" ".repeat(pad));
    body.push_str("]}");
    body.into_bytes()
}

#[test]
fn a_body_trickling_in_is_a_timeout_within_the_attempt_timeout() {
    let url = serve(|_, s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        );
        // One byte a second, until the client hangs up (or 60 s pass).
        for _ in 0..60 {
            thread::sleep(Duration::from_secs(1));
            if s.write_all(b" ").and_then(|()| s.flush()).is_err() {
                return;
            }
        }
    });
    // The per-attempt timeout fires while reading the body.
    let c = builder(&url)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = query(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(start.elapsed() < Duration::from_secs(5), "{err}");
    // The call's deadline fires while reading the body.
    let c = builder(&url)
        .timeout(Duration::from_secs(30))
        .deadline(Some(Duration::from_millis(700)))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = query(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(start.elapsed() < Duration::from_secs(5), "{err}");
}

#[test]
fn a_gzip_bomb_stops_at_the_cap_counted_after_decompression() {
    let url = serve(|_, s| {
        respond(
            s,
            "200 OK",
            "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
            GZIP_BOMB,
        );
    });
    // 4 KiB on the wire, 4 MiB decoded: a 1 MiB cap must refuse it.
    let err = query(&builder(&url).max_response_bytes(1 << 20).build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("max_response_bytes") && text.contains("1048576"),
        "{text}"
    );
    assert!(text.contains("page through"), "{text}");
    // With room for the decoded size, the same answer is read and decoded (no rows).
    let rows = query(&builder(&url).max_response_bytes(8 << 20).build().unwrap()).unwrap();
    assert!(rows.is_empty());
}

#[test]
fn an_oversized_answer_is_a_decode_error_naming_the_cap() {
    let cap: u64 = 64 * 1024;
    let big = answer_of(200 * 1024, 3);
    let sized = {
        let big = big.clone();
        serve(move |_, s| respond(s, "200 OK", "Content-Type: application/json\r\n", &big))
    };
    let chunked = serve(move |_, s| respond_chunked(s, &big));
    for url in [sized, chunked] {
        let err = query(&builder(&url).max_response_bytes(cap).build().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
        assert!(
            err.to_string()
                .contains(&format!("max_response_bytes ({cap} bytes")),
            "{err}"
        );
    }
}

#[test]
fn an_answer_within_the_cap_decodes() {
    let body = answer_of(50 * 1024, 3);
    let len = body.len() as u64;
    let sized = {
        let body = body.clone();
        serve(move |_, s| respond(s, "200 OK", "Content-Type: application/json\r\n", &body))
    };
    let chunked = serve(move |_, s| respond_chunked(s, &body));
    for url in [sized, chunked] {
        // Exactly at the cap is fine; one byte less is not.
        let rows = query(&builder(&url).max_response_bytes(len).build().unwrap()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].payload["note"], "hi");
        let err = query(&builder(&url).max_response_bytes(len - 1).build().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    }
}

#[test]
fn default_cap_is_64_mib() {
    assert_eq!(DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024 * 1024);
}

#[test]
fn a_50_mb_error_message_is_cut_to_a_few_kib() {
    let body = format!(r#"{{"message": "{}"}}"#, "m".repeat(50_000_000)).into_bytes();
    let total = 50_000_000;
    let url = serve(move |_, s| {
        respond(
            s,
            "500 Internal Server Error",
            "Content-Type: application/json\r\n",
            &body,
        )
    });
    let err = query(&builder(&url).build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    let text = err.to_string();
    assert!(text.len() < 8 * 1024, "{} bytes", text.len());
    assert!(
        text.contains(&format!("[cut: {total} bytes in all]")),
        "{}",
        &text[text.len() - 200..]
    );
    assert!(
        text.contains("mmmmmmmm"),
        "the start of the message is kept"
    );
}

/// Neither the key nor its Basic token, in any case, is in `text`; and something was
/// redacted (so the server really did echo it).
fn assert_scrubbed(text: &str) {
    let token = format!("api:{KEY}");
    let token = base64(token.as_bytes());
    let lower = text.to_lowercase();
    assert!(!lower.contains(&KEY.to_lowercase()), "{text}");
    assert!(!lower.contains(&token.to_lowercase()), "{text}");
    // Not even the start of the token (as a cut through it would leave).
    assert!(!lower.contains(&token.to_lowercase()[..8]), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}

#[test]
fn an_echoed_authorization_header_never_reaches_a_message() {
    type Echo = fn(&str) -> (&'static str, &'static str, String);
    let cases: [Echo; 5] = [
        |auth| {
            (
                "400 Bad Request",
                "",
                format!("you sent Authorization: {auth}"),
            )
        },
        |auth| {
            (
                "500 Internal Server Error",
                "Content-Type: application/json\r\n",
                format!(r#"{{"message": "bad header Authorization: {auth}"}}"#),
            )
        },
        |auth| {
            (
                "400 Bad Request",
                "",
                format!("authorization: {}", auth.to_lowercase()),
            )
        },
        // The raw key too, as a proxy that decodes the token would show it.
        |auth| {
            (
                "401 Unauthorized",
                "Content-Type: application/json\r\n",
                format!(r#"{{"detail": "user api, key {KEY} is not valid ({auth})"}}"#),
            )
        },
        |auth| {
            (
                "502 Bad Gateway",
                "",
                // The token starts 12 bytes before the 4 KiB cut and ends after it.
                format!("{}{auth}", "x".repeat(4078)),
            )
        },
    ];
    for echo in cases {
        let url = serve(move |req, s| {
            let auth = req.header("authorization").unwrap_or("none").to_string();
            let (status, headers, body) = echo(&auth);
            respond(s, status, headers, body.as_bytes());
        });
        let err = query(&builder(&url).build().unwrap()).unwrap_err();
        assert_scrubbed(&err.to_string());
        assert_scrubbed(&format!("{err:?}"));
    }
    // A redirect whose Location carries the key.
    let url = serve(|_, s| {
        respond(
            s,
            "302 Found",
            &format!(
                "Location: https://evil.example/?k={}\r\n",
                KEY.to_uppercase()
            ),
            b"",
        )
    });
    let err = query(&builder(&url).build().unwrap()).unwrap_err();
    assert_scrubbed(&err.to_string());
}

/// Standard base64 with padding (the Basic token's encoding).
fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                T[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

/// Through the C API, so only with the `capi` feature.
#[cfg(feature = "capi")]
#[test]
fn c_setter_refuses_zero_and_the_cap_applies() {
    let body = answer_of(10 * 1024, 1);
    let url = serve(move |_, s| respond(s, "200 OK", "Content-Type: application/json\r\n", &body));
    let url_c = std::ffi::CString::new(url).unwrap();
    // SAFETY: handles come from the library and are freed once; pointers are valid.
    unsafe {
        let opts = ffi::weave_client_options_new();
        assert!(!opts.is_null());
        let mut err = std::ptr::null_mut();
        let st = ffi::weave_client_options_set_base_url(opts, url_c.as_ptr(), &mut err);
        assert_eq!(st, ffi::weave_status::Ok);
        let st = ffi::weave_client_options_set_max_response_bytes(opts, 0, &mut err);
        assert_eq!(st, ffi::weave_status::InvalidArgument);
        assert!(!err.is_null());
        let msg = std::ffi::CStr::from_ptr(ffi::weave_error_message(err));
        assert!(msg.to_str().unwrap().contains("max_response_bytes"));
        ffi::weave_error_free(err);
        let mut err = std::ptr::null_mut();
        let st = ffi::weave_client_options_set_max_response_bytes(opts, 1024, &mut err);
        assert_eq!(st, ffi::weave_status::Ok);
        let mut client = std::ptr::null_mut();
        let st = ffi::weave_client_new(opts, &mut client, &mut err);
        assert_eq!(st, ffi::weave_status::Ok);
        ffi::weave_client_options_free(opts);
        let call = std::ffi::CString::new(CALL).unwrap();
        let mut q = std::ptr::null_mut();
        let st = ffi::weave_ref_feedback_query_new(client, call.as_ptr(), &mut q, &mut err);
        assert_eq!(st, ffi::weave_status::Ok);
        let mut rows = std::ptr::null_mut();
        let st = ffi::weave_ref_feedback_query_execute(q, &mut rows, &mut err);
        assert_eq!(st, ffi::weave_status::Decode);
        assert!(rows.is_null());
        let msg = std::ffi::CStr::from_ptr(ffi::weave_error_message(err));
        assert!(msg.to_str().unwrap().contains("1024 bytes"), "{msg:?}");
        ffi::weave_error_free(err);
        ffi::weave_ref_feedback_query_free(q);
        ffi::weave_client_free(client);
    }
}
