//! `vars_prompt:` answered on the command line before the playbook runs: skipped for variables
//! given with `-e`, asked on the terminal (without echo when private, twice with `confirm`),
//! the default taken when the answer is empty or no terminal can ask. Private answers typed at
//! the terminal are masked in every output like vault secrets.

use std::io::{BufRead, IsTerminal, Write};

use hearth::load::playbook::Playbook;
use hearth::load::vars_prompt::VarPrompt;
use hearth::value::{Map, Value};

/// Sets every play's prompted variables into its vars, or says which one has no answer.
pub fn answer_prompts(pb: &mut Playbook, extra_vars: &Map) -> anyhow::Result<()> {
    let terminal = std::io::stdin().is_terminal();
    for play in &mut pb.plays {
        for p in play.vars_prompt.clone() {
            if extra_vars.contains_key(&p.name) {
                continue;
            }
            let value = if terminal { ask(&p)? } else { unattended(&p)? };
            // A typed private answer is a secret; a default from the playbook is not.
            if terminal
                && p.private
                && let Value::String(s) = &value
                && Some(&value) != p.default.as_ref()
            {
                hearth::vault::mask::register(s);
            }
            play.vars.insert(p.name.clone(), value);
        }
    }
    Ok(())
}

/// Without a terminal: the default, or an error naming the variable.
fn unattended(p: &VarPrompt) -> anyhow::Result<Value> {
    p.default.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "vars_prompt '{}' needs an answer and there is no terminal to ask: pass -e {}=VALUE",
            p.name,
            p.name
        )
    })
}

/// Asks until the answer is given (and confirmed); empty means the default.
fn ask(p: &VarPrompt) -> anyhow::Result<Value> {
    let shown = match &p.default {
        Some(d) => format!("{} [{}]: ", p.prompt, text(d)),
        None => format!("{}: ", p.prompt),
    };
    loop {
        let answer = read(&shown, p.private)?;
        if p.confirm && read(&format!("confirm {shown}"), p.private)? != answer {
            eprintln!("***** VALUES ENTERED DO NOT MATCH ****");
            continue;
        }
        return Ok(match (&p.default, answer.is_empty()) {
            (Some(d), true) => d.clone(),
            _ => Value::String(answer),
        });
    }
}

fn read(shown: &str, private: bool) -> anyhow::Result<String> {
    if private {
        return Ok(rpassword::prompt_password(shown)?);
    }
    let mut err = std::io::stderr();
    write!(err, "{shown}")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
