//! `storybank`: the command line of the Storybank archive.
//!
//! Subcommands: `ingest PATH...`, `stories list`, `stories show ID`. Every subcommand works on one
//! data directory (`--data-dir`, or `STORYBANK_DATA`, or `./storybank-data`). Output for people
//! goes to standard error and standard output; `--json` gives machine-readable output instead.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use storybank_archive::{Archive, Config, IngestProgress, IngestReport, StoryOutcome};
use storybank_domain::{Story, StoryContent, StoryId};

/// Storybank: a story archive and curation tool for Community Reporting.
#[derive(Debug, Parser)]
#[command(name = "storybank", version, about)]
struct Cli {
    /// The data directory (SQLite file, media, index).
    #[arg(long, global = true, env = "STORYBANK_DATA", default_value = "storybank-data", value_name = "DIR")]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest story files and folders (recursively): manifests (NAME.story.json) and bare .md,
    /// .txt, .vtt, .srt, .jpg, .png and .webp files.
    Ingest {
        /// Files or folders to ingest.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print the summary as JSON (one entry per story) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Read the stories in the archive.
    Stories {
        #[command(subcommand)]
        command: StoriesCommand,
    },
}

#[derive(Debug, Subcommand)]
enum StoriesCommand {
    /// List every story, newest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one story.
    Show {
        /// The story's id (as `stories list` prints it).
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STORYBANK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let archive = Archive::open(Config::new(&cli.data_dir))
        .with_context(|| format!("cannot open the archive in {}", cli.data_dir.display()))?;
    match cli.command {
        Command::Ingest { paths, json } => ingest(&archive, &paths, json),
        Command::Stories { command: StoriesCommand::List { json } } => list(&archive, json),
        Command::Stories { command: StoriesCommand::Show { id, json } } => show(&archive, &id, json),
    }
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct Bar(ProgressBar);

impl IngestProgress for Bar {
    fn started(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn advanced(&self, count: usize) {
        self.0.inc(count as u64);
    }
}

fn ingest(archive: &Archive, paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target).with_style(
        ProgressStyle::with_template(
            "{spinner} ingesting {bar:30} {pos}/{len} stories ({per_sec}, {eta} left)",
        )
        .expect("the progress template is valid"),
    );
    let progress = Bar(bar);
    let report = archive.ingest_paths(paths, &progress)?;
    progress.0.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_report(report: &IngestReport) {
    if report.themes_imported > 0 {
        println!("{} themes imported into the taxonomy", report.themes_imported);
    }
    println!(
        "{} ingested, {} already present, {} failed",
        report.ingested(),
        report.already_present(),
        report.failed()
    );
    if report.changed() > 0 {
        println!(
            "{} changed since they were ingested; the stored versions are kept (a curator can edit them):",
            report.changed()
        );
        for item in &report.items {
            if let StoryOutcome::Changed { existing } = &item.outcome {
                println!("  {}: changed; stored as story {existing}", item.source);
            }
        }
    }
    let warned: Vec<_> = report
        .items
        .iter()
        .filter_map(|item| match &item.outcome {
            StoryOutcome::Ingested { warnings, .. } if !warnings.is_empty() => Some((item, warnings)),
            _ => None,
        })
        .collect();
    if !warned.is_empty() {
        println!("{} stories ingested with notes for curators:", warned.len());
        for (item, warnings) in warned {
            for warning in warnings {
                println!("  {}: {warning}", item.source);
            }
        }
    }
    if report.failed() > 0 {
        println!("Failures (nothing of these stories was stored; fix them and run the same ingest again):");
        for item in &report.items {
            if let StoryOutcome::Failed { error } = &item.outcome {
                println!("  {}: {error}", item.source);
            }
        }
    }
}

fn list(archive: &Archive, json: bool) -> Result<ExitCode> {
    let stories = archive.story_summaries()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&stories)?);
        return Ok(ExitCode::SUCCESS);
    }
    for story in &stories {
        let scope = story.consent_scope.map_or("consent missing", |scope| scope.as_str());
        println!(
            "{}  {:<10} {:<3} {:<9} {:<15} {}",
            story.id,
            story.form.as_str(),
            story.language.as_str(),
            story.status.as_str(),
            scope,
            story.title
        );
    }
    println!("{} stories", stories.len());
    Ok(ExitCode::SUCCESS)
}

fn show(archive: &Archive, id: &str, json: bool) -> Result<ExitCode> {
    let id = StoryId::parse(id)?;
    let story = archive.story(id)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&story)?);
    } else {
        print_story(&story);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_story(story: &Story) {
    let details = &story.details;
    println!("{}", details.title);
    println!("id:          {}", story.id);
    println!("form:        {} ({})", story.form(), details.story_type);
    println!("language:    {}", details.language);
    println!("status:      {}", story.status);
    match &details.consent {
        Some(consent) => println!(
            "consent:     {} (identify as {}), given {}{}",
            consent.scope(),
            consent.identify_as(),
            consent.given_on(),
            consent.expires_on().map(|day| format!(", expires {day}")).unwrap_or_default()
        ),
        None => println!("consent:     MISSING (curation team only until a curator records it)"),
    }
    let optional = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            println!("{label:<12} {value}");
        }
    };
    optional("prompt:", details.prompt.as_ref().map(ToString::to_string));
    optional("place:", details.place.as_ref().map(ToString::to_string));
    optional("recorded on:", details.recorded_on.map(|day| day.to_string()));
    optional("reporter:", details.reporter.as_ref().map(ToString::to_string));
    optional("storyteller:", details.storyteller.as_ref().map(ToString::to_string));
    optional("source:", story.provenance.clone());
    let join = |items: Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    optional("themes:", join(details.themes.iter().map(ToString::to_string).collect()));
    optional("tags:", join(details.tags.iter().map(ToString::to_string).collect()));
    for warning in &story.ingest_warnings {
        println!("note:        {warning}");
    }
    println!();
    match &story.content {
        StoryContent::Text { body } => println!("{body}"),
        StoryContent::Transcript { cues } => {
            for cue in cues {
                let time = cue.start().map(|start| format!("[{start}] ")).unwrap_or_default();
                let speaker = cue.speaker().map(|speaker| format!("{speaker}: ")).unwrap_or_default();
                println!("{time}{speaker}{}", cue.text());
            }
        }
        StoryContent::Image { caption, alt_text, display, thumbnail } => {
            println!("{caption}");
            println!();
            println!(
                "alt text:  {}",
                alt_text.as_ref().map_or("MISSING (needed before publication)", |alt| alt.as_str())
            );
            println!(
                "display:   {}x{} {} ({} bytes)",
                display.width, display.height, display.mime, display.byte_len
            );
            println!(
                "thumbnail: {}x{} {} ({} bytes)",
                thumbnail.width, thumbnail.height, thumbnail.mime, thumbnail.byte_len
            );
        }
    }
}
