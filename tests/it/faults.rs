//! Faults: the server killed (`kill -9`) during uploads, or stopped (SIGTERM) during one,
//! ingestion killed at any moment (during index commits too), and a full disk during ingestion.
//! Afterwards every acknowledged story is present exactly once and search agrees with the store.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use storybank_archive::{Archive, Config};
use storybank_domain::{Password, Role, Roles, UserName};

use crate::support::{storybank, storybank_bin};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.1 request on a fresh connection: (status, body), or `None` if the server is gone.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let mut stream =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.unwrap_or("");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    Some((status, body))
}

fn serve(data: &Path, port: u16) -> Child {
    let child = Command::new(storybank_bin())
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env_remove("STORYBANK_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while http(port, "GET", "/healthz", None, None).is_none_or(|(status, _)| status != 200) {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The store's stories (id -> title), and the ids a curator's search finds, read by the CLI (so
/// the archive is opened afresh: the index catches up with the store first).
fn store_and_search(data: &Path) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let listed = storybank(data, &["stories", "list", "--json"]);
    assert!(listed.status.success(), "{listed:?}");
    let stories: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let mut by_id = BTreeMap::new();
    for story in &stories {
        by_id.insert(story["id"].as_str().unwrap().to_owned(), story["title"].as_str().unwrap().to_owned());
    }
    let searched = storybank(data, &["search", "", "--json", "--limit", "10000"]);
    assert!(searched.status.success(), "{searched:?}");
    let answer: serde_json::Value = serde_json::from_slice(&searched.stdout).unwrap();
    let found =
        answer["hits"].as_array().unwrap().iter().map(|hit| hit["id"].as_str().unwrap().to_owned()).collect();
    (by_id, found)
}

fn assert_consistent(data: &Path, acknowledged: &BTreeSet<String>) -> usize {
    let (stored, found) = store_and_search(data);
    for id in acknowledged {
        assert!(stored.contains_key(id), "acknowledged story {id} is missing");
    }
    let titles: BTreeSet<&String> = stored.values().collect();
    assert_eq!(titles.len(), stored.len(), "a story is stored twice");
    let stored_ids: BTreeSet<String> = stored.keys().cloned().collect();
    assert_eq!(found, stored_ids, "search disagrees with the store");
    stored.len()
}

/// A new archive in `data` with a reporter, and an API token of theirs.
fn reporter_token(data: &Path) -> String {
    let archive = Archive::open(Config::new(data)).unwrap();
    let accounts = archive.accounts();
    let name = UserName::parse("rita").unwrap();
    let password = Password::parse("a long test password").unwrap();
    accounts.add_user(name.clone(), Roles::new([Role::Reporter]).unwrap(), &password).unwrap();
    accounts.create_token(&name, "faults").unwrap().1
}

#[test]
fn acknowledged_uploads_survive_the_server_being_killed() {
    let dir = tempfile::tempdir().unwrap();
    let token = reporter_token(dir.path());
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    for round in 0..2 {
        let port = free_port();
        let mut server = serve(dir.path(), port);
        let stop = Arc::new(AtomicBool::new(false));
        let uploaders: Vec<_> = (0..4)
            .map(|worker| {
                let (token, acknowledged, stop) = (token.clone(), Arc::clone(&acknowledged), Arc::clone(&stop));
                std::thread::spawn(move || {
                    for n in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let body = serde_json::json!({"manifest": {
                            "title": format!("Round {round} worker {worker} story {n}"),
                            "form": "text", "language": "en",
                            "body": format!("Story {n} of worker {worker} in round {round}: the bus was late again."),
                        }})
                        .to_string();
                        match http(port, "POST", "/api/v1/stories", Some(&token), Some(&body)) {
                            Some((201, answer)) => {
                                let id: serde_json::Value = serde_json::from_str(&answer).unwrap();
                                acknowledged.lock().unwrap().insert(id["id"].as_str().unwrap().to_owned());
                            }
                            Some((status, answer)) => panic!("upload answered {status}: {answer}"),
                            None => break, // the server is gone
                        }
                    }
                })
            })
            .collect();
        let before = acknowledged.lock().unwrap().len();
        let started = Instant::now();
        while acknowledged.lock().unwrap().len() < before + 40 && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        server.kill().unwrap(); // SIGKILL: no shutdown, no final index commit
        server.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for uploader in uploaders {
            uploader.join().unwrap();
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(acknowledged.len() >= before + 40, "round {round}: only {} uploads", acknowledged.len());
        assert_consistent(dir.path(), &acknowledged);
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_then_stops() {
    let dir = tempfile::tempdir().unwrap();
    let token = reporter_token(dir.path());
    let port = free_port();
    let mut server = serve(dir.path(), port);
    // An upload whose body is half sent when the server is told to stop.
    let body = serde_json::json!({"manifest": {
        "title": "Sent while the server stopped", "form": "text", "language": "en",
        "body": "The last bus left before the meeting ended, so everyone walked.",
    }})
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "POST /api/v1/stories HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(signalled.success());
    std::thread::sleep(Duration::from_millis(500));
    // New connections are no longer taken; the one in flight is answered.
    assert!(http(port, "GET", "/healthz", None, None).is_none(), "still taking new requests");
    stream.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    // Then it stops by itself, cleanly.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let id: serde_json::Value =
        serde_json::from_str(answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or("")).unwrap();
    let acknowledged = BTreeSet::from([id["id"].as_str().unwrap().to_owned()]);
    assert_eq!(assert_consistent(dir.path(), &acknowledged), 1);
}

#[test]
fn ingestion_killed_at_any_moment_loses_nothing_and_the_index_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    for n in 0..400 {
        std::fs::write(
            folder.path().join(format!("story-{n:03}.md")),
            format!(
                "# Kill test story {n}\n\nStory {n}: the clinic moved and nobody told us. {}\n",
                "word ".repeat(n % 50)
            ),
        )
        .unwrap();
    }
    // Killed after a range of delays: while reading, storing batches, and committing the index.
    for delay in [40, 120, 250, 400, 700, 1000, 1500] {
        let mut ingest = Command::new(storybank_bin())
            .arg("--data-dir")
            .arg(dir.path())
            .arg("ingest")
            .arg(folder.path())
            .env_remove("STORYBANK_DATA")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = ingest.kill();
        ingest.wait().unwrap();
        assert_consistent(dir.path(), &BTreeSet::new());
    }
    // Running it to the end stores each story exactly once.
    let output = storybank(dir.path(), &["ingest", folder.path().to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(assert_consistent(dir.path(), &BTreeSet::new()), 400);
}

/// A small tmpfs as the data directory; unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(megabytes: u32) -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!("storybank-full-disk-{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|err| err.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .output()
            .map_err(|err| format!("cannot run mount: {err}"))?;
        if !output.status.success() {
            let _ = std::fs::remove_dir(&path);
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Self(path))
    }

    fn grow(&self, megabytes: u32) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={megabytes}m")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_full_disk_during_ingest_is_a_clear_error_and_loses_nothing_stored() {
    let disk = match SmallDisk::mount(6) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!(
                "SKIPPED a_full_disk_during_ingest: this machine does not let the test mount a tmpfs ({why})"
            );
            return;
        }
    };
    let data = disk.0.join("data");
    let folder = tempfile::tempdir().unwrap();
    for n in 0..3000 {
        std::fs::write(
            folder.path().join(format!("story-{n:04}.md")),
            format!(
                "# Full disk story {n}\n\n{}\n",
                format!("Story {n} says the forms were too long. ").repeat(20)
            ),
        )
        .unwrap();
    }
    let output = storybank(&data, &["ingest", folder.path().to_str().unwrap()]);
    assert!(!output.status.success(), "the ingest should have filled the disk");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("the disk holding the data directory is full"), "{error}");
    // What was stored before the disk filled is all there, once, and readable; with room again,
    // the index catches up and agrees with the store, and the ingest finishes.
    disk.grow(256);
    let stored = assert_consistent(&data, &BTreeSet::new());
    assert!(stored > 0 && stored < 3000, "{stored} stories stored before the disk was full");
    let output = storybank(&data, &["ingest", folder.path().to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(assert_consistent(&data, &BTreeSet::new()), 3000);
}
