//! `storybank-bench`: Storybank's benchmark harness. Run with `make bench` (release build).
//!
//! Generates corpora in a temporary folder, ingests them into a fresh data directory through the
//! same `Archive` the CLI uses, and prints each figure with the machine it ran on. The numbers go
//! into `docs/benchmarks.md` by hand, with the exact command.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod corpus;
mod http;
mod mixed;
mod photos;
mod search;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use clap::Parser;
use storybank_archive::{Archive, Config, NoProgress};

/// Benchmarks of Storybank's ingestion.
#[derive(Debug, Parser)]
struct Args {
    /// How many text stories to ingest.
    #[arg(long, default_value_t = 20_000)]
    text_stories: usize,
    /// How many 12-megapixel photos to ingest.
    #[arg(long, default_value_t = 40)]
    photos: usize,
    /// How many stories the search benchmark indexes (0 skips it).
    #[arg(long, default_value_t = 100_000)]
    search_stories: usize,
    /// Skip the SQLite FTS5 baseline (which takes about five minutes at 100k stories).
    #[arg(long)]
    no_baseline: bool,
    /// Work in this folder (kept afterwards) instead of a temporary one. With `--reuse`, a search
    /// corpus and data directory already there are used as they are: only the queries run.
    #[arg(long)]
    work: Option<PathBuf>,
    /// Reuse the search corpus and its data directory found in `--work`.
    #[arg(long, requires = "work")]
    reuse: bool,
    /// The sample folder the corpus takes its words and themes from.
    #[arg(long, default_value = "stories-sample")]
    sample: PathBuf,
    /// Run the mixed load test (searches and uploads with `wrk`) for this many seconds (0 skips
    /// it); it fails on any error or lost write.
    #[arg(long, default_value_t = 0)]
    mixed_seconds: u64,
    /// Skip the HTTP load run of the search page.
    #[arg(long)]
    no_http: bool,
    /// Time the query mix this many times over, taking turns with the FTS5 baseline's run of it
    /// (so a change in the machine's speed weighs on both alike); the percentiles are over every
    /// round. More rounds also give `perf` more samples.
    #[arg(long, default_value_t = 3)]
    query_rounds: usize,
    /// Time only this query class (e.g. `theme_filtered_top10`), to profile it alone.
    #[arg(long)]
    query_class: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    println!("machine: {}", machine());
    let vocabulary = corpus::Vocabulary::from_sample(&args.sample).context("reading the sample folder")?;

    let temporary = tempfile::tempdir()?;
    let work_dir = match &args.work {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => temporary.path().to_owned(),
    };
    if args.text_stories > 0 {
        text_ingest(&args, &vocabulary, &work_dir)?;
    }
    if args.photos > 0 {
        photo_ingest(args.photos, &work_dir)?;
    }
    if args.search_stories > 0 {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fts5_baseline.py");
        search::run(
            &vocabulary,
            &work_dir,
            args.search_stories,
            (!args.no_baseline).then_some(script.as_path()),
            args.reuse,
            search::Rounds { count: args.query_rounds, class: args.query_class.clone() },
        )?;
        if !args.no_http {
            http::run(&vocabulary, &work_dir.join("data-search"))?;
        }
    }
    if args.mixed_seconds > 0 {
        mixed::run(&args.sample, &work_dir, args.mixed_seconds)?;
    }
    Ok(())
}

fn text_ingest(args: &Args, vocabulary: &corpus::Vocabulary, work: &std::path::Path) -> Result<()> {
    let texts = work.join("texts");
    let _ = std::fs::remove_dir_all(&texts);
    let started = Instant::now();
    let bytes = corpus::write_text_corpus(
        &texts,
        vocabulary,
        args.text_stories,
        100,
        1000,
        corpus::Lengths::Uniform,
    )?;
    println!(
        "generated {} text-story manifests ({:.1} MB, 100-1000 words, 9 languages) in {:.1?}",
        args.text_stories,
        bytes as f64 / 1e6,
        started.elapsed()
    );
    store_only(&texts, work, args.text_stories)?;
    let _ = std::fs::remove_dir_all(work.join("data-text"));
    let archive = Archive::open(Config::new(work.join("data-text")))?;
    let started = Instant::now();
    let report = archive.ingest_paths(&[texts], &NoProgress)?;
    let elapsed = started.elapsed();
    ensure!(
        report.failed() == 0 && report.ingested() == args.text_stories,
        "text ingest: {} failed",
        report.failed()
    );
    println!(
        "text ingest end to end (files -> parse -> store + search index, batches of {}): {} stories in {:.2?} = {:.0} stories/s",
        storybank_archive::BATCH_SIZE,
        args.text_stories,
        elapsed,
        args.text_stories as f64 / elapsed.as_secs_f64()
    );

    Ok(())
}

fn photo_ingest(count: usize, work: &std::path::Path) -> Result<()> {
    let photo_dir = work.join("photos");
    let _ = std::fs::remove_dir_all(&photo_dir);
    let _ = std::fs::remove_dir_all(work.join("data-photos"));
    std::fs::create_dir_all(&photo_dir)?;
    let average = photos::write_photo_corpus(&photo_dir, count)?;
    let archive = Archive::open(Config::new(work.join("data-photos")))?;
    let started = Instant::now();
    let report = archive.ingest_paths(&[photo_dir], &NoProgress)?;
    let elapsed = started.elapsed();
    ensure!(report.failed() == 0 && report.ingested() == count, "photo ingest failed: {:?}", report.items);
    println!(
        "photo ingest (4000x3000 JPEG with GPS EXIF, {:.1} MB each -> stripped 1600 px display + 320 px thumbnail): {} photos in {:.2?} = {:.1} photos/s",
        average as f64 / 1e6,
        count,
        elapsed,
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// Parses the corpus first (untimed), then times storing it alone: the store's own throughput.
fn store_only(texts: &std::path::Path, work: &std::path::Path, count: usize) -> Result<()> {
    let mut manifests = Vec::new();
    let mut stack = vec![texts.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() { stack.push(path) } else { manifests.push(path) }
        }
    }
    let limits = storybank_ingest::Limits::default();
    let now = chrono::Utc::now();
    let mut stories = Vec::with_capacity(manifests.len());
    for path in &manifests {
        let manifest = storybank_ingest::Manifest::parse(&std::fs::read(path)?)?;
        let ingested = storybank_ingest::ingest_manifest("bench", manifest, None, &limits)?;
        let storybank_domain::StoryContent::Text { body } = ingested.story.content else {
            anyhow::bail!("text only")
        };
        stories.push(storybank_domain::Story {
            id: storybank_domain::StoryId::new(),
            details: ingested.story.details,
            content: storybank_domain::StoryContent::Text { body },
            status: storybank_domain::Status::Submitted,
            provenance: Some(path.display().to_string()),
            content_hash: ingested.story.content_hash,
            ingest_warnings: Vec::new(),
            created_at: now,
            updated_at: now,
        });
    }
    let _ = std::fs::remove_dir_all(work.join("data-store-only"));
    let mut store = storybank_store::Store::open(&work.join("data-store-only"))?;
    let started = Instant::now();
    for batch in stories.chunks(storybank_archive::BATCH_SIZE) {
        store.insert_stories(batch, true)?;
    }
    let elapsed = started.elapsed();
    ensure!(store.count_stories()? == count as u64, "every story stored");
    println!(
        "text stories into the store alone (parsed beforehand; batches of {}, WAL, synchronous=FULL): {count} stories in {elapsed:.2?} = {:.0} stories/s",
        storybank_archive::BATCH_SIZE,
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores, {cpu}")
}
