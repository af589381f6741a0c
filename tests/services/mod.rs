//! Real services for the operations tests: `redis-server` and `nginx`
//! (Debian packages), each started by the test on an ephemeral loopback port
//! with its files in a temporary directory, and killed on drop, even when the
//! test panics.
//!
//! Without the binaries a test prints SKIP, unless `REQUIRE_SERVICES=1` (set
//! by `.ci/run`), which turns a missing binary into a failure.
//!
//! Environment: `REDIS_SERVER` and `NGINX` override the binary paths
//! (defaults `/usr/bin/redis-server`, `/usr/sbin/nginx`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// True when `REQUIRE_SERVICES=1`: a missing service fails the test.
pub fn services_required() -> bool {
    std::env::var_os("REQUIRE_SERVICES").is_some_and(|v| v == "1")
}

/// The binary at `$env_var` or `default`, if it exists.
fn find_binary(env_var: &str, default: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found (install the Debian package, or set {env_var})",
            path.display()
        ))
    }
}

/// Paths of `redis-server` and `nginx`, or `None` after printing SKIP (a
/// panic under `REQUIRE_SERVICES=1`). `need_nginx = false` asks for Redis only.
pub fn binaries_or_skip(test_name: &str, need_nginx: bool) -> Option<(PathBuf, Option<PathBuf>)> {
    let redis = find_binary("REDIS_SERVER", "/usr/bin/redis-server");
    let nginx = if need_nginx {
        find_binary("NGINX", "/usr/sbin/nginx").map(Some)
    } else {
        Ok(None)
    };
    match (redis, nginx) {
        (Ok(redis), Ok(nginx)) => Some((redis, nginx)),
        (Err(reason), _) | (_, Err(reason)) => {
            if services_required() {
                panic!("{test_name}: REQUIRE_SERVICES=1 but {reason}");
            }
            eprintln!("SKIP {test_name}: {reason} (set REQUIRE_SERVICES=1 to make this a failure)");
            None
        }
    }
}

/// Path of `nginx` alone (for tests that need no Redis), or `None` after
/// printing SKIP (a panic under `REQUIRE_SERVICES=1`).
pub fn nginx_or_skip(test_name: &str) -> Option<PathBuf> {
    match find_binary("NGINX", "/usr/sbin/nginx") {
        Ok(path) => Some(path),
        Err(reason) => {
            if services_required() {
                panic!("{test_name}: REQUIRE_SERVICES=1 but {reason}");
            }
            eprintln!("SKIP {test_name}: {reason} (set REQUIRE_SERVICES=1 to make this a failure)");
            None
        }
    }
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<tmp>/<prefix>-<pid>-<nanos>`.
    pub fn new(prefix: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Guarded {
    child: Option<Child>,
    name: String,
    /// The child leads its own process group (spawned with
    /// `process_group(0)`): kill the whole group, so helpers it forked (nginx's
    /// workers) go too.
    group: bool,
}

impl Guarded {
    /// Guards `child`, named `name` in messages.
    pub fn new(name: impl Into<String>, child: Child) -> Guarded {
        Guarded {
            child: Some(child),
            name: name.into(),
            group: false,
        }
    }

    /// Guards `child`, spawned as the leader of its own process group; the
    /// whole group is killed.
    pub fn group_leader(name: impl Into<String>, child: Child) -> Guarded {
        Guarded {
            child: Some(child),
            name: name.into(),
            group: true,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    /// Its exit code, once it has exited by itself (`None` while running,
    /// or when ended by a signal).
    pub fn exit_code(&mut self) -> Option<i32> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
            .and_then(|status| status.code())
    }

    /// SIGKILL (to the whole group for a group leader), then wait for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            if self.group {
                // The group id is the leader's pid; `kill -KILL -- -PGID`.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGINT (the app's graceful shutdown), then wait up to `timeout` for it
    /// to exit; SIGKILL after that. Returns whether it exited by itself.
    pub fn interrupt(&mut self, timeout: Duration) -> bool {
        self.stop_with("-INT", timeout)
    }

    /// SIGTERM (what docker, systemd and Kubernetes send), then as
    /// [`interrupt`](Self::interrupt).
    pub fn terminate(&mut self, timeout: Duration) -> bool {
        self.stop_with("-TERM", timeout)
    }

    fn stop_with(&mut self, signal: &str, timeout: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!(
            "{} did not stop within {timeout:?} after {signal}; killing it",
            self.name
        );
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port that was free a moment ago (bind to port 0, release).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Waits until `port` accepts a TCP connection; panics after `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration, what: &str) {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} did not listen on 127.0.0.1:{port} within {timeout:?}");
}

/// One `PING` over a raw connection: whether `+PONG` came back.
pub fn redis_ping(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// A `redis-server` without persistence on its own port and directory.
pub struct RedisServer {
    binary: PathBuf,
    dir: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    process: Option<Guarded>,
}

impl RedisServer {
    /// Starts one on a free port, with `dir` as its working directory.
    pub fn start(binary: &Path, dir: &Path) -> RedisServer {
        let mut server = RedisServer {
            binary: binary.to_owned(),
            dir: dir.to_owned(),
            port: free_port(),
            process: None,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// SIGKILL: the data is gone (no persistence), clients see resets.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// SIGSTOP: the server hangs. The kernel still completes TCP
    /// handshakes into its listen backlog and buffers what clients send, but
    /// nothing is answered: what a hung or swapped-out Redis looks like.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT after [`pause`](Self::pause): it answers what was buffered.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.process.as_ref().map_or(0, Guarded::id);
        assert_ne!(pid, 0, "redis-server is not running");
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} redis-server");
    }

    /// Sends one command (as a RESP array) and returns the first line of
    /// the reply, e.g. `:1` or `+OK`: for tests that play a Redis writer
    /// other than the library.
    pub fn command(&self, args: &[&str]) -> String {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
            .expect("connect to redis-server");
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("read timeout");
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).expect("send command");
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        while !reply.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).expect("redis reply");
            reply.push(byte[0]);
        }
        String::from_utf8_lossy(&reply[..reply.len() - 2]).into_owned()
    }

    /// Starts (again) on the same port, empty, and waits for `PONG`.
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::File::create(self.dir.join("redis.log")).expect("redis log file");
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.process = Some(Guarded::new("redis-server", child));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !redis_ping(self.port) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING on port {} within 10 s (log: {})",
                self.port,
                std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// nginx in the foreground as a reverse proxy to `upstreams`, configured
