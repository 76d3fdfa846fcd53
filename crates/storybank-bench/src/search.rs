//! The search benchmark: a large generated corpus, end-to-end ingest, a full reindex, query
//! latency per class, and the same corpus and queries against SQLite FTS5 (python3's sqlite3).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use chrono::{NaiveDate, Utc};
use storybank_archive::{Archive, Config, NoProgress, SearchRequest, Sort};
use storybank_domain::{Audience, ThemePath};

use crate::corpus::{Lengths, Rng, Vocabulary, write_text_corpus};

const PER_CLASS: usize = 200;

/// One query of the mix, as both engines run it.
#[derive(serde::Serialize)]
struct MixQuery {
    class: &'static str,
    text: String,
    phrase: bool,
    theme: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn query_mix(vocabulary: &Vocabulary, rng: &mut Rng) -> Vec<MixQuery> {
    let languages: Vec<&String> = vocabulary.words.keys().collect();
    // Query words: common to rare (ranks 10 to 20,000, evenly on a log scale), at least 4 letters.
    let word = |rng: &mut Rng| -> String {
        loop {
            let words = &vocabulary.words[rng.pick(&languages).as_str()];
            let candidate = words.word_by_rank(rng, 10, 20_000);
            if candidate.chars().count() >= 4 {
                return candidate.to_owned();
            }
        }
    };
    let mut mix = Vec::new();
    for _ in 0..PER_CLASS {
        mix.push(MixQuery {
            class: "single_word",
            text: word(rng),
            phrase: false,
            theme: None,
            from: None,
            to: None,
        });
        // A phrase taken from generated text, so it exists somewhere.
        let language = rng.pick(&languages).to_string();
        let text = vocabulary.text(rng, &language, 12);
        let words: Vec<&str> =
            text.split_whitespace().map(|w| w.trim_matches('.')).filter(|w| !w.is_empty()).collect();
        let start = rng.range(0, words.len() - 1);
        mix.push(MixQuery {
            class: "phrase",
            text: format!("{} {}", words[start], words[start + 1]).to_lowercase(),
            phrase: true,
            theme: None,
            from: None,
            to: None,
        });
        let theme = rng.pick(&vocabulary.themes).split('/').next().unwrap_or("health").to_owned();
        mix.push(MixQuery {
            class: "theme_filtered_top10",
            text: word(rng),
            phrase: false,
            theme: Some(theme),
            from: None,
            to: None,
        });
        mix.push(MixQuery {
            class: "theme_facet_counts",
            text: word(rng),
            phrase: false,
            theme: None,
            from: None,
            to: None,
        });
        let month = rng.range(1, 12);
        mix.push(MixQuery {
            class: "date_range",
            text: String::new(),
            phrase: false,
            theme: None,
            from: Some(format!("2024-{month:02}-01")),
            to: Some(format!("2024-{:02}-28", month + 1)),
        });
    }
    mix
}

fn request_for(query: &MixQuery, today: NaiveDate) -> Result<SearchRequest> {
    let text = if query.phrase { format!("\"{}\"", query.text) } else { query.text.clone() };
    let mut request = SearchRequest::new(text, Audience::Curator, today);
    request.limit = 10;
    if let Some(theme) = &query.theme {
        request.themes = vec![ThemePath::parse(theme)?];
    }
    request.from = query.from.as_deref().map(str::parse).transpose()?;
    request.to = query.to.as_deref().map(str::parse).transpose()?;
    if query.class == "date_range" {
        request.sort = Sort::Date;
    }
    // Only the facet class asks for facet counts, as a page without facets would.
    request.facets = query.class == "theme_facet_counts";
    Ok(request)
}

fn percentiles(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        values[((fraction * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)]
    };
    (at(0.5), at(0.95), at(0.99))
}

/// Runs the FTS5 baseline script on the same corpus, in `mode` (`load`: build its database and
/// report the ingest rate; `queries`: time `queries` against it); its JSON answer.
fn fts5_baseline(
    script: &Path,
    work: &Path,
    corpus: &Path,
    queries: &[&MixQuery],
    mode: &str,
) -> Result<serde_json::Value> {
    let queries_file = work.join("queries.json");
    std::fs::write(&queries_file, serde_json::to_vec(queries)?)?;
    let output = Command::new("python3")
        .arg(script)
        .arg(corpus)
        .arg(&queries_file)
        .arg(work.join("fts5.sqlite3"))
        .arg(mode)
        .output()
        .context("running python3 for the FTS5 baseline")?;
    ensure!(output.status.success(), "FTS5 baseline failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn folder_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { folder_size(&path) } else { entry.metadata().map_or(0, |m| m.len()) }
                })
                .sum()
        })
        .unwrap_or(0)
}

