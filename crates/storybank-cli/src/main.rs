//! `storybank`: the command line of the Storybank archive.
//!
//! Subcommands: `ingest PATH...`, `search QUERY`, `reindex`, `stories list`, `stories show ID`, `serve`,
//! `user add|disable|enable|roles|password|list`, `token create|list|revoke`, `pack list|export`. Every subcommand works on one
//! data directory (`--data-dir`, or `STORYBANK_DATA`, or `./storybank-data`). Output for people
//! goes to standard error and standard output; `--json` gives machine-readable output instead.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use storybank_archive::{Archive, Config, IngestReport, Progress, SearchRequest, Sort, StoryOutcome};
use storybank_domain::{
    Audience, Form, Language, Password, Role, Roles, Status, Story, StoryContent, StoryId, StoryType, Tag,
    ThemePath, UserName,
};

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
    /// Search the stories an audience may see. An empty QUERY lists them all (browsing).
    Search(Box<SearchArgs>),
    /// Rebuild the search index from the store into a new folder and swap it in.
    Reindex,
    /// Read the stories in the archive, or erase one.
    #[command(visible_alias = "story")]
    Stories {
        #[command(subcommand)]
        command: StoriesCommand,
    },
    /// Serve the web app until Ctrl-C or SIGTERM.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Mark cookies Secure: set this when the app is served over HTTPS (e.g. behind a proxy).
        #[arg(long)]
        secure_cookies: bool,
        /// The archive's name, shown in page titles.
        #[arg(long, default_value = "Storybank")]
        name: String,
        /// Keep no copy of the words a redaction replaces (by default curators can see them).
        #[arg(long)]
        discard_redacted_originals: bool,
        /// How many megabytes of recently shown stories search pages keep in memory (0: none).
        #[arg(long, default_value_t = storybank_archive::STORY_CACHE_BYTES / (1024 * 1024))]
        story_cache_mb: usize,
    },
    /// Manage accounts (works while the server runs).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage bearer tokens for the JSON API (works while the server runs).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// List and export insight packs (works while the server runs).
    Pack {
        #[command(subcommand)]
        command: PackCommand,
    },
    /// List the erasures recorded (works while the server runs).
    Erasure {
        #[command(subcommand)]
        command: ErasureCommand,
    },
    /// Make a consistent backup into a new or empty folder (works while the server runs).
    Backup {
        /// The folder to create.
        target: PathBuf,
    },
    /// Restore a backup into the data directory, which must be new or empty; rebuilds the search
    /// index and erases again what later backups or erasure lists erased.
    Restore {
        /// The backup folder.
        backup: PathBuf,
        /// An erasure list (`storybank erasure list --json` output) or a later backup folder whose
        /// erasures to re-apply (repeat for several). Later backups in the same parent folder as
        /// BACKUP are read without being named.
        #[arg(long = "erasures", value_name = "PATH")]
        erasures: Vec<PathBuf>,
    },
    /// Read the audit trail, newest first (works while the server runs).
    Audit(AuditArgs),
}

