//! The HTTP load run: `wrk` against the logged-in search page of the running server, over the
//! search benchmark's data directory. Bounded in time, on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use storybank_archive::Accounts;
use storybank_domain::{Password, Role, Roles, UserName};

use crate::corpus::{Rng, Vocabulary};

const CONNECTIONS: usize = 32;
const SECONDS: u64 = 20;

/// Stops the server when dropped, whatever happened.
pub(crate) struct Server(pub(crate) Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// Starts `storybank serve` (request logs off) on a free port of 127.0.0.1 and waits until it is
/// healthy.
pub(crate) fn start_server(binary: &Path, data: &Path, options: &[&str]) -> Result<(Server, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let server = Server(
        Command::new(binary)
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(options)
            .env("STORYBANK_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting the server")?,
    );
    let started = Instant::now();
    while !healthy(port) {
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the server did not answer /healthz within 120 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok((server, port))
}

fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// A line of wrk's output that starts with `label`, its first value.
pub(crate) fn field<'a>(output: &'a str, label: &str) -> Option<&'a str> {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
}

pub fn run(vocabulary: &Vocabulary, data: &Path) -> Result<()> {
    if Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        println!("HTTP load: skipped, `wrk` is not installed (Debian: apt-get install wrk)");
        return Ok(());
    }
    let binary = std::env::current_exe()?.with_file_name("storybank");
    if !binary.exists() {
        bail!("{} is missing: build it with `cargo build --release --bin storybank`", binary.display());
    }
    // A curator's session, made directly in the store (the server reads sessions from it).
    let accounts = Accounts::open(data)?;
    let name = UserName::parse("bench-curator")?;
    let password = Password::parse("bench curator password")?;
    if accounts.user_named(&name).is_err() {
        accounts.add_user(name, Roles::new([Role::Curator])?, &password)?;
    }
    let session = accounts.log_in("bench-curator", "bench curator password")?.context("logging in")?;
    drop(accounts);

    // The same query words as the latency mix: common to rare.
    let mut rng = Rng::new(7);
    let languages: Vec<&String> = vocabulary.words.keys().collect();
    let words: Vec<String> = (0..500)
        .map(|_| {
            vocabulary.words[rng.pick(&languages).as_str()].word_by_rank(&mut rng, 10, 20_000).to_owned()
        })
        .filter(|word| word.chars().all(char::is_alphanumeric))
        .collect();
    let script = data.with_file_name("wrk-search.lua");
    // Percent-encoded: the words have letters such as ä and ő.
    let encode = |word: &str| -> String {
        word.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect()
    };
    let list = words.iter().map(|w| format!("\"{}\"", encode(w))).collect::<Vec<_>>().join(",");
    std::fs::write(
        &script,
        format!(
            "local words = {{{list}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  \
             return wrk.format(\"GET\", \"/search?q=\" .. words[(i % #words) + 1], {{[\"Cookie\"] = \"sb_session={}\"}})\nend\n",
            session.token
        ),
    )?;
    // Twice: with the story cache off (every hit read from SQLite: the cost of a search whose
    // hits were not shown lately), then as served by default (the 500 words' hits are read once
    // and then kept).
    for (setting, options) in
        [("story cache off", &["--story-cache-mb", "0"][..]), ("default settings", &[][..])]
    {
        let (server, port) = start_server(&binary, data, options)?;
        let cpu_before = cpu_seconds(server.0.id());
        let output = Command::new("wrk")
            .args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{SECONDS}s"), "--latency", "-s"])
            .arg(&script)
            .arg(format!("http://127.0.0.1:{port}/"))
            .output()
            .context("running wrk")?;
        let cpu = cpu_before.zip(cpu_seconds(server.0.id())).map(|(before, after)| after - before);
        drop(server);
        let text = String::from_utf8_lossy(&output.stdout);
        // "123456 requests in 20.00s, ..."
        let requests =
            text.lines().find_map(|line| line.trim().split_once(" requests in ")?.0.parse::<f64>().ok());
        let requests_per_second = field(&text, "Requests/sec:").unwrap_or("?");
        let p99 = field(&text, "99%").unwrap_or("?");
        let p50 = field(&text, "50%").unwrap_or("?");
        let errors = text
            .lines()
            .filter(|line| line.contains("Non-2xx") || line.contains("Socket errors"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; ");
        println!(
            "HTTP load, {setting} (wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, logged-in curator, GET /search?q=WORD: index + 20 stories + snippets + facets + page): \
             {requests_per_second} requests/s, p50 {p50}, p99 {p99}, errors: {}",
            if errors.is_empty() { "none".to_owned() } else { errors }
        );
        // Less moved by this VM's swings than requests/s: the work done per request, whatever else
        // runs (wrk itself shares the two cores).
        if let (Some(cpu), Some(requests)) = (cpu, requests.filter(|n| *n > 0.0)) {
            println!(
                "HTTP load, {setting}: the server's CPU time per request (user + system, /proc): {:.0} us",
                cpu / requests * 1e6
            );
        }
    }
    Ok(())
}

/// The CPU time process `pid` has used so far (user + system), from `/proc/PID/stat`.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's name in parentheses: state, then 10 fields, then utime and stime.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let per_second = Command::new("getconf").arg("CLK_TCK").output().ok()?;
    let per_second: f64 = String::from_utf8_lossy(&per_second.stdout).trim().parse().ok()?;
    Some(ticks / per_second)
}
