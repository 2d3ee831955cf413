//! `hearth apply` and `hearth plan`: the options from the command line, the inventory, the
//! vault secrets, and the playbooks run one after another with a reporter.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::failure::{Failure, exit};
use crate::main_prompt;
use crate::run_lock::{self, RunLock, Unavailable};
use hearth::cli::{Output, RunArgs, VaultOpts};
use hearth::execute::{self, ExecError, Options, Summary};
use hearth::load::inventory::{self, Inventory};
use hearth::load::playbook::load_playbook;
use hearth::report::{JsonReporter, Masked, ProgressReporter, Reporter, TextReporter};
use hearth::value::{Map, Value};
use hearth_formats::kv;
use hearth_formats::yaml;

pub(crate) fn run(args: RunArgs, plan: bool) -> Result<u8, Failure> {
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
        limit: args.limit.as_deref().map(expand_limit).transpose()?,
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        extra_vars: extra_vars(&args.extra_vars)?,
        verbosity: args.verbose,
        connection: args.connection.clone(),
        become_password: ask_become_pass(args.ask_become_pass)?,
        ssh_accept_new: args.ssh_accept_new,
        connect_timeout: args.connect_timeout,
        ssh_persist: args.ssh_persist,
        ssh_channel_per_command: args.ssh_channel_per_command,
        task_timeout: match args.task_timeout {
            Some(n) => n,
            None => hearth::load::config::task_timeout().map_err(|e| Failure::new(exit::BAD_OPTIONS, e))?,
        },
    };
    check_limit(&inv, opts.limit.as_deref())?;
    let mut reporter = reporter(args.output(), args.no_progress, &opts);
    if !args.inventory.is_empty() && inv.hosts().next().is_none() {
        reporter.event(&hearth::report::Event::Warning(
            "provided hosts list is empty, only localhost is available. Note that the implicit \
             localhost does not match 'all'"
                .into(),
        ));
    }
    let _lock = if opts.check { None } else { take_lock(&args, &playbooks, reporter.as_mut())? };
    let pool = execute::Pool::default();
    closing_on_interrupt(&pool, || {
        run_playbooks(&playbooks, &mut inv, &opts, reporter.as_mut(), &pool, &mut Vec::new())
    })
}

/// The inventory's run lock (see `run_lock`); where none can be taken, a warning and none.
fn take_lock(
    args: &RunArgs,
    playbooks: &[PathBuf],
    reporter: &mut dyn Reporter,
) -> Result<Option<RunLock>, Failure> {
    let wait = std::time::Duration::from_secs(args.lock_timeout);
    let mut tell = |m: String| reporter.event(&hearth::report::Event::Warning(m));
    match run_lock::acquire(&args.inventory, playbooks, wait, &mut tell)? {
        Ok(lock) => Ok(Some(lock)),
        Err(Unavailable(why)) => {
            tell(format!("running without the inventory lock: {why}"));
            Ok(None)
        }
    }
}

/// Runs `f`; on Ctrl-C meanwhile, closes every connection of `pool` at once: commands still
/// running on hosts end now instead of at their own pace, and no ssh master outlives the run.
pub(crate) fn closing_on_interrupt<T>(pool: &execute::Pool, f: impl FnOnce() -> T) -> T {
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
pub(crate) fn run_playbooks(
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
pub(crate) fn reporter(output: Output, no_progress: bool, opts: &Options) -> Box<dyn Reporter> {
    Box::new(Masked(unmasked_reporter(output, no_progress, opts)))
}

pub(crate) fn unmasked_reporter(output: Output, no_progress: bool, opts: &Options) -> Box<dyn Reporter> {
    let out = std::io::stdout();
    match output {
        Output::Json => Box::new(JsonReporter::new(out, opts.diff)),
        Output::Text if out.is_terminal() && !no_progress => {
            Box::new(ProgressReporter::new(out, opts.verbosity, opts.diff))
        }
        Output::Text => Box::new(TextReporter::new(out, opts.verbosity, opts.diff)),
    }
}

/// `--limit` with each `@FILE` term replaced by the file's lines (one host or pattern each), as
/// ansible-playbook reads a retry file.
fn expand_limit(limit: &str) -> Result<String, Failure> {
    if !limit.contains('@') {
        return Ok(limit.to_string());
    }
    let mut terms = Vec::new();
    for term in hearth::load::pattern::split(limit) {
        let Some(file) = term.strip_prefix('@') else {
            terms.push(term);
            continue;
        };
        let text = std::fs::read_to_string(file).map_err(|e| {
            Failure::new(exit::ERROR, anyhow::anyhow!("--limit: cannot read the limit file {file}: {e}"))
        })?;
        terms.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string));
    }
    Ok(terms.join(","))
}

/// Refuses a malformed `--limit` and, like ansible-playbook, one that leaves none of a non-empty
/// inventory's hosts.
pub(crate) fn check_limit(inv: &Inventory, limit: Option<&str>) -> Result<(), Failure> {
    let Some(limit) = limit else { return Ok(()) };
    let bad = |e| Failure::new(exit::ERROR, anyhow::anyhow!("--limit: {e}"));
    hearth::load::pattern::validate(limit).map_err(bad)?;
    if inv.hosts().next().is_none() {
        return Ok(());
    }
    let left = inv.resolve_limited("all", Some(limit)).map_err(bad)?;
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
pub(crate) fn ask_become_pass(ask: bool) -> Result<Option<String>, Failure> {
    if !ask {
        return Ok(None);
    }
    rpassword::prompt_password("BECOME password: ")
        .map(Some)
        .map_err(|e| Failure::new(exit::BAD_OPTIONS, anyhow::anyhow!("cannot read the become password: {e}")))
}

/// Reads the vault secrets (prompting if asked) and gives them to the loaders.
pub(crate) fn install_keyring(opts: &VaultOpts) -> Result<(), Failure> {
    let ring =
        hearth::vault::Keyring::load(&opts.specs(), false).map_err(|e| Failure::new(exit::ERROR, e))?;
    hearth::vault::keyring::install(ring);
    Ok(())
}

/// Text with decrypted vault values masked, for lines printed outside the reporters.
pub(crate) fn mask(text: &str) -> std::borrow::Cow<'_, str> {
    hearth::vault::mask::mask(text)
}

/// Loads `-i` sources, or `inventory/` when present, or nothing (implicit localhost only).
pub(crate) fn load_inventory(sources: &[String]) -> Result<Inventory, Failure> {
    let sources: Vec<String> = if sources.is_empty() {
        if Path::new("inventory").exists() { vec!["inventory".into()] } else { Vec::new() }
    } else {
        sources.to_vec()
    };
    inventory::load(&sources).map_err(|e| Failure::new(exit::PARSE, e))
}

/// Reads `-e` values: `k=v ...`, inline YAML/JSON mappings, or `@file`.
pub(crate) fn extra_vars(values: &[String]) -> Result<Map, Failure> {
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
