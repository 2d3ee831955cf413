//! `vars_prompt:` on a play: variables asked of the user before the play runs. The loader only
//! reads the questions; the command line asks them (it owns the terminal).

use super::error::LoadError;
use hearth_formats::value::Value;
use hearth_formats::yaml::{Node, NodeKind};

/// One `vars_prompt:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct VarPrompt {
    /// The variable set from the answer.
    pub name: String,
    /// The question (`name` when not given).
    pub prompt: String,
    /// Don't echo the answer (Ansible's default); the answer is then a secret in output.
    pub private: bool,
    /// The value when the answer is empty, or when no terminal can ask.
    pub default: Option<Value>,
    /// Ask twice and require the same answer.
    pub confirm: bool,
}

/// Reads a play's `vars_prompt:` list.
pub fn parse(node: &Node) -> Result<Vec<VarPrompt>, LoadError> {
    let NodeKind::Seq(items) = &node.kind else {
        return Err(LoadError::at(&node.pos, "vars_prompt must be a list of prompts"));
    };
    items.iter().map(entry).collect()
}

fn entry(item: &Node) -> Result<VarPrompt, LoadError> {
    let map =
        item.as_map().ok_or_else(|| LoadError::at(&item.pos, "a vars_prompt entry must be a mapping"))?;
    let mut p = VarPrompt {
        name: String::new(),
        prompt: String::new(),
        private: true,
        default: None,
        confirm: false,
    };
    let flag = |v: &Node, k: &str| {
        hearth_modules::args::parse_bool(&v.to_value())
            .ok_or_else(|| LoadError::at(&v.pos, format!("vars_prompt: '{k}' must be a boolean")))
    };
    for (k, kpos, v) in map {
        match k.as_str() {
            "name" => p.name = v.as_str().unwrap_or_default().to_string(),
            "prompt" => p.prompt = v.as_str().unwrap_or_default().to_string(),
            "private" => p.private = flag(v, k)?,
            "confirm" => p.confirm = flag(v, k)?,
            "default" => p.default = Some(v.to_value()),
            // Answers are never templated by hearth, so `unsafe` changes nothing.
            "unsafe" => {}
            "encrypt" | "salt" | "salt_size" => {
                return Err(LoadError::at(kpos, format!("vars_prompt: '{k}' is not supported by hearth")));
            }
            other => {
                return Err(LoadError::at(
                    kpos,
                    format!(
                        "vars_prompt: unknown key '{other}' (supported: name, prompt, private, default, confirm, unsafe)"
                    ),
                ));
            }
        }
    }
    if p.name.is_empty() {
        return Err(LoadError::at(&item.pos, "a vars_prompt entry needs 'name:'"));
    }
    if p.prompt.is_empty() {
        p.prompt.clone_from(&p.name);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompts(text: &str) -> Result<Vec<VarPrompt>, LoadError> {
        parse(&hearth_formats::yaml::parse_str(text, std::path::Path::new("p.yml")).unwrap())
    }

    #[test]
    fn entries_with_ansible_defaults() {
        let p = prompts("- name: user\n  prompt: Who?\n  private: no\n  default: ann\n- name: pw\n").unwrap();
        assert_eq!(
            p[0],
            VarPrompt {
                name: "user".into(),
                prompt: "Who?".into(),
                private: false,
                default: Some("ann".into()),
                confirm: false
            }
        );
        assert!(p[1].private && p[1].prompt == "pw");
        assert!(
            prompts("- name: x\n  encrypt: sha512_crypt\n")
                .unwrap_err()
                .to_string()
                .contains("'encrypt' is not supported")
        );
        assert!(prompts("- prompt: nameless\n").unwrap_err().to_string().contains("needs 'name:'"));
    }
}
