//! Integration-test harness: runs Weave's real feedback server logic (weave==0.52.35 on SQLite,
//! behind a thin HTTP front, `tests/server/weave_test_server.py`) as a child process.
//!
//! Use from `tests/*.rs` with `mod common;`. Each `TestServer` has its own fresh database, so
//! tests are independent and may run in parallel.
//!
//! Python: `$WEAVE_TEST_PYTHON` if set, else `tests/server/setup_venv.sh` is run once per test
//! binary (it creates/reuses the venv at `${WEAVE_TEST_VENV:-target/weave-venv}`).
//!
//! Start-up: importing Weave takes ~2-3 s, so by default a "zygote" process imports it once and
//! forks a server per `TestServer` (~0.1 s each): one zygote per test binary under `cargo test`,
//! one per run shared by all test processes under cargo-nextest. `WEAVE_TEST_ZYGOTE=0` spawns
//! every server directly (see `zygote()` for the other values).
//!
//! `fixtures` holds the client-side helpers.
#![allow(dead_code)]

pub mod fixtures;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long to wait for `LISTENING <port>` (covers a cold Weave import on a slow machine).
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub struct TestServer {
    /// `http://127.0.0.1:<port>`; the client appends `/feedback/create` etc.
    pub base_url: String,
    /// The key the server requires (`Authorization: Basic base64("api:" + key)`), if any.
    pub api_key: Option<String>,
    pub port: u16,
    /// Time from spawning the process to reading `LISTENING <port>`.
    pub startup: Duration,
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

#[allow(dead_code)]
impl TestServer {
    /// A server that requires no authentication (every write is stamped with user "test-user").
    pub fn start() -> TestServer {
        Self::spawn(None)
    }

    /// A server that answers 401 `{"reason":"Unauthorized"}` to `/feedback/*` requests without
    /// `Authorization: Basic base64("api:" + key)`. `GET /server_info` needs no key.
    pub fn start_with_api_key(key: &str) -> TestServer {
        Self::spawn(Some(key))
    }

    /// A server on `port` (e.g. the port of a server killed before: "the server comes back").
    pub fn start_on_port(port: u16) -> TestServer {
        Self::spawn_on(None, port)
    }

    fn spawn(api_key: Option<&str>) -> TestServer {
        Self::spawn_on(api_key, 0)
    }

    fn spawn_on(api_key: Option<&str>, port: u16) -> TestServer {
        let python = python_path();
        let mut server_args: Vec<String> = vec!["--port".into(), port.to_string()];
        if let Some(k) = api_key {
            server_args.push("--api-key".into());
            server_args.push(k.into());
        }
        let mut cmd = match zygote() {
            Some(z) => {
                let mut c = Command::new(python);
                c.arg("-I")
                    .arg("-S")
                    .arg(server_dir().join("zygote_client.py"))
                    .arg(&z.socket);
                c
            }
            None => {
                let mut c = Command::new(python);
                c.arg(server_dir().join("weave_test_server.py"));
                c
            }
        };
        cmd.args(&server_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let t0 = Instant::now();
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn test server with {python}: {e}"));
        let stdin = child.stdin.take();
        let stderr = drain(child.stderr.take().expect("stderr"));
        let port = match wait_listening(child.stdout.take().expect("stdout"), START_TIMEOUT) {
            Ok(port) => port,
            Err(why) => {
                let _ = child.kill();
                let status = child.wait();
                // Give the drain thread a moment to collect the last output.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "test server did not start ({why}; exit: {status:?}); stderr:\n{}",
                    String::from_utf8_lossy(&stderr.lock().unwrap())
                );
            }
        };
        TestServer {
            base_url: format!("http://127.0.0.1:{port}"),
            api_key: api_key.map(str::to_owned),
            port,
            startup: t0.elapsed(),
            child,
            stdin,
            stderr,
        }
    }

    /// Replace the fault configuration (`POST /__test/faults`), e.g.
    /// `{"fail_first":2,"fail_status":503,"routes":["/feedback/create"]}`. Counters restart.
    pub fn set_faults(&self, json: &str) {
        let (status, body) = self.request("POST", "/__test/faults", json);
        assert_eq!(status, 200, "set_faults({json}) failed: {body}");
    }

    /// Clear faults and all statistics (`POST /__test/reset`). Stored feedback is kept.
    pub fn reset(&self) {
        let (status, body) = self.request("POST", "/__test/reset", "");
        assert_eq!(status, 200, "reset failed: {body}");
    }

    /// Blocks until the server handles no request (`/__test/wait_idle`): a request the client
    /// gave up on (timeout) may still be running, and may still commit.
    pub fn wait_idle(&self) {
        let (status, body) = self.request("POST", "/__test/wait_idle", "");
        assert_eq!(status, 200, "wait_idle failed: {body}");
    }

    /// Raw JSON of `GET /__test/stats`:
    /// `{"requests":{route:n},"retry_ids":{route:[id|null,..]},"last_headers":{lowercase name:value},
    ///   "last_route":..,"last_body":..,"faults":{..},"faults_applied":{fault:n}}`.
    /// Control requests (`/__test/*`) are not counted.
    pub fn stats(&self) -> String {
        let (status, body) = self.request("GET", "/__test/stats", "");
        assert_eq!(status, 200, "stats failed: {body}");
        body
    }

    /// `GET /__test/stats`, parsed.
    pub fn stats_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stats()).expect("stats are JSON")
    }

    /// Number of requests received on `route` (e.g. "/feedback/create"), faulted ones included.
    pub fn request_count(&self, route: &str) -> u64 {
        self.stats_json()["requests"][route].as_u64().unwrap_or(0)
    }

    /// The `X-Weave-Retry-Id` header of every request on `route`, in arrival order
    /// (`None` where absent).
    pub fn retry_ids(&self, route: &str) -> Vec<Option<String>> {
        let stats = self.stats_json();
        let Some(ids) = stats["retry_ids"][route].as_array() else {
            return vec![];
        };
        ids.iter().map(|i| i.as_str().map(str::to_string)).collect()
    }

    /// A header of the last `/feedback/*` or `/server_info` request (name case-insensitive).
    pub fn last_header(&self, name: &str) -> Option<String> {
        self.stats_json()["last_headers"][name.to_ascii_lowercase()]
            .as_str()
            .map(str::to_string)
    }

    /// One HTTP/1.1 request (`Connection: close`) to this server; returns (status, body).
    /// No Authorization header is sent.
    pub fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        self.request_with_headers(method, path, body, &[])
    }

    /// Like `request`, with extra headers (e.g. `("Authorization", "Basic ...")`).
    pub fn request_with_headers(
        &self,
        method: &str,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect to test server: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("write request");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read response");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad HTTP response: {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Everything the server wrote to stderr so far (warnings, 500 tracebacks with --verbose).
    pub fn stderr_output(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Stop the server now, e.g. to test connection-refused handling. Returns once the port
    /// refuses connections (at most ~5 s).
    pub fn kill(&mut self) {
        self.shutdown();
        // Through the zygote the server itself exits a moment after its launcher.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl TestServer {
    fn shutdown(&mut self) {
        // EOF on stdin makes the server shut down cleanly (and delete its database);
        // fall back to SIGKILL if it does not exit promptly.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----------------------------------------------------------------------------- process plumbing

fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("server")
}

/// The venv's python: `$WEAVE_TEST_PYTHON`, else the last stdout line of setup_venv.sh (run once).
pub fn python_path() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(p) = std::env::var("WEAVE_TEST_PYTHON") {
            if !p.is_empty() {
                return p;
            }
        }
        let script = server_dir().join("setup_venv.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(str::trim);
        match (out.status.success(), last) {
            (true, Some(p)) => p.to_owned(),
            _ => panic!(
                "{} failed ({}):\n{}\n{}",
                script.display(),
                out.status,
                stdout,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    })
}

struct Zygote {
    socket: PathBuf,
    // Per-binary zygote: never dropped (lives in a static), so its stdin pipe closes only when
    // the test binary exits, and the zygote then terminates its servers and itself.
    _stdin: Option<ChildStdin>,
    _child: Option<Child>,
}

/// The fork server to use, or None (spawn each server directly).
/// `WEAVE_TEST_ZYGOTE`: `0`/`false` = off; `shared` = one zygote per nextest run shared by all
/// test processes (the default under cargo-nextest, which runs each test in its own process);
/// otherwise one zygote per test binary.
fn zygote() -> Option<&'static Zygote> {
    static ZYGOTE: OnceLock<Option<Zygote>> = OnceLock::new();
    ZYGOTE
        .get_or_init(|| {
            let mode = std::env::var("WEAVE_TEST_ZYGOTE").unwrap_or_default();
            let z = match mode.as_str() {
                "0" | "false" | "off" => return None,
                "shared" => shared_zygote(),
                "1" | "true" | "binary" => binary_zygote(),
                _ if std::env::var_os("NEXTEST").is_some() => shared_zygote(),
                _ => binary_zygote(),
            };
            if let Err(e) = &z {
                eprintln!("weave test harness: no zygote ({e}); spawning servers directly");
            }
            z.ok()
        })
        .as_ref()
}

fn zygote_command(socket: &Path) -> Command {
    let mut c = Command::new(python_path());
    c.arg(server_dir().join("weave_test_server.py"))
        .arg("--zygote")
        .arg(socket);
    c
}

/// Wait for the zygote's `ZYGOTE READY` line.
fn wait_ready(child: &mut Child) -> Result<(), String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let ready = matches!(lines.next(), Some(Ok(l)) if l.trim() == "ZYGOTE READY");
        let _ = tx.send(ready);
        for _ in lines {}
    });
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(true) => Ok(()),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            Err("zygote did not start".into())
        }
    }
}

