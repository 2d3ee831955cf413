//! The `hearth` binary: parses arguments, loads inventory and playbooks, runs the engine with a
//! text reporter, and maps the outcome to ansible-playbook's exit codes. The only place where
//! errors become text (anyhow at the edge).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use std::io::{IsTerminal, Write};

use hearth::cli::{Cli, Command, InventoryArgs, Output, RunArgs, VaultOpts};
use hearth::execute::{self, ExecError, Options, Summary};
use hearth::load::inventory::{self, Inventory, json_text};
use hearth::load::playbook::load_playbook;
use hearth::report::{JsonReporter, Masked, ProgressReporter, Reporter, TextReporter};
use hearth::value::{Map, Value};
use hearth_formats::kv;
use hearth_formats::yaml;

mod main_lab;
mod main_prompt;
mod main_vault;

/// ansible-playbook's exit codes.
mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const HOST_FAILED: u8 = 2;
    pub const UNREACHABLE: u8 = 3;
    pub const PARSE: u8 = 4;
    pub const BAD_OPTIONS: u8 = 5;
    pub const INTERRUPTED: u8 = 99;
}

/// An error with the exit code it should produce.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl Failure {
    fn new(code: u8, error: impl Into<anyhow::Error>) -> Failure {
        Failure { code, error: error.into() }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::BAD_OPTIONS } else { exit::OK });
        }
    };
    let _ = ctrlc::set_handler(execute::request_interrupt);
    let result = match cli.command {
        Command::Apply(args) => run(args, false),
        Command::Plan(args) => run(args, true),
        Command::Inventory(args) => show_inventory(args),
        Command::Lab(args) => main_lab::lab_command(args),
        Command::Vault(args) => main_vault::vault_command(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("ERROR! {}", mask(&format!("{:#}", f.error)));
            ExitCode::from(f.code)
        }
    }
}

fn run(args: RunArgs, plan: bool) -> Result<u8, Failure> {
    let playbooks = if args.playbooks.is_empty() {
        vec![PathBuf::from("playbooks/site.yml")]
    } else {
        args.playbooks.clone()
    };
    install_keyring(&args.vault)?;
    let mut inv = load_inventory(&args.inventory)?;
    let opts = Options {
        check: args.check || plan,
        diff: args.diff || plan,
        forks: args.forks.max(1),
        limit: args.limit.clone(),
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        extra_vars: extra_vars(&args.extra_vars)?,
        verbosity: args.verbose,
        connection: args.connection.clone(),
        become_password: ask_become_pass(args.ask_become_pass)?,
        ssh_accept_new: args.ssh_accept_new,
        connect_timeout: args.connect_timeout,
        ssh_persist: args.ssh_persist,
        task_timeout: match args.task_timeout {
            Some(n) => n,
            None => hearth::load::config::task_timeout().map_err(|e| Failure::new(exit::BAD_OPTIONS, e))?,
        },
    };
    check_limit(&inv, opts.limit.as_deref())?;
    let mut reporter = reporter(args.output(), args.no_progress, &opts);
    let pool = execute::Pool::default();
    closing_on_interrupt(&pool, || {
        run_playbooks(&playbooks, &mut inv, &opts, reporter.as_mut(), &pool, &mut Vec::new())
    })
}

/// Runs `f`; on Ctrl-C meanwhile, closes every connection of `pool` at once: commands still
/// running on hosts end now instead of at their own pace, and no ssh master outlives the run.
fn closing_on_interrupt<T>(pool: &execute::Pool, f: impl FnOnce() -> T) -> T {
    let finished = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(std::sync::atomic::Ordering::SeqCst) {
                if execute::interrupted() {
                    pool.close_all();
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        let result = f();
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    })
}

/// Runs the playbooks in order, stopping after the first one that fails or is interrupted;
/// each playbook's recap counters go to `summaries`.
fn run_playbooks(
    playbooks: &[PathBuf],
    inv: &mut Inventory,
    opts: &Options,
    reporter: &mut dyn Reporter,
    pool: &execute::Pool,
    summaries: &mut Vec<Summary>,
) -> Result<u8, Failure> {
    let mut code = exit::OK;
    for path in playbooks {
        if !path.is_file() {
            return Err(Failure::new(
                exit::ERROR,
                anyhow::anyhow!("the playbook {} could not be found", path.display()),
            ));
        }
        let mut pb = load_playbook(path).map_err(|e| Failure::new(exit::PARSE, e))?;
        main_prompt::answer_prompts(&mut pb, &opts.extra_vars).map_err(|e| Failure::new(exit::ERROR, e))?;
        if let Some(dir) = path.parent() {
            inv.add_playbook_vars_dir(dir).map_err(|e| Failure::new(exit::PARSE, e))?;
        }
        let summary = execute::run_playbook(&pb, inv, opts, reporter, pool).map_err(|e| match e {
            ExecError::Load(_) => Failure::new(exit::PARSE, e),
            ExecError::Pattern { .. } => Failure::new(exit::ERROR, e),
        })?;
        if execute::interrupted() {
            return Ok(exit::INTERRUPTED);
        }
        if summary.any_unreachable() {
            code = code.max(exit::UNREACHABLE);
        } else if summary.any_failed() {
            code = code.max(exit::HOST_FAILED);
        }
        summaries.push(summary);
        if code != exit::OK {
            break;
        }
    }
    Ok(code)
}

/// JSON lines, live progress (text on a terminal), or plain text (pipes, files, CI logs); vault
/// secrets masked in all of them.
fn reporter(output: Output, no_progress: bool, opts: &Options) -> Box<dyn Reporter> {
    Box::new(Masked(unmasked_reporter(output, no_progress, opts)))
}