#[derive(Debug, Subcommand)]
enum ErasureCommand {
    /// List every erasure, newest first.
    List {
        /// Print JSON (a list that `storybank restore --erasures` reads) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
struct AuditArgs {
    /// Only this action (e.g. log_in, erased, pack_exported).
    #[arg(long)]
    action: Option<String>,
    /// Only this account's entries.
    #[arg(long)]
    user: Option<String>,
    /// Only entries about this id (story, pack, account or token).
    #[arg(long)]
    object: Option<String>,
    /// Only entries on or after this day (YYYY-MM-DD).
    #[arg(long)]
    since: Option<chrono::NaiveDate>,
    /// At most this many entries.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Print CSV instead of text.
    #[arg(long)]
    csv: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account.
    Add {
        /// The log-in name.
        name: String,
        /// A role: reporter, curator, commissioner or admin (repeat for several).
        #[arg(long = "role", required = true, value_name = "ROLE")]
        roles: Vec<String>,
        /// Read the password from standard input (one line).
        #[arg(long, conflicts_with = "generate_password")]
        password_stdin: bool,
        /// Make up a random password and print it.
        #[arg(long)]
        generate_password: bool,
    },
    /// Disable an account; its sessions end at once.
    Disable {
        /// The log-in name.
        name: String,
    },
    /// Enable a disabled account.
    Enable {
        /// The log-in name.
        name: String,
    },
    /// Replace an account's roles.
    Roles {
        /// The log-in name.
        name: String,
        /// A role (repeat for several).
        #[arg(long = "role", required = true, value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Set a new password (read from standard input); the account's sessions end.
    Password {
        /// The log-in name.
        name: String,
    },
    /// List the accounts.
    List,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Make a token for a user; it carries their roles. The token is printed once.
    Create {
        /// The log-in name.
        user: String,
        /// What the token is for.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by its id; it stops working at once.
    Revoke {
        /// The token's id, from `token list`.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum PackCommand {
    /// List the packs with their published versions.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Export a published version of a pack, with only what its audience may see.
    Export {
        /// The pack's id.
        id: String,
        /// html (one self-contained file), md, json or csv.
        #[arg(long, value_name = "FORMAT")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The published version (default: the latest).
        #[arg(long = "pack-version", value_name = "N")]
        version: Option<u32>,
        /// The archive's name, printed in the export.
        #[arg(long, default_value = "Storybank")]
        name: String,
    },
}

#[derive(Debug, clap::Args)]
struct SearchArgs {
    /// Words, "phrases", AND/OR/NOT (or -word), (groups) and prefix*.
    #[arg(default_value = "")]
    query: String,
    /// Only stories with this theme or a sub-theme (repeat for any of several).
    #[arg(long = "theme", value_name = "PATH")]
    themes: Vec<String>,
    /// Only stories with this tag (repeat for any of several).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Only this form: text, transcript or image (repeatable).
    #[arg(long = "form", value_name = "FORM")]
    forms: Vec<String>,
    /// Only this story type: snapshot, dialogue, monologue, written or photo (repeatable).
    #[arg(long = "type", value_name = "STORY_TYPE")]
    story_types: Vec<String>,
    /// Only this language, e.g. fi (repeatable); the query is analysed for it.
    #[arg(long = "lang", value_name = "L")]
    languages: Vec<String>,
    /// Only stories from this place (case and accents ignored).
    #[arg(long)]
    place: Option<String>,
    /// Recorded on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    from: Option<chrono::NaiveDate>,
    /// Recorded on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    to: Option<chrono::NaiveDate>,
    /// Only this status: submitted, reviewed or published (repeatable; narrows what the
    /// audience may see, never widens it).
    #[arg(long = "status", value_name = "STATUS")]
    statuses: Vec<String>,
    /// Only stories gathered by this reporter (as written in their details; repeatable).
    #[arg(long = "reporter", value_name = "NAME")]
    reporters: Vec<String>,
    /// Only stories flagged consent-missing or alt-text-missing (repeatable).
    #[arg(long = "flag", value_name = "FLAG")]
    flags: Vec<String>,
    /// Who is asking: curator, commissioner or public.
    #[arg(long = "as", default_value = "curator", value_name = "AUDIENCE")]
    audience: String,
    /// Order: relevance or date.
    #[arg(long, default_value = "relevance")]
    sort: String,
    /// How many hits.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Hits to skip (for the next page).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print JSON: total, hits and facets.
    #[arg(long)]
    json: bool,
}

impl SearchArgs {
    fn request(&self) -> Result<SearchRequest> {
        let audience = Audience::parse(&self.audience)?;
        let mut request = SearchRequest::new(self.query.clone(), audience, chrono::Utc::now().date_naive());
        request.themes = self.themes.iter().map(|t| ThemePath::parse(t)).collect::<Result<_, _>>()?;
        request.tags = self.tags.iter().map(|t| Tag::parse(t)).collect::<Result<_, _>>()?;
        request.forms = self.forms.iter().map(|f| Form::parse(f)).collect::<Result<_, _>>()?;
        request.story_types =
            self.story_types.iter().map(|t| StoryType::parse(t)).collect::<Result<_, _>>()?;
        request.languages = self.languages.iter().map(|l| Language::parse(l)).collect::<Result<_, _>>()?;
        request.place = self.place.clone();
        request.statuses = self.statuses.iter().map(|s| Status::parse(s)).collect::<Result<_, _>>()?;
        for flag in &self.flags {
            anyhow::ensure!(
                storybank_archive::FLAGS.contains(&flag.as_str()),
                "--flag {flag:?} is not one of: {}",
                storybank_archive::FLAGS.join(", ")
            );
        }
        request.flags = self.flags.clone();
        request.reporters = self.reporters.clone();
        request.from = self.from;
        request.to = self.to;
        request.sort = match self.sort.as_str() {
            "relevance" => Sort::Relevance,
            "date" => Sort::Date,
            other => anyhow::bail!("--sort {other:?} is not one of: relevance, date"),
        };
        anyhow::ensure!(self.limit >= 1, "--limit must be at least 1");
        request.limit = self.limit;
        request.offset = self.offset;
        Ok(request)
    }
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
    /// Erase a story for good: its text, transcript, photo, quotes and notes go from the store,
    /// the media folder and the search index; a content-free record stays. Without --yes, shows
    /// what would be erased. Stop the server first (or erase from its story page).
    Erase {
        /// The story's id.
        id: String,
        /// Erase without asking.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs each request (info); other commands only warnings, unless STORYBANK_LOG says.
    let default_level = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(storybank_server::log_filter(
            &std::env::var("STORYBANK_LOG").unwrap_or_else(|_| default_level.to_owned()),
        ))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(&mut out, cli).and_then(|code| out.flush().map(|()| code).map_err(Into::into));
    match result {
        Ok(code) => code,
        // The reader went away (`storybank stories list | head`): not an error.
        Err(err)
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(out: &mut dyn Write, cli: Cli) -> Result<ExitCode> {
    if let Command::User { command } = cli.command {
        let accounts = storybank_archive::Accounts::open(&cli.data_dir)
            .with_context(|| format!("cannot open the archive in {}", cli.data_dir.display()))?;
        return user(out, &accounts, command);
    }
    if let Command::Token { command } = cli.command {
        let accounts = storybank_archive::Accounts::open(&cli.data_dir)
            .with_context(|| format!("cannot open the archive in {}", cli.data_dir.display()))?;
        return token(out, &accounts, command);
    }
    if let Command::Pack { command } = cli.command {
        let packs = storybank_archive::PackExports::open(&cli.data_dir)
            .with_context(|| format!("cannot open the archive in {}", cli.data_dir.display()))?;
        return pack(out, &packs, command);
    }
    match cli.command {
        Command::Erasure { command: ErasureCommand::List { json } } => {
            return erasure_list(out, &storybank_archive::erasures_in(&cli.data_dir)?, json);
        }
        Command::Audit(args) => return audit(out, &cli.data_dir, &args),
        Command::Backup { target } => {
            let manifest = storybank_archive::backup_data_dir(&cli.data_dir, &target)?;
            writeln!(
                out,
                "Backed up {} stories and {} media files into {} ({} erasures recorded).",
                manifest.stories,
                manifest.media_files,
                target.display(),
                manifest.erasures
            )?;
            if manifest.missing_media > 0 {
                writeln!(
                    out,
                    "{} media files were erased while the backup ran; restoring it erases their stories again.",
                    manifest.missing_media
                )?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        Command::Restore { backup, erasures } => {
            let report = storybank_archive::restore(&backup, Config::new(&cli.data_dir), &erasures)?;
            writeln!(
                out,
                "Restored the backup of {} into {}: {} stories, {} media files; {} later erasures re-applied.",
                report.manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
                cli.data_dir.display(),
                report.stories,
                report.media_files,
                report.erasures_reapplied
            )?;
            if report.missing_media > 0 {
                writeln!(
                    out,
                    "Warning: the backup lacks {} media files that restored stories use; their photos do not show.",
                    report.missing_media
                )?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let mut config = Config::new(&cli.data_dir);
    if let Command::Serve { discard_redacted_originals, story_cache_mb, .. } = cli.command {
        config.keep_redacted_originals = !discard_redacted_originals;
        config.story_cache_bytes = story_cache_mb.saturating_mul(1024 * 1024);
    }
    let archive = Archive::open(config)
        .with_context(|| format!("cannot open the archive in {}", cli.data_dir.display()))?;
    match cli.command {
        Command::Stories { command: StoriesCommand::Erase { id, yes } } => erase(out, &archive, &id, yes),
        Command::Ingest { paths, json } => ingest(out, &archive, &paths, json),
        Command::Search(args) => search(out, &archive, &args),
        Command::Reindex => reindex(out, &archive),
        Command::Stories { command: StoriesCommand::List { json } } => list(out, &archive, json),
        Command::Stories { command: StoriesCommand::Show { id, json } } => show(out, &archive, &id, json),
        Command::Serve { addr, secure_cookies, name, .. } => {
            let config = storybank_server::ServerConfig { addr, secure_cookies, name };
            storybank_server::run(std::sync::Arc::new(archive), config)
                .with_context(|| format!("serving on {addr}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { .. }
        | Command::Pack { .. }
        | Command::Token { .. }
        | Command::Erasure { .. }
        | Command::Audit(_)
        | Command::Backup { .. }
        | Command::Restore { .. } => unreachable!("handled above"),
    }
}

fn token(
    out: &mut dyn Write,
    accounts: &storybank_archive::Accounts,
    command: TokenCommand,
) -> Result<ExitCode> {
    match command {
        TokenCommand::Create { user, label } => {
            let (record, secret) = accounts.create_token(&UserName::parse(&user)?, &label)?;
            eprintln!(
                "token {} for {} ({}); it is shown only now:",
                record.id, record.user_name, record.label
            );
            writeln!(out, "{secret}")?;
        }
        TokenCommand::List => {
            for record in accounts.tokens()? {
                let state = record
                    .revoked_at
                    .map_or_else(|| "live".to_owned(), |at| format!("revoked {}", at.format("%Y-%m-%d")));
                writeln!(
                    out,
                    "{}  {:<12}  {}  {}  {}",
                    record.id,
                    record.user_name,
                    record.created_at.format("%Y-%m-%d"),
                    state,
                    record.label
                )?;
            }
        }
        TokenCommand::Revoke { id } => {
            accounts.revoke_token(&id)?;
            writeln!(out, "token {id} revoked")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn pack(
    out: &mut dyn Write,
    packs: &storybank_archive::PackExports,
    command: PackCommand,
) -> Result<ExitCode> {
    match command {
        PackCommand::List { json } => {
            let records = packs.packs()?;
            if json {
                let list: Vec<serde_json::Value> = records
                    .iter()
                    .map(|record| {
                        serde_json::json!({
                            "id": record.id,
                            "title": record.draft.title,
                            "question": record.draft.question,
                            "audience": record.draft.audience,
                            "findings": record.draft.findings.len(),
                            "versions": record.versions.iter().map(|v| serde_json::json!({
                                "version": v.version, "published_at": v.published_at, "published_by": v.published_by,
                            })).collect::<Vec<_>>(),
                            "changed_since_publication": record.changed_since_publication,
                        })
                    })
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                for record in &records {
                    let state = record.latest().map_or_else(
                        || "draft".to_owned(),
                        |latest| format!("v{} {}", latest.version, latest.published_at.format("%Y-%m-%d")),
                    );
                    writeln!(out, "{}  {:<14}  {}", record.id, state, record.draft.title)?;
                }
                if records.is_empty() {
                    writeln!(out, "no packs yet")?;
                }
            }
        }
        PackCommand::Export { id, format, output, version, name } => {
            let id = storybank_domain::PackId::parse(&id)?;
            let format = storybank_export::Format::parse(&format)?;
            let (resolved, published) = packs.pack_for_export(id, version, format.extension())?;
            let info = storybank_export::ExportInfo {
                archive: name,
                pack_id: id,
                version: published.version,
                published_at: published.published_at,
                generated_at: chrono::Utc::now(),
            };
            let bytes = storybank_export::export(format, &resolved, &info, &|media| packs.media(media).ok())?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
                }
                None => out.write_all(&bytes)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> Result<Password> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    Ok(Password::parse(&line)?)
}

fn user(
    out: &mut dyn Write,
    accounts: &storybank_archive::Accounts,
    command: UserCommand,
) -> Result<ExitCode> {
    let roles_of = |roles: &[String]| -> Result<Roles> {
        Ok(Roles::new(roles.iter().map(|role| Role::parse(role)).collect::<Result<Vec<_>, _>>()?)?)
    };
    match command {
        UserCommand::Add { name, roles, password_stdin, generate_password } => {
            let name = UserName::parse(&name)?;
            let roles = roles_of(&roles)?;
            let (password, shown) = if generate_password {
                let text: String = storybank_archive::random_token()?.chars().take(20).collect();
                (Password::parse(&text)?, Some(text))
            } else if password_stdin {
                (read_password()?, None)
            } else {
                anyhow::bail!("give the password with --password-stdin, or use --generate-password");
            };
            let user = accounts.add_user(name, roles, &password)?;
            match shown {
                Some(text) => {
                    writeln!(out, "added {} ({}) with password: {text}", user.name, user.roles.to_list())?
                }
                None => writeln!(out, "added {} ({})", user.name, user.roles.to_list())?,
            }
        }
        UserCommand::Disable { name } => {
            let user = accounts.set_disabled(&UserName::parse(&name)?, true)?;
            writeln!(out, "disabled {}; its sessions have ended", user.name)?;
        }
        UserCommand::Enable { name } => {
            let user = accounts.set_disabled(&UserName::parse(&name)?, false)?;
            writeln!(out, "enabled {}", user.name)?;
        }
        UserCommand::Roles { name, roles } => {
            let user = accounts.set_roles(&UserName::parse(&name)?, roles_of(&roles)?)?;
            writeln!(out, "{} now has: {}", user.name, user.roles.to_list())?;
        }
        UserCommand::Password { name } => {
            let name = UserName::parse(&name)?;
            accounts.set_password(&name, &read_password()?)?;
            writeln!(out, "password changed for {name}; its sessions have ended")?;
        }
        UserCommand::List => {
            for user in accounts.users()? {
                let state = if user.disabled { "disabled" } else { "active" };
                writeln!(out, "{:<24} {:<40} {state}", user.name.as_str(), user.roles.to_list())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn started(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn advanced(&self, count: usize) {
        self.0.inc(count as u64);
    }
}

/// A progress bar for `verb`, on standard error when it is a terminal.
fn progress_bar(verb: &str) -> Bar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let template =
        format!("{{spinner}} {verb} {{bar:30}} {{pos}}/{{len}} stories ({{per_sec}}, {{eta}} left)");
    let style = ProgressStyle::with_template(&template).expect("the progress template is valid");
    Bar(ProgressBar::with_draw_target(Some(0), target).with_style(style))
}

fn reindex(out: &mut dyn Write, archive: &Archive) -> Result<ExitCode> {
    let progress = progress_bar("indexing");
    let count = archive.reindex(&progress)?;
    progress.0.finish_and_clear();
    writeln!(out, "search index rebuilt: {count} stories")?;
    Ok(ExitCode::SUCCESS)
}

fn search(out: &mut dyn Write, archive: &Archive, args: &SearchArgs) -> Result<ExitCode> {
    let response = archive.search(&args.request()?)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&response)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let shown = args.offset + response.hits.len();
    writeln!(out, "{} stories match; showing {}-{}", response.total, (args.offset + 1).min(shown), shown)?;
    for hit in &response.hits {
        writeln!(out)?;
        writeln!(out, "{}  {}", hit.id, hit.title)?;
        let place = hit.place.as_deref().unwrap_or("-");
        let day = hit.recorded_on.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
        writeln!(out, "    {} / {} / {} / {place} / {day}", hit.form, hit.story_type, hit.language)?;
        if !hit.themes.is_empty() {
            writeln!(
                out,
                "    themes: {}",
                hit.themes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            )?;
        }
        if let Some(snippet) = &hit.snippet {
            let mut marked = String::new();
            let mut last = 0;
            for (start, end) in &snippet.highlights {
                marked.push_str(&snippet.text[last..*start]);
                marked.push('[');
                marked.push_str(&snippet.text[*start..*end]);
                marked.push(']');
                last = *end;
            }
            marked.push_str(&snippet.text[last..]);
            writeln!(out, "    {}", marked.replace('\n', " "))?;
        }
    }
    let facets = &response.facets;
    writeln!(out)?;
    for (name, counts) in [
        ("themes", &facets.themes),
        ("forms", &facets.forms),
        ("languages", &facets.languages),
        ("types", &facets.story_types),
    ] {
        if !counts.is_empty() {
            let parts: Vec<String> = counts.iter().map(|c| format!("{} ({})", c.value, c.count)).collect();
            writeln!(out, "{name}: {}", parts.join(", "))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ingest(out: &mut dyn Write, archive: &Archive, paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let progress = progress_bar("ingesting");
    let report = archive.ingest_paths(paths, &progress)?;
    progress.0.finish_and_clear();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_report(out, &report)?;
    }
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_report(out: &mut dyn Write, report: &IngestReport) -> std::io::Result<()> {
    if report.themes_imported > 0 {
        writeln!(out, "{} themes imported into the taxonomy", report.themes_imported)?;
    }
    writeln!(
        out,
        "{} ingested, {} already present, {} failed",
        report.ingested(),
        report.already_present(),
        report.failed()
    )?;
    if report.changed() > 0 {
        writeln!(
            out,
            "{} changed since they were ingested; the stored versions are kept (a curator can edit them):",
            report.changed()
        )?;
        for item in &report.items {
            if let StoryOutcome::Changed { existing } = &item.outcome {
                writeln!(out, "  {}: changed; stored as story {existing}", item.source)?;
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
        writeln!(out, "{} stories ingested with notes for curators:", warned.len())?;
        for (item, warnings) in warned {
            for warning in warnings {
                writeln!(out, "  {}: {warning}", item.source)?;
            }
        }
    }
    if report.failed() > 0 {
        writeln!(
            out,
            "Failures (nothing of these stories was stored; fix them and run the same ingest again):"
        )?;
        for item in &report.items {
            if let StoryOutcome::Failed { error } = &item.outcome {
                writeln!(out, "  {}: {error}", item.source)?;
            }
        }
    }
    Ok(())
}

fn list(out: &mut dyn Write, archive: &Archive, json: bool) -> Result<ExitCode> {
    let stories = archive.story_summaries()?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&stories)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for story in &stories {
        let scope = story.consent_scope.map_or("consent missing", |scope| scope.as_str());
        writeln!(
            out,
            "{}  {:<10} {:<3} {:<9} {:<15} {}",
            story.id,
            story.form.as_str(),
            story.language.as_str(),
            story.status.as_str(),
            scope,
            story.title
        )?;
    }
    writeln!(out, "{} stories", stories.len())?;
    Ok(ExitCode::SUCCESS)
}

fn show(out: &mut dyn Write, archive: &Archive, id: &str, json: bool) -> Result<ExitCode> {
    let id = StoryId::parse(id)?;
    let story = archive.story(id)?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&story)?)?;
    } else {
        print_story(out, &story)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_story(out: &mut dyn Write, story: &Story) -> std::io::Result<()> {
    let details = &story.details;
    writeln!(out, "{}", details.title)?;
    writeln!(out, "id:          {}", story.id)?;
    writeln!(out, "form:        {} ({})", story.form(), details.story_type)?;
    writeln!(out, "language:    {}", details.language)?;
    writeln!(out, "status:      {}", story.status)?;
    match &details.consent {
        Some(consent) => writeln!(
            out,
            "consent:     {} (identify as {}), given {}{}",
            consent.scope(),
            consent.identify_as(),
            consent.given_on(),
            consent.expires_on().map(|day| format!(", expires {day}")).unwrap_or_default()
        )?,
        None => writeln!(out, "consent:     MISSING (curation team only until a curator records it)")?,
    }
    let join = |items: Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    for (label, value) in [
        ("prompt:", details.prompt.as_ref().map(ToString::to_string)),
        ("place:", details.place.as_ref().map(ToString::to_string)),
        ("recorded on:", details.recorded_on.map(|day| day.to_string())),
        ("reporter:", details.reporter.as_ref().map(ToString::to_string)),
        ("storyteller:", details.storyteller.as_ref().map(ToString::to_string)),
        ("source:", story.provenance.clone()),
        ("themes:", join(details.themes.iter().map(ToString::to_string).collect())),
        ("tags:", join(details.tags.iter().map(ToString::to_string).collect())),
    ] {
        if let Some(value) = value {
            writeln!(out, "{label:<12} {value}")?;
        }
    }
    for warning in &story.ingest_warnings {
        writeln!(out, "note:        {warning}")?;
    }
    writeln!(out)?;
    match &story.content {
        StoryContent::Text { body } => writeln!(out, "{body}")?,

        StoryContent::Transcript { cues } => {
            for cue in cues {
                let time = cue.start().map(|start| format!("[{start}] ")).unwrap_or_default();
                let speaker = cue.speaker().map(|speaker| format!("{speaker}: ")).unwrap_or_default();
                writeln!(out, "{time}{speaker}{}", cue.text())?;
            }
        }
        StoryContent::Image { caption, alt_text, display, thumbnail } => {
            writeln!(out, "{caption}")?;
            writeln!(out)?;
            writeln!(
                out,
                "alt text:  {}",
                alt_text.as_ref().map_or("MISSING (needed before publication)", |alt| alt.as_str())
            )?;
            writeln!(
                out,
                "display:   {}x{} {} ({} bytes)",
                display.width, display.height, display.mime, display.byte_len
            )?;
            writeln!(
                out,
                "thumbnail: {}x{} {} ({} bytes)",
                thumbnail.width, thumbnail.height, thumbnail.mime, thumbnail.byte_len
            )?;
        }
    }
    Ok(())
}

fn erase(out: &mut dyn Write, archive: &Archive, id: &str, yes: bool) -> Result<ExitCode> {
    let id = StoryId::parse(id)?;
    if !yes {
        let (story, packs) = archive.erasure_preview(None, id)?;
        writeln!(out, "This erases story {id} ({}) for good.", story.details.title)?;
        print_erasure(
            out,
            &storybank_domain::Erasure { story: id, erased_at: chrono::Utc::now(), erased_by: None, packs },
        )?;
        writeln!(out, "Run again with --yes to erase it.")?;
        return Ok(ExitCode::from(2));
    }
    let report = archive.erase(None, id)?;
    writeln!(out, "Erased story {id}.")?;
    print_erasure(out, &report.erasure)?;
    if !report.wal_emptied {
        writeln!(
            out,
            "Note: another process kept the database busy; its write-ahead log is emptied at the next start."
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_erasure(out: &mut dyn Write, erasure: &storybank_domain::Erasure) -> Result<()> {
    let gone: Vec<_> = erasure.reached_beyond_curators().collect();
    if gone.is_empty() {
        writeln!(out, "  No published pack had taken it beyond the curation team.")?;
    }
    for (pack, version) in gone {
        writeln!(
            out,
            "  Pack {} version {} (for {}) cited it, published {}.",
            pack.pack,
            version.version,
            version.audience,
            version.published_at.format("%Y-%m-%d")
        )?;
    }
    for pack in &erasure.packs {
        for export in &pack.exports {
            writeln!(
                out,
                "  Pack {} was exported ({}) by {} on {}: tell whoever received it.",
                pack.pack,
                export.detail,
                export.by.as_deref().unwrap_or("the command line"),
                export.at.format("%Y-%m-%d")
            )?;
        }
    }
    Ok(())
}

fn erasure_list(out: &mut dyn Write, erasures: &[storybank_domain::Erasure], json: bool) -> Result<ExitCode> {
    if json {
        serde_json::to_writer_pretty(&mut *out, erasures)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if erasures.is_empty() {
        writeln!(out, "No story has been erased.")?;
    }
    for erasure in erasures {
        writeln!(
            out,
            "{}  story {}  by {}",
            erasure.erased_at.format("%Y-%m-%d %H:%M"),
            erasure.story,
            erasure.erased_by.as_deref().unwrap_or("the command line")
        )?;
        print_erasure(out, erasure)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn audit(out: &mut dyn Write, data_dir: &std::path::Path, args: &AuditArgs) -> Result<ExitCode> {
    let filter = storybank_archive::AuditFilter {
        action: args.action.as_deref().map(storybank_domain::AuditAction::parse).transpose()?,
        actor: args.user.clone(),
        object: args.object.clone(),
        since: args.since.and_then(|day| day.and_hms_opt(0, 0, 0)).map(|time| time.and_utc()),
        limit: args.limit,
        ..Default::default()
    };
    let entries = storybank_archive::audit_trail_in(data_dir, &filter)?;
    if args.csv {
        out.write_all(&storybank_export::audit_csv(&entries)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for entry in &entries {
        writeln!(
            out,
            "{:>6}  {}  {:<14} {:<16} {:<38} {}",
            entry.seq,
            entry.at.format("%Y-%m-%d %H:%M:%S"),
            storybank_domain::AuditEvent::actor_label(entry.action, entry.actor.as_deref()),
            entry.action,
            entry.object.as_deref().unwrap_or("-"),
            entry.detail
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