/// with the block docs/operations.md recommends ([`recommended_nginx_block`]).
pub struct Nginx {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
    upstreams: Vec<u16>,
    block: String,
    process: Guarded,
}

impl Nginx {
    /// Writes `<dir>/nginx.conf` and starts nginx with prefix `dir`.
    pub fn start(binary: &Path, dir: &Path, upstreams: &[u16]) -> Nginx {
        let port = free_port();
        let block = recommended_nginx_block();
        write_conf(dir, port, upstreams, None, &block);
        let conf_path = dir.join("nginx.conf");
        // `notice` logs each reload ("reconfiguring") and each old worker's
        // exit, which `drain` waits for.
        let globals = format!(
            "daemon off; master_process on; pid {}/nginx.pid; error_log {}/error.log notice;",
            dir.display(),
            dir.display()
        );
        let child = Command::new(binary)
            // Its own process group: the guard kills master and workers together.
            .process_group(0)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", &globals])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            port,
            dir: dir.to_owned(),
            upstreams: upstreams.to_vec(),
            block,
            process: Guarded::group_leader("nginx", child),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if nginx.process.exited() || Instant::now() > deadline {
                panic!("nginx did not start on port {port}: {}", nginx.error_log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    /// nginx's error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    /// The drain step of a rolling restart (docs/operations.md): takes
    /// upstream `index` out of rotation (`Some`, its `server` line marked
    /// `down`), or puts every upstream back (`None`); reloads (SIGHUP) and
    /// waits until the old worker has exited, so that no worker still
    /// running can send a request to a drained replica.
    pub fn drain(&self, index: Option<usize>) {
        let count = |needle: &str| self.error_log().matches(needle).count();
        let (reloads, exits) = (count("reconfiguring"), count("exited with code"));
        write_conf(&self.dir, self.port, &self.upstreams, index, &self.block);
        let _ = Command::new("kill")
            .args(["-HUP", &self.process.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        // One worker (`worker_processes 1`): one old worker exits per reload.
        while count("reconfiguring") == reloads || count("exited with code") == exits {
            assert!(
                Instant::now() < deadline,
                "nginx did not reload, or its old worker did not exit: {}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The nginx block docs/operations.md recommends: the fenced `nginx` block
/// after the line `<!-- tests/fleet reads the next nginx block -->`.
pub fn recommended_nginx_block() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/operations.md");
    let page = std::fs::read_to_string(&path).expect("read docs/operations.md");
    let after = page
        .split_once("<!-- tests/fleet reads the next nginx block -->")
        .expect("docs/operations.md marks the recommended nginx block")
        .1;
    let block = after
        .split_once("```nginx\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a fenced nginx block after the marker")
        .0;
    block.to_owned()
}

/// Writes `<dir>/nginx.conf`: `block` with one `server` line per upstream
/// (the parameters of the block's first one; upstream `down` marked so),
/// listening on 127.0.0.1:`port` without TLS, plus the test's own paths.
fn write_conf(dir: &Path, port: u16, upstreams: &[u16], down: Option<usize>, block: &str) {
    let mut config = String::new();
    let mut in_upstream = false;
    // The parameters of each group of `server` lines already written (the
    // page lists every replica once per group, e.g. primaries and backups).
    let mut groups: Vec<String> = Vec::new();
    for line in block.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("upstream ") {
            in_upstream = true;
        } else if in_upstream && trimmed.starts_with('}') {
            in_upstream = false;
        }
        if in_upstream && trimmed.starts_with("server ") {
            // `server 10.0.0.11:3000 max_fails=1 fail_timeout=10s;`
            let params = trimmed
                .trim_end_matches(';')
                .split_whitespace()
                .skip(2)
                .collect::<Vec<_>>()
                .join(" ");
            if !groups.contains(&params) {
                for (i, upstream) in upstreams.iter().enumerate() {
                    let state = if down == Some(i) { " down" } else { "" };
                    config.push_str(&format!(
                        "    server 127.0.0.1:{upstream} {params}{state};\n"
                    ));
                }
                groups.push(params);
            }
            continue;
        }
        if trimmed.starts_with("listen ") {
            config.push_str(&format!("    listen 127.0.0.1:{port};\n"));
            continue;
        }
        if trimmed.starts_with("ssl_") {
            continue;
        }
        config.push_str(line);
        config.push('\n');
    }
    assert!(
        !groups.is_empty(),
        "the recommended block has no upstream servers"
    );
    let conf = format!(
        "worker_processes 1;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n\
         access_log off;\n\
         client_body_temp_path {dir}/body;\n\
         proxy_temp_path {dir}/proxy;\n\
         fastcgi_temp_path {dir}/fastcgi;\n\
         uwsgi_temp_path {dir}/uwsgi;\n\
         scgi_temp_path {dir}/scgi;\n\
         {config}\
         }}\n",
        dir = dir.display(),
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
}
