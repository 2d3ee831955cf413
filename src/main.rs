//! The `hearth` binary: parses arguments, loads inventory and playbooks, runs the engine with a
//! text reporter, and maps the outcome to ansible-playbook's exit codes. The only place where
//! errors become text (anyhow at the edge).

use std::process::ExitCode;

use clap::Parser;
use std::io::Write;

use hearth::cli::{Cli, Command, InventoryArgs};
use hearth::execute;
use hearth::load::inventory::json_text;

mod failure;
mod main_lab;
mod main_prompt;
mod main_run;
mod main_vault;
mod run_lock;

use failure::{Failure, exit};
use main_run::{install_keyring, load_inventory, mask, run};

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
