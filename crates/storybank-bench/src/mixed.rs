//! The mixed load test: `wrk` on 127.0.0.1 for a bounded time, nine searches (a curator's search
//! page) to one upload (a reporter's `POST /api/v1/stories`). Afterwards it checks that there were
//! no errors and no lost writes: every upload the server acknowledged (201) is stored once, and
//! the index agrees with the store. It fails (non-zero exit) otherwise; the figures go into
//! docs/benchmarks.md by hand.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use storybank_archive::{Archive, Config, NoProgress, SearchRequest};
use storybank_domain::{Audience, Password, Role, Roles, UserName};

use crate::http::{field, start_server};

const CONNECTIONS: usize = 16;

pub fn run(sample: &Path, work: &Path, seconds: u64) -> Result<()> {
    if Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        bail!("the mixed load test needs `wrk` (Debian: apt-get install wrk)");
    }
    let binary = std::env::current_exe()?.with_file_name("storybank");
    ensure!(
        binary.exists(),
        "{} is missing: build it with `cargo build --release --bin storybank`",
        binary.display()
    );
    let data = work.join("data-mixed");
    let _ = std::fs::remove_dir_all(&data);
    let (session, token, before) = {
        let archive = Archive::open(Config::new(&data))?;
        archive.ingest_paths(&[sample.to_owned()], &NoProgress)?;
        let accounts = archive.accounts();
        let password = Password::parse("load test password")?;
        let curator = UserName::parse("load-curator")?;
        accounts.add_user(curator, Roles::new([Role::Curator])?, &password)?;
        let reporter = UserName::parse("load-reporter")?;
        accounts.add_user(reporter.clone(), Roles::new([Role::Reporter])?, &password)?;
        let session = accounts.log_in("load-curator", "load test password")?.context("logging in")?;
        let (_, token) = accounts.create_token(&reporter, "load test")?;
        (session.token, token, archive.count_stories()?)
    };

    let (server, port) = start_server(&binary, &data, &[])?;
    let script = work.join("wrk-mixed.lua");
    std::fs::write(&script, lua(&session, &token))?;
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}/"))
        .output()
        .context("running wrk")?;
    drop(server); // SIGTERM: finishes requests in flight and commits the index
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    let number = |label: &str| -> u64 {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .and_then(|rest| rest.trim().parse().ok())
            .unwrap_or(0)
    };
    let (searches_ok, uploads_ok, failed) =
        (number("searches ok:"), number("uploads acknowledged:"), number("failed:"));
    let socket_errors =
        text.lines().find(|line| line.contains("Socket errors")).map(str::trim).unwrap_or("none");
    let non_2xx = text.lines().find(|line| line.contains("Non-2xx")).map(str::trim).unwrap_or("none");

    let archive = Archive::open(Config::new(&data))?;
    let after = archive.count_stories()?;
    let mut request = SearchRequest::new("", Audience::Curator, chrono::Utc::now().date_naive());
    request.limit = 1;
    let indexed = archive.search(&request)?.total as u64;
    let lost = (before + uploads_ok).saturating_sub(after);
    // Uploads in flight when wrk stopped are stored without wrk reading the answer: at most one
    // per connection. Each upload's title is unique, so a write stored twice shows as a repeat.
    let extra = after.saturating_sub(before + uploads_ok);
    let titles: Vec<String> = archive.story_summaries()?.into_iter().map(|s| s.title.to_string()).collect();
    let distinct: std::collections::BTreeSet<&String> = titles.iter().collect();
    let repeated = titles.len() - distinct.len();
    println!(
        "mixed load (wrk -t2 -c{CONNECTIONS} -d{seconds}s, 9 curator searches : 1 reporter upload, {before} sample stories to start): \
         {} requests/s, latency p50 {}, p90 {}, p99 {}; {searches_ok} searches and {uploads_ok} uploads answered OK, \
         {failed} failed; socket errors: {socket_errors}; non-2xx: {non_2xx}; stories stored {after} \
         (acknowledged {}), {lost} lost, {repeated} stored twice, {extra} stored while wrk stopped without reading the answer; indexed {indexed}",
        field(&text, "Requests/sec:").unwrap_or("?"),
        field(&text, "50%").unwrap_or("?"),
        field(&text, "90%").unwrap_or("?"),
        field(&text, "99%").unwrap_or("?"),
        before + uploads_ok,
    );
    ensure!(failed == 0 && socket_errors == "none" && non_2xx == "none", "the load test saw errors");
    ensure!(lost == 0 && repeated == 0, "writes were lost or duplicated");
    ensure!(extra <= CONNECTIONS as u64, "{extra} stories stored that nobody sent");
    ensure!(indexed == after, "the index ({indexed}) disagrees with the store ({after})");
    Ok(())
}

/// wrk's script: every tenth request an upload with a unique title, the rest searches for words
/// from the sample; each thread counts what the server answered.
fn lua(session: &str, token: &str) -> String {
    format!(
        r#"local words = {{"bus", "waiting", "clinic", "odotin", "asunto", "kolejka", "carers", "letters", "library", "housing"}}
local threads = {{}}
local counter = 0
searches, uploads, failed = 0, 0, 0
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  if counter % 10 == 0 then
    local body = '{{"manifest":{{"title":"Load test ' .. id .. '-' .. counter .. '","form":"text","language":"en","body":"Story ' .. counter .. ' of the load test: the bus to the clinic was late again."}}}}'
    return wrk.format("POST", "/api/v1/stories", {{["Authorization"] = "Bearer {token}", ["Content-Type"] = "application/json"}}, body)
  end
  return wrk.format("GET", "/search?q=" .. words[(counter % #words) + 1], {{["Cookie"] = "sb_session={session}"}})
end
function response(status, headers, body)
  if status == 201 then uploads = uploads + 1
  elseif status == 200 then searches = searches + 1
  else failed = failed + 1 end
end
function done(summary, latency, requests)
  local s, u, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("searches")
    u = u + thread:get("uploads")
    f = f + thread:get("failed")
  end
  io.write(string.format("searches ok: %d\nuploads acknowledged: %d\nfailed: %d\n", s, u, f))
end
"#
    )
}