fn unmasked_reporter(output: Output, no_progress: bool, opts: &Options) -> Box<dyn Reporter> {
    let out = std::io::stdout();
    match output {
        Output::Json => Box::new(JsonReporter::new(out, opts.diff)),
        Output::Text if out.is_terminal() && !no_progress => {
            Box::new(ProgressReporter::new(out, opts.verbosity, opts.diff))
        }
        Output::Text => Box::new(TextReporter::new(out, opts.verbosity, opts.diff)),
    }
}

/// Like ansible-playbook, refuses a `--limit` that leaves none of a non-empty inventory's hosts.
fn check_limit(inv: &Inventory, limit: Option<&str>) -> Result<(), Failure> {
    let Some(limit) = limit else { return Ok(()) };
    if inv.hosts().next().is_none() {
        return Ok(());
    }
    let left = inv.resolve_limited("all", Some(limit)).map_err(|e| Failure::new(exit::ERROR, e))?;
    if left.hosts.is_empty() {
        for term in &left.unmatched {
            eprintln!("[WARNING]: Could not match supplied host pattern, ignoring: {term}");
        }
        return Err(Failure::new(
            exit::ERROR,
            anyhow::anyhow!(
                "Specified inventory, host pattern and/or --limit leaves us with no hosts to target."
            ),
        ));
    }
    Ok(())
}

/// `-K`: reads the become password from the terminal without echo, once.
fn ask_become_pass(ask: bool) -> Result<Option<String>, Failure> {
    if !ask {
        return Ok(None);
    }
    rpassword::prompt_password("BECOME password: ")
        .map(Some)
        .map_err(|e| Failure::new(exit::BAD_OPTIONS, anyhow::anyhow!("cannot read the become password: {e}")))
}

/// Reads the vault secrets (prompting if asked) and gives them to the loaders.
fn install_keyring(opts: &VaultOpts) -> Result<(), Failure> {
    let ring =
        hearth::vault::Keyring::load(&opts.specs(), false).map_err(|e| Failure::new(exit::ERROR, e))?;
    hearth::vault::keyring::install(ring);
    Ok(())
}

/// Text with decrypted vault values masked, for lines printed outside the reporters.
fn mask(text: &str) -> std::borrow::Cow<'_, str> {
    hearth::vault::mask::mask(text)
}

/// Loads `-i` sources, or `inventory/` when present, or nothing (implicit localhost only).
fn load_inventory(sources: &[String]) -> Result<Inventory, Failure> {
    let sources: Vec<String> = if sources.is_empty() {
        if Path::new("inventory").exists() { vec!["inventory".into()] } else { Vec::new() }
    } else {
        sources.to_vec()
    };
    inventory::load(&sources).map_err(|e| Failure::new(exit::PARSE, e))
}

/// Reads `-e` values: `k=v ...`, inline YAML/JSON mappings, or `@file`.
fn extra_vars(values: &[String]) -> Result<Map, Failure> {
    let mut vars = Map::new();
    for raw in values {
        let parsed = if let Some(file) = raw.strip_prefix('@') {
            let node = yaml::parse_file(Path::new(file)).map_err(|e| Failure::new(exit::PARSE, e))?;
            node.to_value()
        } else if raw.trim_start().starts_with('{') {
            yaml::parse_str(raw, Path::new("<extra vars>"))
                .map_err(|e| Failure::new(exit::PARSE, e))?
                .to_value()
        } else {
            let (pairs, rest) = kv::parse_kv(raw, None)
                .map_err(|e| Failure::new(exit::BAD_OPTIONS, anyhow::anyhow!("-e '{raw}': {e}")))?;
            if !rest.is_empty() {
                return Err(Failure::new(
                    exit::BAD_OPTIONS,
                    anyhow::anyhow!("-e '{raw}': expected key=value pairs, a YAML/JSON mapping or @file"),
                ));
            }
            Value::Object(pairs)
        };
        match parsed {
            Value::Object(m) => vars.extend(m),
            Value::Null => {}
            _ => {
                return Err(Failure::new(
                    exit::BAD_OPTIONS,
                    anyhow::anyhow!("-e '{raw}': extra vars must be a mapping"),
                ));
            }
        }
    }
    Ok(vars)
}

fn show_inventory(args: InventoryArgs) -> Result<u8, Failure> {
    install_keyring(&args.vault)?;
    let inv = load_inventory(&args.inventory)?;
    for w in inv.warnings() {
        eprintln!("[WARNING]: {}", mask(w));
    }
    let text = if let Some(host) = &args.host {
        if inv.resolve(host).map(|h| h.len() != 1).unwrap_or(true) {
            return Err(Failure::new(
                exit::ERROR,
                anyhow::anyhow!("you must pass a single valid host to --host: {host}"),
            ));
        }
        json_text(&inv.to_host_json(host))
    } else if let Some(group) = &args.graph {
        inv.to_graph(Some(group)).ok_or_else(|| {
            Failure::new(exit::ERROR, anyhow::anyhow!("no such group in the inventory: {group}"))
        })?
    } else if args.list {
        json_text(&inv.to_list_json())
    } else {
        return Err(Failure::new(
            exit::BAD_OPTIONS,
            anyhow::anyhow!("hearth inventory needs one of --list, --graph or --host NAME"),
        ));
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = writeln!(out, "{}", mask(text.trim_end()));
    Ok(exit::OK)
}