pub fn run(
    vocabulary: &Vocabulary,
    work: &Path,
    stories: usize,
    baseline_script: Option<&Path>,
    reuse: bool,
    rounds: Rounds,
) -> Result<()> {
    let corpus = work.join("search-corpus");
    let data = work.join("data-search");
    if reuse && corpus.is_dir() && data.is_dir() {
        println!("reusing the corpus and data directory in {}", work.display());
        let archive = Archive::open(Config::new(&data))?;
        return latency(vocabulary, work, &corpus, archive, baseline_script, rounds);
    }
    let _ = std::fs::remove_dir_all(&corpus);
    let _ = std::fs::remove_dir_all(&data);
    let started = Instant::now();
    let bytes = write_text_corpus(&corpus, vocabulary, stories, 100, 3000, Lengths::Realistic)?;
    println!(
        "generated {stories} stories for search ({:.0} MB, 100-3000 words, log-normal with median 600, 9 languages, {} themes) in {:.1?}",
        bytes as f64 / 1e6,
        vocabulary.themes.len(),
        started.elapsed()
    );
    let archive = Archive::open(Config::new(&data))?;
    settle();
    let started = Instant::now();
    let report = archive.ingest_paths(std::slice::from_ref(&corpus), &NoProgress)?;
    let elapsed = started.elapsed();
    ensure!(report.failed() == 0, "search corpus ingest failed");
    println!(
        "end-to-end ingest (store + index) of {stories} stories: {elapsed:.1?} = {:.0} stories/s",
        stories as f64 / elapsed.as_secs_f64()
    );
    settle();
    let started = Instant::now();
    archive.reindex(&NoProgress)?;
    println!(
        "full reindex from the store: {:.1?}; index size {:.0} MB; store size {:.0} MB",
        started.elapsed(),
        folder_size(&data.join("index")) as f64 / 1e6,
        std::fs::metadata(data.join("storybank.sqlite3")).map_or(0, |m| m.len()) as f64 / 1e6
    );
    latency(vocabulary, work, &corpus, archive, baseline_script, rounds)
}

/// Writes out what the steps before wrote (`sync`), so that the kernel's write-back of the
/// 592 MB corpus, or of the store and index just built, is not timed as part of the next step.
fn settle() {
    if let Err(err) = Command::new("sync").status() {
        eprintln!(
            "could not run sync ({err}); the next figure may include the kernel writing out earlier files"
        );
    }
}

/// How often the query mix is timed, and which of its classes.
#[derive(Clone, Debug)]
pub struct Rounds {
    pub count: usize,
    /// Only this class, when given.
    pub class: Option<String>,
}

/// Runs the query mix against the archive (and the FTS5 baseline) and prints the latencies.
fn latency(
    vocabulary: &Vocabulary,
    work: &Path,
    corpus: &Path,
    archive: Archive,
    baseline_script: Option<&Path>,
    rounds: Rounds,
) -> Result<()> {
    let mut rng = Rng::new(99);
    let mix = query_mix(vocabulary, &mut rng);
    let timed: Vec<&MixQuery> =
        mix.iter().filter(|query| rounds.class.as_deref().is_none_or(|class| class == query.class)).collect();
    // FTS5 is loaded first; then the two sides' queries take turns, round by round, so that a
    // change in this VM's speed (up to 2x within minutes) weighs on both alike.
    if let Some(script) = baseline_script {
        settle();
        let loaded = fts5_baseline(script, work, corpus, &timed, "load")?;
        println!(
            "SQLite FTS5 {} ingest of the same corpus: {:.1} s = {:.0} stories/s",
            loaded["sqlite"].as_str().unwrap_or("?"),
            loaded["ingest_seconds"].as_f64().unwrap_or(0.0),
            loaded["ingest_per_second"].as_f64().unwrap_or(0.0)
        );
    }
    let today = Utc::now().date_naive();
    for query in &mix {
        archive.search_hits(&request_for(query, today)?)?; // warm-up
    }
    let mut timings: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut fts_timings: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let mut with_snippets = Vec::new();
    for _ in 0..rounds.count.max(1) {
        for &query in &timed {
            let request = request_for(query, today)?;
            let started = Instant::now();
            archive.search_hits(&request)?;
            timings.entry(query.class).or_default().push(started.elapsed().as_secs_f64() * 1000.0);
            if query.class == "single_word" {
                let started = Instant::now();
                archive.search(&request)?;
                with_snippets.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        if let Some(script) = baseline_script {
            let answer = fts5_baseline(script, work, corpus, &timed, "queries")?;
            let samples: std::collections::BTreeMap<String, Vec<f64>> =
                serde_json::from_value(answer["samples_ms"].clone())?;
            for (class, values) in samples {
                fts_timings.entry(class).or_default().extend(values);
            }
        }
    }
    drop(archive);

    println!(
        "query latency, ms (tantivy index: count + top 10, and theme/form/language/type facets for theme_facet_counts; FTS5: the query alone; {} round(s), the two sides taking turns)",
        rounds.count.max(1)
    );
    println!(
        "{:<22} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} | {:>7}",
        "class", "p50", "p95", "p99", "fts5 p50", "p95", "p99", "speedup"
    );
    for (class, values) in timings {
        let (p50, p95, p99) = percentiles(values);
        let (fts_p50, fts_p95, fts_p99) = match fts_timings.remove(class) {
            Some(values) if !values.is_empty() => percentiles(values),
            _ => (f64::NAN, f64::NAN, f64::NAN),
        };
        println!(
            "{class:<22} {p50:>8.3} {p95:>8.3} {p99:>8.3} | {fts_p50:>8.3} {fts_p95:>8.3} {fts_p99:>8.3} | {:>6.1}x",
            fts_p50 / p50
        );
    }
    if with_snippets.is_empty() {
        return Ok(()); // --query-class left out single words
    }
    let (p50, p95, p99) = percentiles(with_snippets);
    println!(
        "single word with stories read from the store and snippets (Archive::search): p50 {p50:.3} p95 {p95:.3} p99 {p99:.3}"
    );
    Ok(())
}