fn binary_zygote() -> Result<Zygote, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let socket =
        std::env::temp_dir().join(format!("weave-zygote-{}-{nanos}.sock", std::process::id()));
    let mut child = zygote_command(&socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdin = child.stdin.take();
    wait_ready(&mut child)?;
    Ok(Zygote {
        socket,
        _stdin: stdin,
        _child: Some(child),
    })
}

/// One detached zygote shared by all test processes of a nextest run (keyed by
/// `NEXTEST_RUN_ID` and the server script's mtime); it exits after 15 s without servers.
fn shared_zygote() -> Result<Zygote, String> {
    use std::os::unix::net::UnixStream;
    let script = server_dir().join("weave_test_server.py");
    let mtime = std::fs::metadata(&script)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let run = std::env::var("NEXTEST_RUN_ID").unwrap_or_else(|_| "shared".into());
    let run: String = run
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    let dir = std::env::temp_dir();
    let socket = dir.join(format!("weave-zygote-{run}-{mtime}.sock"));
    let lock_path = dir.join(format!("weave-zygote-{run}-{mtime}.lock"));
    let lock = std::fs::File::create(&lock_path).map_err(|e| e.to_string())?;
    lock.lock().map_err(|e| e.to_string())?; // released when `lock` is dropped
    if UnixStream::connect(&socket).is_ok() {
        return Ok(Zygote {
            socket,
            _stdin: None,
            _child: None,
        });
    }
    let mut child = zygote_command(&socket)
        .args(["--detach", "--idle-exit", "15"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    wait_ready(&mut child)?;
    // Not killed on drop: it outlives this process and serves the others.
    Ok(Zygote {
        socket,
        _stdin: None,
        _child: None,
    })
}

/// Collect a pipe's output in the background (so the child never blocks on a full pipe).
fn drain(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

/// Read stdout until `LISTENING <port>`; keep draining it afterwards.
fn wait_listening(stdout: impl Read + Send + 'static, timeout: Duration) -> Result<u16, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(p) = line.trim().strip_prefix("LISTENING ") {
                let _ = tx.send(
                    p.trim()
                        .parse::<u16>()
                        .map_err(|e| format!("bad port {p:?}: {e}")),
                );
                for _ in lines {}
                return;
            }
            seen.push(line);
        }
        let _ = tx.send(Err(format!(
            "stdout closed before LISTENING (stdout: {seen:?})"
        )));
    });
    match rx.recv_timeout(timeout) {
        Ok(r) => r,
        Err(_) => Err(format!("no LISTENING line within {timeout:?}")),
    }
}
